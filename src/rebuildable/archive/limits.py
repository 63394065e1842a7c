"""Bounds that keep a hostile archive from exhausting time, memory or disk, and the
errors the readers translate into findings."""

from __future__ import annotations

import lzma
import tarfile
import zipfile
import zlib
from dataclasses import dataclass

GiB = 1024 ** 3
MiB = 1024 ** 2

#: Errors the decompressors and archive readers raise on bad data.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError,
    EOFError, NotImplementedError, RuntimeError, ValueError, OSError,
)


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds that keep a hostile archive from exhausting time, memory or disk."""

    #: largest (decompressed) member
    max_member_bytes: int = 64 * GiB
    #: largest decompressed total, and largest stream spooled from a pipe
    max_total_bytes: int = 256 * GiB
    max_members: int = 200_000
    #: decompressed / compressed bytes beyond which data counts as a bomb ...
    max_ratio: int = 100
    #: ... once it decompresses to more than this many bytes
    ratio_floor: int = 64 * MiB
    #: largest single tar metadata record (GNU long name or link, PAX header)
    max_header_bytes: int = 1 * MiB
    #: largest total of tar metadata records in one archive
    max_metadata_bytes: int = 64 * MiB
    #: the most metadata records (GNU long names, PAX headers) before one member
    max_header_chain: int = 8
    #: the most bytes copied aside from a stream that cannot seek (standard input); never
    #: more than max_total_bytes either
    max_stream_bytes: int = 16 * GiB

    def bound(self, compressed: int) -> int:
        """How far a compressed stream of ``compressed`` bytes may decompress."""
        return min(self.max_total_bytes, max(self.ratio_floor, self.max_ratio * compressed))


class MetadataTooLargeError(tarfile.TarError):
    """A tar metadata record (or all of them together) is beyond the limits."""


class TooLargeError(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(f"data beyond byte {offset}")
        self.offset = offset


READ_ERRORS: tuple[type[BaseException], ...] = (TooLargeError, *DATA_ERRORS)


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError):
        return f"compressed data ends early: {text}"
    return text
