"""Byte streams under the archive readers: bounded decompression, a member's exact
data, and a stream seen from an offset."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import threading
import zlib
from collections.abc import Callable
from typing import IO, Any, BinaryIO, cast

from rebuildable.archive.limits import READ_ERRORS, TooLargeError, describe
from rebuildable.errors import MemberError


class Bounded(io.RawIOBase):
    """A read-only view of a (decompressed) stream that refuses to go past ``bound``.

    Seeking forward is checked before the inner stream decompresses anything, so a
    member that claims terabytes is refused at once.
    """

    def __init__(self, inner: IO[bytes], bound: int) -> None:
        super().__init__()
        self.inner = inner
        self.bound = bound
        self.pos = 0
        self.exceeded = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def _check(self, end: int) -> None:
        if end > self.bound:
            self.exceeded = True
            raise TooLargeError(end)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        # One byte past the bound is enough to know the bound is exceeded.
        want = min(len(view), self.bound - self.pos + 1)
        data = self.inner.read(want)
        n = len(data)
        view[:n] = data
        self.pos += n
        self._check(self.pos)
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self.pos
        elif whence != io.SEEK_SET:
            raise OSError("only SEEK_SET and SEEK_CUR are supported")
        self._check(offset)
        self.pos = self.inner.seek(offset)
        return self.pos


class MemberStream(io.RawIOBase):
    """A member's data: exactly its declared size, or a :class:`MemberError`."""

    def __init__(self, inner: IO[bytes], path: str, size: int, crc: int | None,
                 lock: threading.Lock | None = None, *,
                 end_check: Callable[[], str | None] | None = None,
                 scan: Callable[[bytes], str | None] | None = None) -> None:
        super().__init__()
        #: sees each chunk of the data: why the container would end the member there
        self._scan = scan
        #: once the data is read whole: why its container disagrees on where it ends
        self._end_check = end_check
        self._lock = lock or threading.Lock()
        self._inner = inner
        self._path = path
        self._size = size
        self._crc = crc
        self._running = 0
        self._read = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._done:
            return 0
        view = memoryview(buffer).cast("B")
        try:
            with self._lock:  # tar members share one (decompressing) stream
                data = self._inner.read(len(view))
        except MemberError:
            raise
        except READ_ERRORS as exc:
            raise MemberError("release.archive-corrupt",
                              f"{self._path}: {describe(exc)}") from exc
        n = len(data)
        self._read += n
        if self._read > self._size:
            raise MemberError("release.archive-too-large",
                              f"{self._path} decompresses to more than its declared {self._size} "
                              "bytes (zip bomb)")
        if self._crc is not None:
            self._running = zlib.crc32(data, self._running)
        why = self._scan(data) if self._scan is not None and n else None
        if why is not None:
            raise MemberError("release.archive-ambiguous-data", f"{self._path}: {why}")
        if n == 0 and len(view):
            self._done = True
            if self._read < self._size:
                raise MemberError("release.archive-corrupt",
                                  f"{self._path}: data ends after {self._read} of "
                                  f"{self._size} bytes")
            if self._crc is not None and self._running != self._crc:
                raise MemberError("release.archive-corrupt",
                                  f"{self._path}: CRC-32 does not match (corrupt member)")
            why = self._end_check() if self._end_check is not None else None
            if why is not None:
                raise MemberError("release.archive-ambiguous-data", f"{self._path}: {why}")
            return 0
        view[:n] = data
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def decompressor(kind: str, fileobj: BinaryIO) -> IO[bytes]:
    if kind == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=fileobj, mode="rb"))
    if kind == "bzip2":
        return bz2.BZ2File(fileobj, mode="rb")
    if kind == "xz":
        return lzma.LZMAFile(fileobj, mode="rb")
    raise ValueError(f"unknown compression {kind!r}")


class Window(io.RawIOBase):
    """A seekable stream seen from ``start`` on (a stream handed to us mid-way)."""

    def __init__(self, inner: BinaryIO, start: int) -> None:
        super().__init__()
        self._inner = inner
        self._start = start

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            return self._inner.seek(self._start + offset) - self._start
        return self._inner.seek(offset, whence) - self._start

    def tell(self) -> int:
        return self._inner.tell() - self._start

    def close(self) -> None:
        # The caller owns the stream it handed us.
        super().close()
