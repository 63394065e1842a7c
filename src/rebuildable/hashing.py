"""Hashing named files for ``rebuildable hash``: files, folders walked as a release is
(links and special files are skipped, never followed) and standard input.

Each path becomes a :class:`HashOutcome`; a path that cannot be hashed is an outcome with
``error`` set, so one bad path never hides the others.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO

from rebuildable.digest import hash_stream
from rebuildable.errors import MemberError
from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.release import EntryType, FolderRelease

__all__ = ["HashOutcome", "hash_paths"]

Opener = Callable[[], BinaryIO]


@dataclass(frozen=True)
class HashOutcome:
    label: str
    digests: dict[str, str] = field(default_factory=dict)
    size: int = 0
    #: why the path was not hashed (``skipped`` true: a link or special file in a folder)
    error: str | None = None
    skipped: bool = False


def _open_file(path: Path) -> BinaryIO:
    return path.open("rb")


def _targets(paths: Iterable[str], recursive: bool,
             stdin: BinaryIO | None) -> Iterator[tuple[str, Opener | HashOutcome]]:
    for raw in paths:
        if raw == "-":
            if stdin is None:
                yield raw, HashOutcome(raw, error="-: no standard input")
            else:
                yield raw, partial(lambda s: s, stdin)
            continue
        path = Path(raw)
        try:
            st = path.stat()
        except OSError as exc:
            yield raw, HashOutcome(raw, error=f"{raw}: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(st.st_mode):
            if not recursive:
                yield raw, HashOutcome(raw, error=f"{raw}: is a folder (hash every file in it "
                                                  "recursively)")
                continue
            release = FolderRelease(path, "", raw)
            for rel, entry in sorted(release.entries().items()):
                label = str(path / rel) if raw not in (".", "./") else rel
                if entry.type is EntryType.FILE:
                    yield label, partial(release.open, rel)
                elif entry.type is EntryType.SYMLINK:
                    yield label, HashOutcome(label, error="symbolic link", skipped=True)
                elif entry.type is EntryType.OTHER:
                    yield label, HashOutcome(label, error="not a regular file", skipped=True)
            continue
        if not stat.S_ISREG(st.st_mode):
            yield raw, HashOutcome(raw, error=f"{raw}: not a regular file")
            continue
        yield raw, partial(_open_file, path)


def _size_of(stream: BinaryIO) -> int:
    """The size of a regular file behind ``stream`` (0 when unknown: pipes, stdin)."""
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def hash_paths(paths: Iterable[str], algorithms: tuple[str, ...], *, recursive: bool = False,
               stdin: BinaryIO | None = None,
               progress: Progress = NO_PROGRESS) -> Iterator[HashOutcome]:
    for label, opener in _targets(paths, recursive, stdin):
        if isinstance(opener, HashOutcome):
            yield opener
            continue
        try:
            stream = opener()
            try:
                progress.start(label, _size_of(stream))
                digests, size = hash_stream(stream, algorithms, progress.advance)
                progress.finish()
            finally:
                if label != "-":
                    stream.close()
        except MemberError as exc:
            yield HashOutcome(label, error=f"{label}: {exc.message}")
            continue
        except OSError as exc:
            yield HashOutcome(label, error=f"{label}: {exc.strerror or exc}")
            continue
        yield HashOutcome(label, digests, size)
