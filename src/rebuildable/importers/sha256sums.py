"""``import sha256sums SHA256SUMS [DIR]``: every line of a checksum list becomes an
artifact, its digest kept (and checked against the file when the file is there)."""

from __future__ import annotations

from pathlib import Path

from rebuildable.checksums import MAX_LIST_BYTES, parse_checksums
from rebuildable.importers._base import (
    Imported,
    ImportSourceError,
    artifacts_for,
    base_data,
    draft_text,
    normalise_path,
)
from rebuildable.readlimit import read_limited


def import_sha256sums(source: Path, root: Path, *, name: str, version: str | None = None,
                      license: str | None = None) -> Imported:
    try:
        text = read_limited(source, MAX_LIST_BYTES).decode("utf-8")
    except OSError as exc:
        raise ImportSourceError(f"{source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ImportSourceError(f"{source}: not UTF-8 text (byte {exc.start})") from exc
    listing = parse_checksums(text)
    notes = [f"{source.name} line {n}: not a checksum line; skipped" for n in listing.malformed]
    known: dict[str, dict[str, str]] = {}
    for entry in listing.entries:
        path = normalise_path(entry.path)
        if path is None:
            notes.append(f"{source.name} line {entry.line}: {entry.path!r} is not a path "
                         "inside the release; skipped")
            continue
        if path in known and known[path].get(entry.algorithm, entry.digest) != entry.digest:
            notes.append(f"{source.name} line {entry.line}: {path} is listed twice with "
                         "different digests")
        known.setdefault(path, {})[entry.algorithm] = entry.digest
    if not known:
        raise ImportSourceError(f"{source}: no checksum lines to import")
    paths = sorted(known)
    algorithms = [a for a in ("sha256", "sha512", "sha384") if any(a in d for d in known.values())]
    artifacts, _ = artifacts_for(root, paths, known=known, algorithms=algorithms or ["sha256"],
                                 notes=notes)
    data = base_data(name, version, license)
    data["artifacts"] = artifacts
    todo = ["check each artifact's guessed `kind` and add `license` where it differs",
            "add `steps:` saying how the outputs are made from the sources"]
    return Imported(data, draft_text(data, str(source), todo), notes)
