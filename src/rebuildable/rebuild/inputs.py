"""Getting a step's inputs: shipped files verified by digest, external artifacts from
``--inputs-dir`` or ``--fetch``, and artifacts of upstream releases.

Every resolver answers with a local file (copied into the rebuild's private folder) or
with the reason it cannot; nothing here raises for a bad or missing input.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from rebuildable import schema
from rebuildable._version import __version__
from rebuildable.digest import ALGORITHMS, CHUNK, pinned_digests, strong_pin
from rebuildable.errors import MemberError
from rebuildable.load import Limits
from rebuildable.model import Artifact, Manifest, UpstreamRef
from rebuildable.rebuild.plan import external_place, upstream_base
from rebuildable.release import FolderRelease, Release, safe_relative
from rebuildable.upstream import digest_matches, find_offline

#: download bound when an external artifact declares no size
MAX_FETCH_BYTES = 8 * 1024**3
FETCH_TIMEOUT = 60.0


def usable_algorithms(digest: Mapping[str, str]) -> list[str]:
    """Declared algorithms this machine can compute (strong ones first)."""
    names = [n for n in digest if n in ALGORITHMS and ALGORITHMS[n].factory is not None]
    return sorted(names, key=lambda n: (not ALGORITHMS[n].strong, n))


class Unavailable(Exception):  # noqa: N818 - a value more than an error
    """An input cannot be had; ``reason`` says why, for the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def copy_verified(src: BinaryIO, dst: Path, digest: Mapping[str, str], *,
                  limit: int | None = None) -> int:
    """Copy ``src`` to ``dst`` while hashing; raise :class:`Unavailable` on any mismatch.

    Every declared algorithm that is available here must match, and at least one of
    them must be strong.
    """
    algs = usable_algorithms(digest)
    if not strong_pin(digest, checkable=True):
        raise Unavailable("no strong digest that this machine can check")
    hashers = {}
    for name in algs:
        factory = ALGORITHMS[name].factory
        assert factory is not None
        hashers[name] = factory()
    size = 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("wb") as out:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            if limit is not None and size > limit:
                raise Unavailable(f"larger than its declared size ({limit} bytes)")
            for h in hashers.values():
                h.update(chunk)
            out.write(chunk)
    bad = [n for n, h in hashers.items() if h.hexdigest() != digest[n]]
    if bad:
        dst.unlink(missing_ok=True)
        raise Unavailable(f"its bytes do not match the declared {', '.join(bad)} digest")
    return size


def hash_file(path: Path, algorithms: list[str]) -> dict[str, str]:
    hashers = {}
    for name in algorithms:
        factory = ALGORITHMS[name].factory
        assert factory is not None
        hashers[name] = factory()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            for h in hashers.values():
                h.update(chunk)
    return {n: h.hexdigest() for n, h in hashers.items()}


