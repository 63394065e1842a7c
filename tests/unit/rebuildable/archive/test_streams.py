"""A release read from a stream that cannot seek (``validate -``): the first bytes are
sniffed before anything is copied aside, and the copy is bounded."""

from __future__ import annotations

import io
from typing import Any

import pytest

from rebuildable.archive import ArchiveLimits
from rebuildable.errors import ReleaseError
from rebuildable.release import open_release

MiB = 1024 * 1024


class Pipe(io.RawIOBase):
    """A non-seekable stream of ``head`` then ``fill`` bytes up to ``size``, counting what
    was read."""

    def __init__(self, head: bytes, size: int, fill: bytes = b"x") -> None:
        super().__init__()
        self.head, self.size, self.fill, self.pos = head, size, fill, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self.size - self.pos)
        if n <= 0:
            return 0
        chunk = (self.head[self.pos:] + self.fill * n)[:n] if self.pos < len(self.head) \
            else self.fill * n
        view[:n] = chunk
        self.pos += n
        return n


def test_a_stream_that_is_no_archive_is_refused_after_its_first_block() -> None:
    pipe = Pipe(b"not an archive at all\n", 64 * MiB)
    with pytest.raises(ReleaseError) as caught:
        open_release(pipe)  # type: ignore[arg-type]
    assert caught.value.code == "release.unreadable"
    # Before: all 64 MiB (up to 256 GiB) were copied to disk first.
    assert pipe.pos <= 1 * MiB, pipe.pos


def test_the_copy_of_an_archive_stream_is_bounded() -> None:
    pipe = Pipe(b"\x1f\x8b\x08\x00", 64 * MiB, fill=b"\0")
    limits = ArchiveLimits(max_stream_bytes=4 * MiB)
    with pytest.raises(ReleaseError) as caught:
        open_release(pipe, archive_limits=limits)  # type: ignore[arg-type]
    assert caught.value.code == "release.archive-too-large"
    assert pipe.pos <= 5 * MiB, pipe.pos


def test_the_default_stream_bound_is_far_below_the_total_bound() -> None:
    limits = ArchiveLimits()
    assert limits.max_stream_bytes == 16 * 1024**3
    assert limits.max_stream_bytes < limits.max_total_bytes
