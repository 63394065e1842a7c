"""C2PA manifests embedded in PNG, JPEG and WebP files, read with the optional ``c2pa``
library (the ``c2pa`` extra: ``pip install rebuildable[c2pa]``).

The library verifies what it reads (the claim signature, the hash bindings to the
file's bytes, the certificate chain against its trust list); this module turns its JSON
into a small typed result that keeps **integrity** (the claim is intact and bound to
these bytes) apart from **trust** (the signer is on the validator's trust list), since
a test or in-house certificate is untrusted by default and says nothing about damage.

Whether a file carries a manifest at all is found without the library, by the raster
sniffer (``details["c2pa"]``); only such files come here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO

__all__ = ["CLIP", "MIME_TYPES", "C2paManifest", "C2paOfflineError", "C2paUnavailableError",
           "C2paUnreadableError", "Ingredient", "clip", "parse_store", "read_manifest"]

#: sniffed format -> the media type the library is told
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}

#: validation codes that depend on the validator's trust list, not on the file
TRUST_CODES = frozenset({"signingCredential.untrusted"})

#: the library's settings: it reads only the file's bytes. By default it fetches a
#: manifest from the URL a file's XMP ``dcterms:provenance`` names when the embedded
#: store is absent or empty: a release would choose what the validator requests.
OFFLINE = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}

#: an ingredient identifier that pins its file by digest: ``sha256:<hex>``,
#: ``urn:sha256:<hex>`` (algorithm names of manifest.md section 10)
_DIGEST_ID = re.compile(r"(?:urn:)?(sha256|sha384|sha512|sha3-256|sha3-512|blake2b|blake3)"
                        r"[:-]([0-9a-fA-F]+)")
#: hex digits of each algorithm's digest: an identifier of another length pins nothing
_HEX_DIGITS = {"sha256": 64, "sha384": 96, "sha512": 128, "sha3-256": 64, "sha3-512": 128,
               "blake2b": 128, "blake3": 64}


class C2paUnavailableError(Exception):
    """The c2pa library is not installed (or does not load on this machine)."""


class C2paOfflineError(C2paUnavailableError):
    """The library does not take the settings that keep it from the network."""


class C2paUnreadableError(Exception):
    """The file carries C2PA data that the library cannot read as a manifest store."""


@dataclass(frozen=True)
class Ingredient:
    """One ingredient of the active manifest: a file the asset was made from."""

    title: str | None
    relationship: str | None
    format: str | None = None
    instance_id: str | None = None
    document_id: str | None = None
    #: algorithm -> lower-case hex, from identifiers that pin the file by digest
    digests: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"title": _clip_opt(self.title), "relationship": _clip_opt(self.relationship),
                "format": _clip_opt(self.format), "instance_id": _clip_opt(self.instance_id),
                "digests": dict(self.digests)}


#: the most characters of a claim's text a report shows (a title may be megabytes)
CLIP = 512


def clip(text: str) -> str:
    """``text``, cut to :data:`CLIP` characters for a report or a message."""
    return text if len(text) <= CLIP else text[:CLIP - 1] + "…"


def _clip_opt(text: str | None) -> str | None:
    return None if text is None else clip(text)


@dataclass(frozen=True)
class C2paManifest:
    """What the active manifest of a file says, and how it verified."""

    label: str | None
    #: the library's verdict: "Invalid", "Valid" (intact, signer not trusted) or "Trusted"
    state: str | None
    #: validation failures that say the claim is broken or not bound to these bytes
    integrity_failures: list[str]
    #: validation failures about the signer's standing only (an untrusted certificate)
    trust_failures: list[str]
    signer: str | None
    generator: str | None
    ingredients: list[Ingredient]

    @property
    def intact(self) -> bool:
        return not self.integrity_failures

    @property
    def parents(self) -> list[Ingredient]:
        return [i for i in self.ingredients if i.relationship == "parentOf"]


def _import() -> Any:
    try:
        import c2pa  # noqa: PLC0415 - optional: the core works without the extra
    except (ImportError, OSError) as exc:  # OSError: its native library does not load
        raise C2paUnavailableError(str(exc) or type(exc).__name__) from None
    return c2pa


def available() -> bool:
    try:
        _import()
    except C2paUnavailableError:
        return False
    return True


def read_manifest(fh: BinaryIO, fmt: str) -> C2paManifest | None:
    """The active manifest of the file in ``fh`` (a ``png``, ``jpeg`` or ``webp``), or
    None when it holds none. Raises :class:`C2paUnavailableError` without the library and
    :class:`C2paUnreadableError` when the embedded data is not a readable manifest store."""
    c2pa = _import()
    try:
        context = c2pa.Context.from_dict(OFFLINE)
    except (c2pa.C2paError, AttributeError) as exc:  # a library that reads only online
        raise C2paOfflineError(f"the c2pa library refuses to read offline: {exc}") from None
    try:
        with context:
            reader = c2pa.Reader.try_create(MIME_TYPES[fmt], fh, context=context)
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        raise C2paUnreadableError(str(exc).strip() or type(exc).__name__) from None
    except ValueError as exc:  # JSON the library should never write
        raise C2paUnreadableError(f"unreadable manifest store: {exc}") from None
    return parse_store(store)


def parse_store(store: Any) -> C2paManifest | None:
    """The typed view of a manifest store as the library's ``Reader.json()`` gives it."""
    if not isinstance(store, dict):
        return None
    label = store.get("active_manifest")
    label = label if isinstance(label, str) else None
    manifests = store.get("manifests")
    active = manifests.get(label) if isinstance(manifests, dict) and label else None
    if not isinstance(active, dict):
        active = {}
    integrity, trust = _failures(store)
    state = store.get("validation_state")
    if state == "Invalid" and not integrity:  # fail closed: the verdict outranks the list
        integrity.append("validation state Invalid, with no failure code given")
    signature = active.get("signature_info")
    signer = None
    if isinstance(signature, dict):
        parts = [str(signature[k]) for k in ("common_name", "issuer") if signature.get(k)]
        signer = clip(" / ".join(parts)) or None
    return C2paManifest(label=label,
                        state=state if isinstance(state, str) else None,
                        integrity_failures=integrity, trust_failures=trust, signer=signer,
                        generator=_clip_opt(_generator(active)),
                        ingredients=[_ingredient(i) for i in _list(active.get("ingredients"))
                                     if isinstance(i, dict)])


