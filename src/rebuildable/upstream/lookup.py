"""Where an upstream manifest's bytes are found: read (bounded) from the release, looked
up offline in the options' upstream folders, or fetched from a resolver by digest."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from rebuildable import digest as digests
from rebuildable import readlimit
from rebuildable.errors import MemberError
from rebuildable.model import UpstreamRef

if TYPE_CHECKING:
    from rebuildable.context import UpstreamResolver


def hash_bytes(data: bytes, algorithms: list[str]) -> dict[str, str]:
    """``data``'s digest under each of ``algorithms`` (names with a hash factory)."""
    out = {}
    for alg in algorithms:
        factory = digests.ALGORITHMS[alg].factory
        assert factory is not None  # pins are filtered to checkable algorithms
        h = factory()
        h.update(data)
        out[alg] = h.hexdigest()
    return out


def digest_matches(data: bytes, strong: Mapping[str, str]) -> bool:
    """Do ``data`` match every digest of ``strong`` (from :func:`pinned_digests`)?"""
    return bool(strong) and hash_bytes(data, sorted(strong)) == dict(strong)


def read_limited(fh: BinaryIO, limit: int) -> bytes:
    """All of ``fh`` (closed after), or ``load.too-large`` beyond ``limit`` bytes."""
    with fh:
        try:
            return readlimit.read_limited(fh, limit)
        except readlimit.TooLargeError as exc:
            raise MemberError("load.too-large", exc.strerror or str(exc)) from None


def _wanted_name(ref: UpstreamRef) -> str:
    return posixpath.basename((ref.uri or "").split("?")[0].split("#")[0])


def _search_dirs(dirs: tuple[Path, ...], ref: UpstreamRef) -> Iterator[Path]:
    """Candidate manifest files for a uri upstream: every manifest-like file in the
    folders (and their direct subfolders), those whose name matches first."""
    wanted = _wanted_name(ref)
    names: list[Path] = []
    for base in dirs:
        if not base.is_dir():
            continue
        for pattern in ("*.yaml", "*.yml", "*.json", "*/rebuild.yaml", "*/rebuild.yml",
                        "*/rebuild.json"):
            names.extend(p for p in sorted(base.glob(pattern))
                         if p.is_file() and not p.is_symlink())
    names.sort(key=lambda p: (p.name != wanted, str(p)))
    seen: set[Path] = set()
    for p in names:
        if p not in seen:
            seen.add(p)
            yield p


def find_offline(dirs: tuple[Path, ...], ref: UpstreamRef, strong: Mapping[str, str],
                 limit: int) -> tuple[Path, bytes] | None:
    """The first manifest in ``dirs`` whose bytes match the pin; else the first whose
    name matches the uri's (so that a changed upstream is reported as a mismatch)."""
    by_name: tuple[Path, bytes] | None = None
    wanted = _wanted_name(ref)
    for path in _search_dirs(dirs, ref):
        try:
            size = path.stat().st_size
            if size > limit:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if digest_matches(data, strong):
            return path, data
        if by_name is None and wanted and path.name == wanted:
            by_name = (path, data)
    return by_name


def fetch(resolver: UpstreamResolver, strong: Mapping[str, str],
          limit: int) -> tuple[str, bytes] | None:
    """The manifest from ``resolver`` (a registry), with its label, when it has one
    whose bytes match; a resolver that fails counts as not having it."""
    try:
        data = resolver(dict(strong))
    except Exception:  # a resolver is the caller's code: its failure is "not found"
        return None
    if data is None or len(data) > limit or not digest_matches(data, strong):
        return None
    alg = sorted(strong)[0]
    return f"registry:{alg}:{strong[alg]}", data