@dataclass
class ExternalResolver:
    """Finds external (``uri``) artifacts in ``--inputs-dir`` folders or downloads them."""

    inputs_dirs: tuple[Path, ...]
    fetch: bool
    store: Path  # private folder for downloads
    fetch_timeout: float = FETCH_TIMEOUT
    _index: list[tuple[Path, int]] | None = None
    _hashes: dict[tuple[Path, str], str] = field(default_factory=dict)
    _done: dict[str, tuple[Path, str]] = field(default_factory=dict)

    def _files(self) -> list[tuple[Path, int]]:
        if self._index is None:
            found: list[tuple[Path, int]] = []
            for base in self.inputs_dirs:
                for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
                    dirnames.sort()
                    for name in sorted(filenames):
                        p = Path(dirpath, name)
                        try:
                            st = p.lstat()
                        except OSError:
                            continue
                        if stat.S_ISREG(st.st_mode):
                            found.append((p, st.st_size))
            self._index = found
        return self._index

    def _digest_of(self, path: Path, alg: str) -> str:
        key = (path, alg)
        if key not in self._hashes:
            self._hashes[key] = hash_file(path, [alg])[alg]
        return self._hashes[key]

    def resolve(self, art: Artifact) -> tuple[Path, str]:
        """(a local file with the artifact's bytes, where it came from); or Unavailable."""
        key = f"{art.uri}|{sorted(art.digest.items())}"
        if key in self._done:
            return self._done[key]
        algs = usable_algorithms(art.digest)
        if not strong_pin(art.digest, checkable=True):
            raise Unavailable("no strong digest that this machine can check")
        for path, size in self._files():
            if art.size is not None and size != art.size:
                continue
            try:
                if all(self._digest_of(path, a) == art.digest[a] for a in algs):
                    self._done[key] = (path, f"inputs-dir:{path}")
                    return self._done[key]
            except OSError:
                continue
        reasons = []
        if self.inputs_dirs:
            reasons.append("no file with its digest in --inputs-dir")
        if self.fetch:
            try:
                got = self._download(art)
            except Unavailable as exc:
                reasons.append(f"download failed: {exc.reason}")
            else:
                self._done[key] = (got, f"fetched:{art.uri}")
                return self._done[key]
        else:
            reasons.append("not fetched (pass --fetch to download it, or --inputs-dir)")
        raise Unavailable("; ".join(reasons))

    def _download(self, art: Artifact) -> Path:
        uri = art.uri or ""
        scheme = urllib.parse.urlsplit(uri).scheme.lower()
        if scheme not in ("https", "http"):
            raise Unavailable(f"only https and http URIs are fetched, not {scheme or uri!r}")
        dst = self.store / "fetched" / art.id
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            uri, headers={"User-Agent": f"rebuildable/{__version__}"})
        limit = art.size if art.size is not None else MAX_FETCH_BYTES
        try:
            with urllib.request.urlopen(request, timeout=self.fetch_timeout) as resp:  # noqa: S310 - scheme checked above
                copy_verified(resp, dst, art.digest, limit=limit)
        except Unavailable:
            raise
        except urllib.error.HTTPError as exc:
            raise Unavailable(f"HTTP {exc.code} from {uri}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise Unavailable(f"{uri}: {reason}") from exc
        return dst


@dataclass
class UpstreamResolver:
    """Finds artifacts of upstream releases: inside the release (``manifest.path``) or in
    ``--upstream-dir`` folders (a manifest whose bytes match the pinned digest)."""

    release: Release
    upstream_dirs: tuple[Path, ...]
    externals: ExternalResolver
    _loaded: dict[str, tuple[Manifest, Callable[[str], BinaryIO]]] = field(default_factory=dict)

    def _manifest(self, ref: UpstreamRef) -> tuple[Manifest, Callable[[str], BinaryIO]]:
        # Found the way validation finds it (rebuildable.upstream): inside the release at
        # ``manifest.path``, else in ``--upstream-dir`` by its pinned digest.
        if ref.id in self._loaded:
            return self._loaded[ref.id]
        strong = pinned_digests(ref.digest, checkable=True)
        if not strong:
            raise Unavailable(f"upstream {ref.id!r} has no strong manifest digest to check")
        raw: bytes | None = None
        opener: Callable[[str], BinaryIO] | None = None
        if ref.path is not None and safe_relative(ref.path):
            try:
                with self.release.open(ref.path) as fh:
                    raw = fh.read()
            except (MemberError, OSError):
                raw = None
            if raw is not None and digest_matches(raw, strong):
                base = posixpath.dirname(ref.path)

                def in_release(path: str, base: str = base) -> BinaryIO:
                    return self.release.open(posixpath.join(base, path) if base else path)

                opener = in_release
        if opener is None:
            found = find_offline(self.upstream_dirs, ref, strong, Limits().max_bytes)
            if found is not None and digest_matches(found[1], strong):
                path, raw = found
                on_disk = FolderRelease(path.parent, path.name, str(path))
                opener = on_disk.open
        if raw is None or opener is None:
            where = "inside the release" if ref.path else "given"
            raise Unavailable(f"no manifest of upstream {ref.id!r} matching its pinned digest "
                              f"{where} or in --upstream-dir")
        loaded = schema.load_document(raw, ref.path or f"{ref.id}/rebuild.yaml")
        if loaded.document is None:
            raise Unavailable(f"the manifest of upstream {ref.id!r} cannot be read")
        manifest = Manifest.from_data(loaded.document.data)
        self._loaded[ref.id] = (manifest, opener)
        return manifest, opener

    def resolve(self, ref: UpstreamRef | None, name: str, dst_root: Path,
                ) -> tuple[str, Path, str]:
        """Place upstream artifact ``name`` under ``dst_root``: (place, file, origin)."""
        if ref is None:
            raise Unavailable("the upstream is not declared")
        manifest, opener = self._manifest(ref)
        art = manifest.artifact_index().get(name)
        if art is None:
            raise Unavailable(f"upstream {ref.id!r} lists no artifact {name!r}")
        base = upstream_base(ref)
        if art.path is None:
            path, origin = self.externals.resolve(art)
            place = posixpath.join(base, external_place(art)) if base else external_place(art)
            return place, path, origin
        if not safe_relative(art.path):
            raise Unavailable(f"upstream artifact path {art.path!r} is not a safe relative path")
        place = posixpath.join(base, art.path) if base else art.path
        dst = dst_root / f"upstream-{ref.id}" / art.id
        try:
            with opener(art.path) as fh:
                copy_verified(fh, dst, art.digest)
        except (MemberError, OSError) as exc:
            raise Unavailable(f"{art.path} of upstream {ref.id!r}: {exc}") from exc
        return place, dst, f"upstream:{ref.id}"


def place_file(src: Path, work: Path, place: str, mtime: int, executable: bool = False) -> None:
    """Copy ``src`` into the work folder at relative ``place``, with a fixed mtime."""
    dst = work.joinpath(*place.split("/"))
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o755 if executable else 0o644)
    os.utime(dst, (mtime, mtime))
