"""``import model-signing model.sig [DIR]``: the files an OpenSSF model-signing bundle
covers become artifacts with the digests it states.

The bundle is a Sigstore bundle whose DSSE payload is an in-toto Statement: with
predicate ``https://model_signing/signature/v1.0`` the files are the predicate's
``resources`` (``name``, ``algorithm``, ``digest``), with the legacy
``https://model_signing/Digests/v0.1`` they are the Statement's subjects. Importing
drafts a manifest; it does not verify the signature (``rebuildable verify`` does that).
Shard-serialised bundles (``method: shards``) name byte ranges, not files: refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from rebuildable.digest import ALGORITHMS, well_formed
from rebuildable.importers._base import (
    Imported,
    ImportSourceError,
    artifacts_for,
    base_data,
    draft_text,
    normalise_path,
)
from rebuildable.load import unique_keys
from rebuildable.readlimit import read_limited

PREDICATE_V1 = "https://model_signing/signature/v1.0"
PREDICATE_V02 = "https://model_signing/Digests/v0.1"
MAX_BUNDLE = 64 * 1024 * 1024


def _statement(source: Path) -> dict[str, Any]:
    try:
        raw = read_limited(source, MAX_BUNDLE)
    except OSError as exc:
        raise ImportSourceError(f"{source}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_BUNDLE:
        raise ImportSourceError(f"{source}: larger than {MAX_BUNDLE} bytes")
    try:
        bundle = json.loads(raw, object_pairs_hook=unique_keys)
        envelope = bundle["dsseEnvelope"]
        payload = base64.b64decode(envelope["payload"], validate=True)
        statement = json.loads(payload, object_pairs_hook=unique_keys)
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as exc:
        # RecursionError: JSON nested deeper than the parser's stack
        raise ImportSourceError(f"{source}: not a model-signing bundle (a Sigstore bundle "
                                f"with a DSSE envelope): {exc}") from exc
    if not isinstance(statement, dict):
        raise ImportSourceError(f"{source}: the payload is not an in-toto Statement")
    return statement


def _resources(statement: dict[str, Any], label: str) -> list[tuple[str, str, str]]:
    """(name, algorithm, hex digest) of every file the bundle covers."""
    kind = statement.get("predicateType")
    predicate = statement.get("predicate") or {}
    out: list[tuple[str, str, str]] = []
    if kind == PREDICATE_V1:
        method = (predicate.get("serialization") or {}).get("method")
        if method not in (None, "files"):
            raise ImportSourceError(f"{label}: serialised by {method!r}; only per-file bundles "
                                    "name files that a manifest can list")
        for item in predicate.get("resources") or []:
            if isinstance(item, dict):
                out.append((str(item.get("name")), str(item.get("algorithm")),
                            str(item.get("digest"))))
    elif kind == PREDICATE_V02:
        for subject in statement.get("subject") or []:
            if isinstance(subject, dict) and isinstance(subject.get("digest"), dict):
                for alg, value in subject["digest"].items():
                    out.append((str(subject.get("name")), str(alg), str(value)))
    else:
        raise ImportSourceError(f"{label}: predicate type {kind!r} is not a model-signing one")
    if not out:
        raise ImportSourceError(f"{label}: the bundle names no files")
    return out


def import_model_signing(source: Path, root: Path, *, name: str,
                         version: str | None = None, license: str | None = None) -> Imported:
    statement = _statement(source)
    notes: list[str] = []
    known: dict[str, dict[str, str]] = {}
    for res_name, stated_alg, digest in _resources(statement, source.name):
        path = normalise_path(res_name)
        alg = stated_alg.lower().replace("_", "-")
        if path is None:
            notes.append(f"{res_name!r}: not a path inside the release; skipped")
            continue
        if alg not in ALGORITHMS or not well_formed(alg, digest.lower()):
            notes.append(f"{path}: digest algorithm {alg!r} or its value is not one a "
                         "manifest takes; the file is hashed instead")
            known.setdefault(path, {})
            continue
        known.setdefault(path, {})[alg] = digest.lower()
    if not known:
        raise ImportSourceError(f"{source}: no file of the bundle can be listed")
    paths = sorted(known)
    artifacts, _ = artifacts_for(root, paths, known={p: d for p, d in known.items() if d},
                                 notes=notes)
    data = base_data(name, version, license)
    data["artifacts"] = artifacts
    subjects = statement.get("subject") or []
    if statement.get("predicateType") == PREDICATE_V1 and subjects:
        data["x-model-signing"] = {"model": subjects[0].get("name"),
                                   "predicateType": PREDICATE_V1}
    todo = ["check each artifact's guessed `kind` (signed model files are often `weights`)",
            "add the training code, data and `steps:` that make the weights",
            f"keep {source.name} beside the release: `rebuildable verify` can check it"]
    return Imported(data, draft_text(data, str(source), todo), notes)
