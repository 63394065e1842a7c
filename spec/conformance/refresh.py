#!/usr/bin/env python3
"""Recompute the digests and sizes written in conformance vectors' manifests.

For every vector whose ``vector.json`` says ``"refresh_digests": true``, each shipped
artifact of ``release/`` gets every digest it lists (for the algorithms this machine
can compute) and its ``size`` set to the real values of its file. The manifest is
edited in place, as text: only the values change, so the quirks a vector is about
(unquoted scalars, a BOM, key order, JSON layout...) stay as they are.

Left alone: artifacts marked ``x-conformance-keep: true`` (their digest and size are
wrong on purpose) and the fields listed in ``x-conformance-keep: [digest, size]``;
external artifacts; artifacts whose file is missing, is not a regular file or lies
behind an unsafe path; and digest entries whose algorithm is unknown or whose value is not a
string of the algorithm's length in the manifest (wrong on purpose too).

Usage::

    python spec/conformance/refresh.py            # rewrite stale vectors
    python spec/conformance/refresh.py --check    # exit 1 when a vector is stale
    python spec/conformance/refresh.py NAME...    # only these vector folders
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "vectors"
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rebuildable.digest import ALGORITHMS, available  # noqa: E402
from rebuildable.load import Document, Limits, load_manifest  # noqa: E402
from rebuildable.model import MANIFEST_NAMES  # noqa: E402

BOM = b"\xef\xbb\xbf"


def _replace_on_line(lines: list[str], pos: tuple[int, int], old: str, new: str) -> bool:
    line, col = pos
    text = lines[line - 1]
    at = text.find(old, col - 1)
    if at < 0:
        return False
    lines[line - 1] = text[:at] + new + text[at + len(old):]
    return True


def _old_text(doc: Document, pointer: str, value: Any) -> str:
    return doc.plain_text.get(pointer, value if isinstance(value, str) else json.dumps(value))


def _read_inside(release: Path, path: str) -> bytes | None:
    """The bytes of a regular file at a safe relative ``path`` inside ``release``, or None."""
    parts = path.split("/")
    if path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        return None
    target = release.joinpath(*parts)
    try:
        if target.is_symlink() or not target.is_file():
            return None
        if not target.resolve().is_relative_to(release.resolve()):
            return None
        return target.read_bytes()
    except OSError:  # a name too long for this file system, ...
        return None


def refresh_manifest(release: Path, manifest: Path) -> tuple[bytes, list[str]]:
    """The manifest's bytes with fresh digests and sizes, and what changed."""
    raw = manifest.read_bytes()
    bom = raw.startswith(BOM)
    loaded = load_manifest(raw, manifest.name, limits=Limits())
    doc = loaded.document
    if doc is None or not isinstance(doc.data, dict):
        return raw, []
    text = raw[len(BOM):].decode("utf-8") if bom else raw.decode("utf-8")
    lines = text.split("\n")
    changes: list[str] = []
    artifacts = doc.data.get("artifacts")
    for i, art in enumerate(artifacts if isinstance(artifacts, list) else []):
        if not isinstance(art, dict):
            continue
        keep = art.get("x-conformance-keep", [])
        if keep is True:
            continue
        keep = keep if isinstance(keep, list) else []
        path = art.get("path")
        digest = art.get("digest")
        if not isinstance(path, str) or not isinstance(digest, dict):
            continue
        data = _read_inside(release, path)
        if data is None:
            continue
        for alg, value in digest.items() if "digest" not in keep else ():
            pointer = f"/artifacts/{i}/digest/{alg}"
            old = _old_text(doc, pointer, value)
            spec = ALGORITHMS.get(alg)
            if spec is None or not available(alg) or len(old) != spec.hex_len:
                continue
            h = spec.factory() if spec.factory is not None else None
            if h is None:  # pragma: no cover - available() said it is there
                continue
            h.update(data)
            new = h.hexdigest()
            pos = doc.position(pointer)
            if new != old and pos is not None and _replace_on_line(lines, pos, old, new):
                changes.append(f"{path}: {alg}")
        if "size" in art and "size" not in keep:
            pointer = f"/artifacts/{i}/size"
            old = _old_text(doc, pointer, art["size"])
            pos = doc.position(pointer)
            if old != str(len(data)) and pos is not None and _replace_on_line(
                lines, pos, old, str(len(data))
            ):
                changes.append(f"{path}: size")
    out = "\n".join(lines).encode("utf-8")
    return (BOM + out if bom else out), changes


def vectors(names: list[str]) -> list[Path]:
    folders = sorted(p for p in VECTORS.iterdir() if (p / "vector.json").is_file())
    if names:
        folders = [f for f in folders if f.name in names]
    return [f for f in folders
            if json.loads((f / "vector.json").read_text("utf-8")).get("refresh_digests") is True]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recompute digests in conformance vectors.")
    parser.add_argument("--check", action="store_true", help="exit 1 when a vector is stale")
    parser.add_argument("names", nargs="*", help="vector folder names (default: all)")
    args = parser.parse_args(argv)
    stale = 0
    for folder in vectors(args.names):
        release = folder / "release"
        manifests = [release / n for n in MANIFEST_NAMES if (release / n).is_file()]
        for manifest in manifests:
            new, changes = refresh_manifest(release, manifest)
            if not changes:
                continue
            stale += 1
            print(f"{folder.name}: {', '.join(changes)}")
            if not args.check:
                manifest.write_bytes(new)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
