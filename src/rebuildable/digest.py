"""Digest algorithms and streaming hashing of release members.

Files are read in chunks, never whole. ``hash_members`` is the one entry point the
checks use; it may hash on several threads (hashlib releases the GIL on large
updates).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from rebuildable.errors import MemberError
from rebuildable.progress import NO_PROGRESS, Progress

CHUNK = 1024 * 1024


class Algorithm:
    """A digest algorithm: its name, hex length, strength and hasher factory (``None``
    when not available on this machine). ``load`` defers finding the factory to first
    use, so an optional extra (blake3) is imported only by a release that uses it."""

    __slots__ = ("_factory", "_load", "hex_len", "name", "strong")

    def __init__(self, name: str, hex_len: int, strong: bool,
                 factory: Callable[[], Any] | None, *,
                 load: Callable[[], Callable[[], Any] | None] | None = None) -> None:
        self.name = name
        self.hex_len = hex_len
        self.strong = strong
        self._factory = factory
        self._load = load

    @property
    def factory(self) -> Callable[[], Any] | None:
        if self._load is not None:  # two threads may both load: same result, no harm
            self._factory = self._load()
            self._load = None
        return self._factory

    def __repr__(self) -> str:
        return f"Algorithm({self.name!r}, {self.hex_len}, {self.strong})"


def _blake3_factory() -> Callable[[], Any] | None:
    try:
        import blake3  # noqa: PLC0415 - optional extra
    except ImportError:
        return None
    factory: Callable[[], Any] = blake3.blake3
    return factory


ALGORITHMS: dict[str, Algorithm] = {
    "sha256": Algorithm("sha256", 64, True, hashlib.sha256),
    "sha384": Algorithm("sha384", 96, True, hashlib.sha384),
    "sha512": Algorithm("sha512", 128, True, hashlib.sha512),
    "sha3-256": Algorithm("sha3-256", 64, True, hashlib.sha3_256),
    "sha3-512": Algorithm("sha3-512", 128, True, hashlib.sha3_512),
    "blake2b": Algorithm("blake2b", 128, True, hashlib.blake2b),
    "blake3": Algorithm("blake3", 64, True, None, load=_blake3_factory),
    "md5": Algorithm("md5", 32, False, lambda: hashlib.md5(usedforsecurity=False)),
    "sha1": Algorithm("sha1", 40, False, lambda: hashlib.sha1(usedforsecurity=False)),
}
_HEX = re.compile(r"[0-9a-f]+\Z")


def available(name: str) -> bool:
    alg = ALGORITHMS.get(name)
    return alg is not None and alg.factory is not None


def well_formed(name: str, value: str) -> bool:
    """True when ``value`` is lower-case hex of the right length for algorithm ``name``."""
    alg = ALGORITHMS.get(name)
    return alg is not None and len(value) == alg.hex_len and bool(_HEX.match(value))


def pinned_digests(digest: Mapping[str, str], *, checkable: bool = False) -> dict[str, str]:
    """The entries of ``digest`` that count as a pin: a strong algorithm with a well-formed
    value (spec/manifest.md). With ``checkable``, only those this machine can compute:
    what a reader that must check bytes against the pin can rely on."""
    out: dict[str, str] = {}
    for name, value in digest.items():
        alg = ALGORITHMS.get(name)
        if alg is None or not alg.strong or not well_formed(name, value):
            continue
        if checkable and alg.factory is None:
            continue
        out[name] = value
    return out


def strong_pin(digest: Mapping[str, str], *, checkable: bool = False) -> bool:
    """The one rule for "pinned": at least one strong algorithm with a well-formed value
    (and, with ``checkable``, one this machine can compute)."""
    return bool(pinned_digests(digest, checkable=checkable))


def new_hashers(algorithms: Iterable[str]) -> dict[str, Any]:
    """A fresh hash object per algorithm name (ValueError for one not available here)."""
    hashers = {}
    for name in algorithms:
        alg = ALGORITHMS.get(name)
        if alg is None or alg.factory is None:
            raise ValueError(f"digest algorithm {name!r} is not available")
        hashers[name] = alg.factory()
    return hashers


def hash_stream(stream: BinaryIO, algorithms: Iterable[str],
                advance: Callable[[int], None] | None = None, *,
                buffer: bytearray | None = None,
                limit: int | None = None) -> tuple[dict[str, str], int]:
    """Hash a stream with several algorithms in one pass; returns (digests, size).

    The stream is read in :data:`CHUNK` pieces into one reusable buffer, never whole.
    With ``limit``, reading stops as soon as more than ``limit`` bytes were read (a
    file that keeps growing); the size returned then exceeds ``limit``.
    """
    hashers = list(new_hashers(algorithms).items())
    buf = buffer if buffer is not None else bytearray(CHUNK)
    view = memoryview(buf)
    readinto = getattr(stream, "readinto", None)
    size = 0
    while True:
        if readinto is not None:
            n = readinto(view)
            if not n:
                break
            chunk: Any = view[:n]
        else:
            chunk = stream.read(len(buf))
            n = len(chunk)
            if not n:
                break
        size += n
        for _, h in hashers:
            h.update(chunk)
        if advance is not None:
            advance(n)
        if limit is not None and size > limit:
            break
    return {name: h.hexdigest() for name, h in hashers}, size


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
    #: what the caller's ``inspect`` made of the member's bytes while it was open (None:
    #: not inspected, e.g. a large member of an archive, or a file that changed)
    inspected: object | None = None


#: looks at a member's bytes after they were hashed, through the same open handle:
#: (path, a seekable stream at any position, size) -> anything; must not close the stream
Inspector = Callable[[str, BinaryIO, int], object]

#: files at least this large get a thread-pool task of their own
BIG_FILE = 8 * CHUNK
#: small files are handed to the pool in batches of about this many bytes ...
BATCH_BYTES = 16 * CHUNK
#: ... or this many files
BATCH_FILES = 256


def _fstat(stream: BinaryIO) -> tuple[int, ...] | None:
    """(device, inode, size, mtime) of an open file, like ``Release.identity``."""
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _hash_read(fh: BinaryIO, algorithms: tuple[str, ...], view: memoryview,
               advance: Callable[[int], None] | None, *, limit: int | None, keep: bool
               ) -> tuple[dict[str, str], int, bytes | None]:
    """Hash ``fh`` to its end (or past ``limit``); with ``keep``, also the whole content
    when it came in one read (files up to :data:`CHUNK` bytes), to inspect without a seek."""
    # Availability was checked once for all jobs (hash_members): no per-file lookup.
    hashers = [ALGORITHMS[name].factory() for name in algorithms]  # type: ignore[misc]
    readinto: Callable[[memoryview], int] = getattr(fh, "readinto")  # noqa: B009 - not on BinaryIO
    size = reads = 0
    whole: bytes | None = None
    while limit is None or size <= limit:
        n = readinto(view)
        if not n:
            if keep and reads == 1:  # the buffer still holds the one chunk there was
                whole = bytes(view[:size])
            break
        reads += 1
        size += n
        chunk = view[:n]
        for h in hashers:
            h.update(chunk)
        if advance is not None:
            advance(n)
    if len(hashers) == 1:
        return {algorithms[0]: hashers[0].hexdigest()}, size, whole
    return dict(zip(algorithms, (h.hexdigest() for h in hashers), strict=True)), size, whole


def _hash_one(job: HashJob, open_member: Callable[[str], BinaryIO], view: memoryview,
              advance: Callable[[int], None] | None, *,
              identify: Callable[[str], tuple[int, ...] | None] | None,
              inspect: Inspector | None = None) -> HashResult:
    path = job.path
    result = HashResult(path)
    try:
        with open_member(path) as fh:
            opened = _fstat(fh)
            limit = opened[2] if opened is not None else None
            if hasattr(fh, "readinto"):
                result.digests, result.size, whole = _hash_read(
                    fh, job.algorithms, view, advance, limit=limit, keep=inspect is not None)
            else:
                whole = None
                result.digests, result.size = hash_stream(
                    fh, job.algorithms, advance, buffer=view.obj,  # type: ignore[arg-type]
                    limit=limit)
            if inspect is not None:
                # One open serves both: the bytes in memory, or the same handle.
                if whole is not None:
                    result.inspected = inspect(path, io.BytesIO(whole), len(whole))
                elif _seekable(fh):
                    result.inspected = inspect(path, fh, result.size)
            # After the read, the path must still name the same, unmodified file: a
            # write moves size or mtime, a replacement moves the inode.
            after = identify(path) if identify is not None else None
            if after is None:
                after = _fstat(fh)
    except MemberError as exc:
        result.error = exc
        return result
    except OSError as exc:
        result.error = MemberError("release.unreadable", f"{path}: {exc.strerror or exc}")
        return result
    if opened is not None and (after != opened or result.size != opened[2]):
        result.changed = True
        result.inspected = None
    return result


def _seekable(fh: BinaryIO) -> bool:
    try:
        return bool(fh.seekable())
    except (OSError, ValueError):
        return False


def _tasks(jobs: list[HashJob]) -> list[list[HashJob]]:
    """Big files one task each (largest first), small files batched by bytes."""
    big = sorted((j for j in jobs if j.size_hint >= BIG_FILE), key=lambda j: -j.size_hint)
    tasks = [[j] for j in big]
    batch: list[HashJob] = []
    batch_bytes = 0
    for job in jobs:
        if job.size_hint >= BIG_FILE:
            continue
        batch.append(job)
        batch_bytes += job.size_hint
        if batch_bytes >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            tasks.append(batch)
            batch, batch_bytes = [], 0
    if batch:
        tasks.append(batch)
    return tasks


class _LockedAdvance:
    """Serialises progress updates coming from several worker threads."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._lock = threading.Lock()

    def __call__(self, amount: int) -> None:
        with self._lock:
            self._progress.advance(amount)