def _list(value: Any) -> list[Any]:
    """A JSON array, or nothing: the store's JSON echoes what the file's claim holds."""
    return value if isinstance(value, list) else []


def _failures(store: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Failure codes of the active manifest, split into integrity and trust."""
    results = store.get("validation_results")
    items: list[Any] = []
    if isinstance(results, dict) and isinstance(results.get("activeManifest"), dict):
        items = _list(results["activeManifest"].get("failure"))
    else:  # older stores: one flat list, failures only
        items = _list(store.get("validation_status"))
    integrity: list[str] = []
    trust: list[str] = []
    for item in items:
        code = item.get("code") if isinstance(item, dict) else None
        if not isinstance(code, str):
            continue
        text = code
        if isinstance(item.get("explanation"), str):
            text = f"{code} ({item['explanation']})"
        (trust if code in TRUST_CODES else integrity).append(clip(text))
    return integrity, trust


def _generator(active: dict[str, Any]) -> str | None:
    info = active.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        name, version = info[0].get("name"), info[0].get("version")
        return f"{name} {version}" if version else (str(name) if name else None)
    generator = active.get("claim_generator")
    return generator if isinstance(generator, str) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ingredient(raw: dict[str, Any]) -> Ingredient:
    instance_id, document_id = _text(raw.get("instance_id")), _text(raw.get("document_id"))
    digests: dict[str, str] = {}
    for ident in (instance_id, document_id):
        match = _DIGEST_ID.fullmatch(ident or "")
        if match and len(match.group(2)) == _HEX_DIGITS[match.group(1)]:
            digests.setdefault(match.group(1), match.group(2).lower())
    return Ingredient(title=_text(raw.get("title")), relationship=_text(raw.get("relationship")),
                      format=_text(raw.get("format")), instance_id=instance_id,
                      document_id=document_id, digests=digests)
