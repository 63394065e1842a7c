"""The signed payload: an in-toto Statement v1 whose predicate is the manifest's data.

``payload_bytes(data) = rfc8785.dumps(statement(data))``: the signature binds the
manifest's *data* (RFC 8785 canonical JSON), not its formatting. ``subject`` lists every
artifact (name = path or uri, digest = its digest set, with algorithm names spelled as
the in-toto digest-set vocabulary spells them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from rebuildable.errors import RebuildableError
from rebuildable.load import Limits, join_pointer, load_manifest
from rebuildable.schema import load_document

__all__ = [
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "Statement",
    "StatementError",
    "canonical",
    "differences",
    "intoto_digest_name",
    "load_document",
    "manifest_digest_name",
    "parse_statement",
    "payload_bytes",
    "statement",
    "subjects",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://rebuildable.dev/provenance-manifest/v0.1"

# Manifest algorithm name -> in-toto DigestSet name (in-toto spells SHA-3 with '_').
_INTOTO_NAMES = {"sha3-256": "sha3_256", "sha3-512": "sha3_512"}
_MANIFEST_NAMES = {v: k for k, v in _INTOTO_NAMES.items()}


class StatementError(RebuildableError):
    """The (verified) payload is not an in-toto Statement v1 of our predicate type."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def intoto_digest_name(name: str) -> str:
    return _INTOTO_NAMES.get(name, name)


def manifest_digest_name(name: str) -> str:
    """The manifest's spelling of an in-toto digest-set algorithm name."""
    return _MANIFEST_NAMES.get(name, name)


def subjects(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One in-toto ResourceDescriptor per artifact: name = path or uri, digest = its digests."""
    out: list[dict[str, Any]] = []
    artifacts = data.get("artifacts")
    if not isinstance(artifacts, list):
        return out
    for art in artifacts:
        if not isinstance(art, Mapping):
            continue
        name = art.get("path") if isinstance(art.get("path"), str) else art.get("uri")
        if not isinstance(name, str):
            continue
        digest = art.get("digest")
        digest_set = ({intoto_digest_name(k): v for k, v in digest.items() if isinstance(v, str)}
                      if isinstance(digest, Mapping) else {})
        out.append({"name": name, "digest": digest_set})
    return out


def statement(data: Mapping[str, Any]) -> dict[str, Any]:
    """The unsigned in-toto Statement v1 for a manifest's data."""
    return {"_type": STATEMENT_TYPE, "subject": subjects(data),
            "predicateType": PREDICATE_TYPE, "predicate": dict(data)}


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON; raises :class:`StatementError` when ``value`` has none."""
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise StatementError("sig.payload-mismatch",
                             f"the manifest has no canonical JSON form: {exc}") from exc


def payload_bytes(data: Mapping[str, Any]) -> bytes:
    """The exact bytes that get signed: RFC 8785 of the statement."""
    return canonical(statement(data))


@dataclass(frozen=True)
class Statement:
    subjects: tuple[tuple[str, dict[str, str]], ...]
    predicate_type: str
    predicate: dict[str, Any]


def parse_statement(raw: bytes, limits: Limits | None = None) -> Statement:
    """Parse verified payload bytes strictly (duplicate keys refused) into a Statement."""
    loaded = load_manifest(raw, "payload.json", limits=limits)
    errors = [f for f in loaded.findings if f.severity.value == "error"]
    if loaded.document is None or errors:
        why = errors[0].message.removeprefix("payload.json: ") if errors else "not a JSON object"
        raise StatementError("sig.malformed-payload",
                             f"the signed payload is not strict JSON: {why}")
    data = loaded.document.data
    kind = data.get("_type")
    if kind != STATEMENT_TYPE:
        raise StatementError("sig.wrong-predicate-type",
                             f"the signed payload is not an in-toto Statement v1 "
                             f"(_type {kind!r}, expected {STATEMENT_TYPE!r})")
    ptype = data.get("predicateType")
    if ptype != PREDICATE_TYPE:
        raise StatementError("sig.wrong-predicate-type",
                             f"the signed statement's predicateType is {ptype!r}, "
                             f"expected {PREDICATE_TYPE!r}")
    predicate = data.get("predicate")
    if not isinstance(predicate, dict):
        raise StatementError("sig.malformed-payload",
                             "the signed statement has no predicate object")
    raw_subjects = data.get("subject")
    if not isinstance(raw_subjects, list):
        raise StatementError("sig.malformed-payload", "the signed statement has no subject list")
    subs: list[tuple[str, dict[str, str]]] = []
    for i, s in enumerate(raw_subjects):
        if not (isinstance(s, dict) and isinstance(s.get("name"), str)
                and isinstance(s.get("digest"), dict)
                and all(isinstance(v, str) for v in s["digest"].values())):
            raise StatementError("sig.malformed-payload",
                                 f"subject {i} of the signed statement needs a name "
                                 "and a digest set")
        subs.append((s["name"], dict(s["digest"])))
    return Statement(tuple(subs), ptype, predicate)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _same_scalar(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        # 1 and 1.0 are one JSON number; True and 1 are not.
        if isinstance(a, bool) or isinstance(b, bool):
            return False
        if isinstance(a, int | float) and isinstance(b, int | float):
            return bool(a == b) and not (isinstance(a, float) and math.isnan(a))
        return False
    return bool(a == b)


def differences(signed: Any, current: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """JSON pointers where two data trees differ, each with a short description."""
    if isinstance(signed, dict) and isinstance(current, dict):
        for key in signed:
            if key not in current:
                yield join_pointer(pointer, key), "removed since signing"
            else:
                yield from differences(signed[key], current[key], join_pointer(pointer, key))
        for key in current:
            if key not in signed:
                yield join_pointer(pointer, key), "added since signing"
        return
    if isinstance(signed, list) and isinstance(current, list):
        for i, (a, b) in enumerate(zip(signed, current, strict=False)):
            yield from differences(a, b, f"{pointer}/{i}")
        if len(signed) != len(current):
            yield pointer, f"signed {len(signed)} items, now {len(current)}"
        return
    if not _same_scalar(signed, current):
        yield pointer, f"signed {_show(signed)}, now {_show(current)}"
