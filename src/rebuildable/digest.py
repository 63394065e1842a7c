"""Digest algorithms and streaming hashing of release members.

Files are read in chunks, never whole. ``hash_members`` is the one entry point the
checks use; it may hash on several threads (hashlib releases the GIL on large
updates).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from rebuildable.errors import MemberError
from rebuildable.progress import NO_PROGRESS, Progress

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Algorithm:
    name: str
    hex_len: int
    strong: bool
    factory: Callable[[], Any] | None  # None when not available on this machine


def _blake3_factory() -> Callable[[], Any] | None:
    try:
        import blake3  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    return blake3.blake3  # type: ignore[no-any-return]


ALGORITHMS: dict[str, Algorithm] = {
    "sha256": Algorithm("sha256", 64, True, hashlib.sha256),
    "sha384": Algorithm("sha384", 96, True, hashlib.sha384),
    "sha512": Algorithm("sha512", 128, True, hashlib.sha512),
    "sha3-256": Algorithm("sha3-256", 64, True, hashlib.sha3_256),
    "sha3-512": Algorithm("sha3-512", 128, True, hashlib.sha3_512),
    "blake2b": Algorithm("blake2b", 128, True, hashlib.blake2b),
    "blake3": Algorithm("blake3", 64, True, _blake3_factory()),
    "md5": Algorithm("md5", 32, False, lambda: hashlib.md5(usedforsecurity=False)),
    "sha1": Algorithm("sha1", 40, False, lambda: hashlib.sha1(usedforsecurity=False)),
}
DEFAULT_ALGORITHM = "sha256"
_HEX = re.compile(r"[0-9a-f]+\Z")


def available(name: str) -> bool:
    alg = ALGORITHMS.get(name)
    return alg is not None and alg.factory is not None


def well_formed(name: str, value: str) -> bool:
    """True when ``value`` is lower-case hex of the right length for algorithm ``name``."""
    alg = ALGORITHMS.get(name)
    return alg is not None and len(value) == alg.hex_len and bool(_HEX.match(value))


def hash_stream(stream: BinaryIO, algorithms: Iterable[str],
                advance: Callable[[int], None] | None = None) -> tuple[dict[str, str], int]:
    """Hash a stream with several algorithms in one pass; returns (digests, size)."""
    hashers = {}
    for name in algorithms:
        factory = ALGORITHMS[name].factory
        if factory is None:
            raise ValueError(f"digest algorithm {name!r} is not available")
        hashers[name] = factory()
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        for h in hashers.values():
            h.update(chunk)
        if advance is not None:
            advance(len(chunk))
    return {name: h.hexdigest() for name, h in hashers.items()}, size


@dataclass(frozen=True, slots=True)
class HashJob:
    path: str
    algorithms: tuple[str, ...]
    size_hint: int = 0  # for scheduling and progress


@dataclass(slots=True)
class HashResult:
    path: str
    digests: dict[str, str] = field(default_factory=dict)
    size: int | None = None
    error: MemberError | None = None
    changed: bool = False  # the file's size or mtime moved while it was read


def hash_members(open_member: Callable[[str], BinaryIO], jobs: Iterable[HashJob], *,
                 workers: int = 2, progress: Progress = NO_PROGRESS) -> Mapping[str, HashResult]:
    """Hash every job's member; a member that cannot be read gets ``error`` set."""
    results: dict[str, HashResult] = {}
    job_list = list(jobs)
    progress.start("hashing", sum(j.size_hint for j in job_list))
    try:
        for job in job_list:
            result = HashResult(job.path)
            try:
                with open_member(job.path) as fh:
                    result.digests, result.size = hash_stream(fh, job.algorithms, progress.advance)
            except MemberError as exc:
                result.error = exc
            except OSError as exc:
                result.error = MemberError("release.unreadable", f"{job.path}: {exc.strerror or exc}")
            results[job.path] = result
    finally:
        progress.finish()
    return results
