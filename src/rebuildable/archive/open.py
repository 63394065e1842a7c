"""Opening an archive: sniffing the container format, spooling a pipe, picking a reader."""

from __future__ import annotations

import io
import os
import tempfile
from typing import BinaryIO

from rebuildable.archive.base import ArchiveRelease
from rebuildable.archive.limits import ArchiveLimits, MiB
from rebuildable.archive.streams import Window
from rebuildable.archive.tar import TarRelease
from rebuildable.archive.zip import ZipRelease
from rebuildable.errors import ReleaseError

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_COMPRESSION_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)


def sniff(head: bytes) -> str | None:
    """The container format of bytes starting with ``head`` (>= 512 bytes when possible).

    Returns "zip", "tar", "tar+gzip", "tar+bzip2", "tar+xz" or None.
    """
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    for magic, name in _COMPRESSION_MAGIC:
        if head.startswith(magic):
            return f"tar+{name}"
    if len(head) >= 512 and _is_tar_header(head[:512]):
        return "tar"
    return None


def _is_tar_header(block: bytes) -> bool:
    if block[257:262] == b"ustar":
        return True
    # Old (v7) tar: no magic, only a header checksum.
    try:
        stored = int(block[148:156].strip(b"\x00 ") or b"-1", 8)
    except ValueError:
        return False
    unsigned = 256 + sum(block[:148]) + sum(block[156:512])
    return stored == unsigned and block[0] != 0


def _read_head(fileobj: BinaryIO) -> bytes:
    head = b""
    while len(head) < 512:
        chunk = fileobj.read(512 - len(head))
        if not chunk:
            break
        head += chunk
    return head


def _seekable(fileobj: BinaryIO) -> bool:
    try:
        return fileobj.seekable()
    except (AttributeError, OSError, ValueError):
        return False


def _spool(stream: BinaryIO, head: bytes, limit: int, label: str) -> BinaryIO:
    """Copy ``head`` and the rest of a non-seekable stream to a private, already-unlinked
    temporary file, refusing a stream longer than ``limit``."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the release
    total = len(head)
    try:
        spool.write(head)
        while True:
            chunk = stream.read(MiB)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise ReleaseError("release.archive-too-large",
                                   f"{label}: the stream is longer than {limit} bytes (the "
                                   "bound on what is copied aside to read it)", path=label)
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def _spool_archive(stream: BinaryIO, label: str, limits: ArchiveLimits,
                   owns_file: bool) -> BinaryIO:
    """Sniff a non-seekable stream's first block, then copy it aside (bounded): a stream
    that is no archive is refused before anything is written to disk."""
    try:
        try:
            head = _read_head(stream)
            if sniff(head) is None:
                raise _not_an_archive(label)
            bound = min(limits.max_stream_bytes, limits.max_total_bytes)
            return _spool(stream, head, bound, label)
        except OSError as exc:
            raise ReleaseError("release.unreadable", f"{label}: {exc.strerror or exc}",
                               path=label) from exc
    finally:
        if owns_file:
            stream.close()


def _not_an_archive(label: str) -> ReleaseError:
    return ReleaseError("release.unreadable",
                        f"{label}: not a folder, manifest or supported archive "
                        "(.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip)", path=label)


def open_archive(fileobj: BinaryIO, label: str, *, limits: ArchiveLimits | None = None,
                 owns_file: bool = False) -> ArchiveRelease:
    """Open an archive from a binary file object; spools it first when it cannot seek.

    Raises :class:`ReleaseError` when the data is no supported archive, is unreadable,
    or holds no (or more than one) manifest.
    """
    limits = limits or ArchiveLimits()
    if not _seekable(fileobj):
        fileobj, owns_file = _spool_archive(fileobj, label, limits, owns_file), True
    try:
        start = fileobj.tell()
        head = _read_head(fileobj)
        fileobj.seek(start)
        if start:
            fileobj = io.BufferedReader(Window(fileobj, start), MiB)
    except OSError as exc:
        if owns_file:
            fileobj.close()
        raise ReleaseError("release.unreadable", f"{label}: {exc.strerror or exc}",
                           path=label) from exc
    kind = sniff(head)
    if kind is None:
        if owns_file:
            fileobj.close()
        raise _not_an_archive(label)
    if kind == "zip":
        return ZipRelease(fileobj, label, limits, owns_file)
    compression = kind.partition("+")[2] or None
    return TarRelease(fileobj, label, compression, limits, owns_file)


def open_archive_path(path: os.PathLike[str] | str, label: str, *,
                      limits: ArchiveLimits | None = None) -> ArchiveRelease | None:
    """Open ``path`` as an archive, or return None when it is not one."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - owned by the release
    except OSError as exc:
        raise ReleaseError("release.unreadable", f"{label}: {exc.strerror or exc}",
                           path=label) from exc
    try:
        head = _read_head(fh)
        fh.seek(0)
    except OSError as exc:
        fh.close()
        raise ReleaseError("release.unreadable", f"{label}: {exc.strerror or exc}",
                           path=label) from exc
    if sniff(head) is None:
        fh.close()
        return None
    return open_archive(fh, label, limits=limits, owns_file=True)
