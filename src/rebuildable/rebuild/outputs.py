"""Taking bytes out of a place a step could write: into a file the rebuilder makes new,
never through a link, never more than a bound, never past a deadline, and a sparse
file's holes kept as holes (a ``truncate -s 60G`` costs the step nothing: copied densely
it would cost the machine 60 GB of disk)."""

from __future__ import annotations

import errno
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from rebuildable.defaults import DEFAULT_MAX_OUTPUT_SIZE

CHUNK = 1024 * 1024
_ZEROS = memoryview(bytes(CHUNK))
__all__ = ["DEFAULT_MAX_OUTPUT_SIZE", "OutputOverTimeError", "OutputTooLargeError",
           "copy_new"]


class OutputTooLargeError(ValueError):
    """More bytes than the bound."""


class OutputOverTimeError(TimeoutError):
    """The deadline passed before the copy ended."""

    def __init__(self, copied: int) -> None:
        super().__init__(f"deadline passed after {copied} bytes")
        self.copied = copied


def _data_regions(src: BinaryIO) -> tuple[int, Iterator[tuple[int, int]]] | None:
    """(size, the (start, end) spans holding data) of a plain file; None when the file
    or the system cannot tell (an archive member, no SEEK_DATA)."""
    seek_data, seek_hole = getattr(os, "SEEK_DATA", None), getattr(os, "SEEK_HOLE", None)
    if seek_data is None or seek_hole is None:  # pragma: no cover - not Linux/BSD
        return None
    try:
        fd = src.fileno()
        size = os.fstat(fd).st_size
        os.lseek(fd, 0, seek_hole)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None

    def spans() -> Iterator[tuple[int, int]]:
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, seek_data)
            except OSError as exc:
                if exc.errno == errno.ENXIO:  # only a hole up to the end
                    return
                raise
            if start >= size:
                return
            end = min(os.lseek(fd, start, seek_hole), size)
            yield start, end
            pos = end

    return size, spans()


class _Copy:
    def __init__(self, out: BinaryIO, bound: int | None, deadline: float | None,
                 hasher: Any | None) -> None:
        self.out, self.bound, self.deadline, self.hasher = out, bound, deadline, hasher
        self.copied = 0

    def _count(self, n: int) -> None:
        self.copied += n
        if self.bound is not None and self.copied > self.bound:
            raise OutputTooLargeError(f"more than {self.bound} bytes")
        # checked after a chunk: an output of one chunk always makes it
        if (self.deadline is not None and self.copied > CHUNK
                and time.monotonic() > self.deadline):
            raise OutputOverTimeError(self.copied)

    def data(self, src: BinaryIO, length: int | None) -> None:
        """``length`` bytes of ``src`` (all of it when None)."""
        while length is None or length > 0:
            chunk = src.read(CHUNK if length is None else min(CHUNK, length))
            if not chunk:
                return
            self._count(len(chunk))
            if self.hasher is not None:
                self.hasher.update(chunk)
            self.out.write(chunk)
            if length is not None:
                length -= len(chunk)

    def hole(self, length: int) -> None:
        """``length`` zero bytes that take no disk (the output seeks over them)."""
        while length > 0:
            n = min(CHUNK, length)
            self._count(n)
            if self.hasher is not None:
                self.hasher.update(_ZEROS[:n])
            length -= n
        self.out.seek(self.copied)


def copy_new(src: BinaryIO, dst: Path, bound: int | None, *, deadline: float | None = None,
             hasher: Any | None = None) -> Path:
    """Copy ``src`` into ``dst``, which must not exist yet (O_EXCL, O_NOFOLLOW): a
    file or link someone made there in advance is an error, never written through.

    At most ``bound`` bytes (:class:`OutputTooLargeError`), and not past ``deadline``
    (``time.monotonic()``; :class:`OutputOverTimeError`); holes of a sparse ``src``
    stay holes. ``hasher`` (hashlib-like) is fed every byte, holes included."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(dst, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            copy = _Copy(out, bound, deadline, hasher)
            layout = _data_regions(src)
            if layout is None:
                copy.data(src, None)
            else:
                size, spans = layout
                for start, end in spans:
                    copy.hole(start - copy.copied)
                    src.seek(start)
                    copy.data(src, end - start)
                copy.hole(size - copy.copied)
                out.truncate(copy.copied)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise
    return dst
