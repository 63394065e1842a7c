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
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "vectors"
MANIFEST_NAMES = ("rebuild.yaml", "rebuild.yml", "rebuild.json")
BOM = b"\xef\xbb\xbf"


def _blake3() -> Callable[[], Any] | None:
    try:
        import blake3  # noqa: PLC0415 - optional
    except ImportError:
        return None
    factory: Callable[[], Any] = blake3.blake3
    return factory


#: algorithm (manifest.md, section 10) -> (hex digits, hasher or None when unavailable)
ALGORITHMS: dict[str, tuple[int, Callable[[], Any] | None]] = {
    "sha256": (64, hashlib.sha256), "sha384": (96, hashlib.sha384),
    "sha512": (128, hashlib.sha512), "sha3-256": (64, hashlib.sha3_256),
    "sha3-512": (128, hashlib.sha3_512), "blake2b": (128, hashlib.blake2b),
    "blake3": (64, _blake3()), "md5": (32, lambda: hashlib.md5(usedforsecurity=False)),
    "sha1": (40, lambda: hashlib.sha1(usedforsecurity=False)),
}


def _replace_on_line(lines: list[str], pos: tuple[int, int], old: str, new: str) -> bool:
    line, col = pos
    text = lines[line - 1]
    at = text.find(old, col - 1)
    if at < 0:
        return False
    lines[line - 1] = text[:at] + new + text[at + len(old):]
    return True


def _mapping(node: yaml.Node) -> dict[str, yaml.Node]:
    """A mapping node's entries by key text; the first of repeated keys wins."""
    out: dict[str, yaml.Node] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                out.setdefault(key.value, value)
    return out


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _compose(text: str) -> yaml.Node | None:
    """The manifest as a node tree with positions (JSON is read as YAML flow style).
    Nothing is constructed: tags and aliases stay inert."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None  # not a manifest refresh can edit; the vector is about that


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
    try:
        text = raw[len(BOM):].decode("utf-8") if bom else raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw, []
    root = _compose(text)
    if root is None:
        return raw, []
    lines = text.split("\n")
    changes: list[str] = []
    artifacts = _mapping(root).get("artifacts")
    for art_node in artifacts.value if isinstance(artifacts, yaml.SequenceNode) else []:
        art = _mapping(art_node)
        keep_node = art.get("x-conformance-keep")
        if isinstance(keep_node, yaml.ScalarNode) and keep_node.value == "true":
            continue
        keep = ([n.value for n in keep_node.value if isinstance(n, yaml.ScalarNode)]
                if isinstance(keep_node, yaml.SequenceNode) else [])
        path, digest = art.get("path"), art.get("digest")
        if not isinstance(path, yaml.ScalarNode) or not isinstance(digest, yaml.MappingNode):
            continue
        data = _read_inside(release, path.value)
        if data is None:
            continue
        for alg, value in _mapping(digest).items() if "digest" not in keep else ():
            spec = ALGORITHMS.get(alg)
            if spec is None or spec[1] is None or not isinstance(value, yaml.ScalarNode):
                continue
            old = value.value
            if len(old) != spec[0]:
                continue
            h = spec[1]()
            h.update(data)
            new = str(h.hexdigest())
            if new != old and _replace_on_line(lines, _pos(value), old, new):
                changes.append(f"{path.value}: {alg}")
        size = art.get("size")
        if (isinstance(size, yaml.ScalarNode) and "size" not in keep
                and size.value != str(len(data))
                and _replace_on_line(lines, _pos(size), size.value, str(len(data)))):
            changes.append(f"{path.value}: size")
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