def hash_members(open_member: Callable[[str], BinaryIO], jobs: Iterable[HashJob], *,
                 workers: int = 2, progress: Progress = NO_PROGRESS, parallel: bool = True,
                 identify: Callable[[str], tuple[int, ...] | None] | None = None,
                 inspect: Inspector | None = None) -> Mapping[str, HashResult]:
    """Hash every job's member with all its algorithms in one read.

    A member that cannot be read gets ``error`` set; one that changed while it was read
    (size or mtime moved, or ``identify`` saw another file afterwards) gets ``changed``.
    With ``inspect``, each member is also inspected through the handle it was hashed
    from (its bytes in memory when it came in one read), its result in ``inspected``.
    With ``parallel`` (folder releases) the work runs on ``workers`` threads: a task per
    big file, small files batched by bytes. Otherwise members are read one after the
    other, in the order given (archives: data order, one forward pass).
    """
    job_list = list(jobs)
    for name in {name for job in job_list for name in job.algorithms}:
        if not available(name):  # unknown or unavailable algorithms are a caller bug
            raise ValueError(f"digest algorithm {name!r} is not available")
    results: dict[str, HashResult] = {}
    # Without a progress display, nothing to serialise per chunk.
    advance = None if progress is NO_PROGRESS else _LockedAdvance(progress)
    progress.start("hashing", sum(j.size_hint for j in job_list))
    try:
        tasks = _tasks(job_list) if parallel and workers > 1 and len(job_list) > 1 else []
        if len(tasks) > 1:
            # the thread pool (and the logging it imports) only for a release worth it
            from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

            def run(task: list[HashJob]) -> list[HashResult]:
                view = memoryview(bytearray(CHUNK))
                return [_hash_one(j, open_member, view, advance, identify=identify,
                                  inspect=inspect)
                        for j in task]

            with ThreadPoolExecutor(max_workers=min(workers, len(tasks)),
                                    thread_name_prefix="rebuildable-hash") as pool:
                for done in pool.map(run, tasks):
                    for result in done:
                        results[result.path] = result
        else:
            view = memoryview(bytearray(CHUNK))
            for job in job_list:
                results[job.path] = _hash_one(job, open_member, view, advance,
                                              identify=identify, inspect=inspect)
    finally:
        progress.finish()
    return {job.path: results[job.path] for job in job_list}
