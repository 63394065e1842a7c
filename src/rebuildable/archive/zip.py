"""Zip releases, read in place."""

from __future__ import annotations

import io
import itertools
import stat
import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from rebuildable.archive.base import ArchiveRelease, Member
from rebuildable.archive.limits import DATA_ERRORS, ArchiveLimits, MiB, describe
from rebuildable.archive.names import normalise
from rebuildable.archive.streams import MemberStream
from rebuildable.container import EntryType
from rebuildable.errors import MemberError, ReleaseError

_LOCAL_FIXED = 30
_UTF8_FLAG = 0x800
_UNICODE_PATH = 0x7075


def _is_dir(info: zipfile.ZipInfo) -> bool:
    # Not ZipInfo.is_dir(): zipfile cuts ``filename`` at a NUL, and an empty name
    # makes it fail. The name as stored decides.
    return info.orig_filename.endswith("/")


@dataclass(frozen=True, slots=True)
class LocalHeader:
    flags: int
    name: bytes
    extra: bytes


def extra_fields(extra: bytes) -> list[tuple[int, bytes]]:
    """The (id, data) records of a zip extra field; a truncated last record is dropped,
    as readers do."""
    out = []
    pos = 0
    while pos + 4 <= len(extra):
        ident, size = struct.unpack_from("<HH", extra, pos)
        data = extra[pos + 4:pos + 4 + size]
        if len(data) < size:
            break
        out.append((ident, data))
        pos += 4 + size
    return out


def _unicode_paths(extra: bytes) -> list[bytes]:
    # Version 1 is the only one defined; readers skip others.
    return [data[5:] for ident, data in extra_fields(extra)
            if ident == _UNICODE_PATH and len(data) >= 5 and data[0] == 1]


def name_disagreement(info: zipfile.ZipInfo, local: LocalHeader | None) -> str | None:
    """How the sources of a member's name disagree, or None when every reader sees the
    name zipfile sees. Sources: the central directory's name (decoded as UTF-8 when
    flagged, else as CP437 by zipfile, as UTF-8 or the local charset by others), the
    local header's name (what streaming readers see), and Info-ZIP Unicode Path extra
    fields (0x7075), which Info-ZIP ``unzip`` and libarchive prefer to the header name."""
    name = info.orig_filename
    utf8 = bool(info.flag_bits & _UTF8_FLAG)
    raw = name.encode("utf-8" if utf8 else "cp437", "surrogateescape")
    ascii_only = raw.isascii()
    if local is not None and local.name != raw:
        return (f"its local header names it {_shown(local.name)}, the central directory "
                f"{_shown(raw)}")
    if local is not None and not ascii_only and bool(local.flags & _UTF8_FLAG) != utf8:
        return "its local and central headers disagree on whether the name is UTF-8"
    extras = [info.extra] + ([local.extra] if local is not None else [])
    for unicode_name in (u for extra in extras for u in _unicode_paths(extra)):
        if unicode_name != name.encode("utf-8", "surrogateescape"):
            return (f"an Info-ZIP Unicode Path field names it {_shown(unicode_name)} "
                    "(the name unzip and bsdtar use)")
    if not ascii_only and not utf8:
        return ("its name is not ASCII and not flagged UTF-8 (zipfile reads CP437, other "
                "readers UTF-8 or the local charset)")
    return None


def _shown(raw: bytes) -> str:
    return repr(raw.decode("utf-8", "backslashreplace"))


class ZipRelease(ArchiveRelease):
    """A zip archive, read in place."""

    def __init__(self, fileobj: BinaryIO, label: str, limits: ArchiveLimits | None = None,
                 owns_file: bool = False) -> None:
        super().__init__(fileobj, label, limits or ArchiveLimits(), owns_file)
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        raw_size = self._file.seek(0, io.SEEK_END)
        self._file.seek(0)
        try:
            self._zip = zipfile.ZipFile(self._file)
            infos = self._zip.infolist()
        except DATA_ERRORS as exc:
            raise ReleaseError("release.archive-corrupt",
                               f"{self.label}: not a readable zip archive ({describe(exc)})",
                               path=self.label) from exc
        total = 0
        for info in infos:
            if self._one_too_many():
                break
            type_ = _entry_type(info)
            target = self._link_target(info) if type_ is EntryType.SYMLINK else None
            size = info.file_size if type_ is EntryType.FILE else 0
            ambiguous = name_disagreement(info, self._local_header(info))
            member = self._add(info.orig_filename, type_, size, info, target,
                               ambiguous=ambiguous)
            if member is None or member.type is not EntryType.FILE or member.handle is not info:
                continue
            total += info.file_size
            self._check_member(member, info, total)
        self._check_overlap(infos, raw_size)
        self._finish()

    def _check_member(self, member: Member, info: zipfile.ZipInfo, total: int) -> None:
        name = member.name
        limits = self.limits
        if member.problem is not None:
            return
        if total > limits.max_total_bytes:
            self._finding("release.archive-too-large",
                          f"members decompress to more than {limits.max_total_bytes} bytes in "
                          f"all; {name!r} and later members are not read", name)
            member.problem = MemberError("release.archive-too-large",
                                         f"{name} lies beyond the archive's total size limit")
        elif (info.file_size > limits.ratio_floor and
              info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            ratio = info.file_size // max(info.compress_size, 1)
            self._finding("release.archive-too-large",
                          f"member {name!r} expands {ratio}:1 ({info.compress_size} -> "
                          f"{info.file_size} bytes), beyond the ratio limit of "
                          f"{limits.max_ratio}:1 (zip bomb guard)", name)
            member.problem = MemberError("release.archive-too-large",
                                         f"{name} exceeds the compression-ratio limit")
        elif info.flag_bits & 0x1:
            member.problem = MemberError("release.unreadable", f"{name} is encrypted")

    def _check_overlap(self, infos: list[zipfile.ZipInfo], raw_size: int) -> None:
        """Members whose data overlap (the 'overlapping files' zip bomb) are refused."""
        by_offset = sorted((i for i in infos if not _is_dir(i)), key=lambda i: i.header_offset)
        for a, b in itertools.pairwise(by_offset):
            end = a.header_offset + 30 + len(a.orig_filename.encode("utf-8", "surrogateescape"))
            if end + a.compress_size > b.header_offset:
                self._finding("release.archive-unsafe-member",
                              f"members {a.orig_filename!r} and {b.orig_filename!r} share "
                              "their data (overlapping entries, a zip bomb technique)",
                              b.orig_filename)
                for info in (a, b):
                    m = self._members.get(normalise(info.orig_filename, False))
                    if m is not None:
                        m.problem = MemberError("release.archive-unsafe-member",
                                                f"{m.name} overlaps another member's data")
        if by_offset and by_offset[-1].header_offset + by_offset[-1].compress_size > raw_size:
            last = by_offset[-1]
            m = self._members.get(normalise(last.orig_filename, False))
            if m is not None and m.problem is None:
                m.problem = MemberError("release.archive-corrupt",
                                        f"{m.name}: its data is truncated")

    def _local_header(self, info: zipfile.ZipInfo) -> LocalHeader | None:
        """The flags, name and extra field of ``info``'s local header (None when it
        cannot be read: opening the member reports that)."""
        try:
            self._file.seek(info.header_offset)
            fixed = self._file.read(_LOCAL_FIXED)
            if len(fixed) < _LOCAL_FIXED or not fixed.startswith(b"PK\x03\x04"):
                return None
            flags, = struct.unpack_from("<H", fixed, 6)
            name_len, extra_len = struct.unpack_from("<HH", fixed, 26)
            name = self._file.read(name_len)
            extra = self._file.read(extra_len)
        except (OSError, ValueError):
            return None
        return LocalHeader(flags, name, extra)

    def _link_target(self, info: zipfile.ZipInfo) -> str | None:
        if info.file_size > 4096:
            return None
        try:
            with self._zip.open(info) as fh:
                return fh.read(4097).decode("utf-8", "replace")
        except DATA_ERRORS:
            return None

    def open(self, path: str) -> BinaryIO:
        member = self._member_for(path)
        info: zipfile.ZipInfo = member.handle
        # Open a copy that allows one byte more than declared and skips zipfile's own
        # CRC check: the member stream then tells "larger than declared" (a bomb)
        # apart from "corrupt", and checks the CRC itself.
        probe = zipfile.ZipInfo.__new__(zipfile.ZipInfo)
        for slot in zipfile.ZipInfo.__slots__:
            if hasattr(info, slot):
                setattr(probe, slot, getattr(info, slot))
        probe.file_size = info.file_size + 1
        del probe.CRC
        try:
            fh = self._zip.open(probe)
        except DATA_ERRORS as exc:
            raise MemberError("release.archive-corrupt", f"{path}: {describe(exc)}") from exc
        return io.BufferedReader(MemberStream(fh, path, info.file_size, info.CRC), MiB)


def _entry_type(info: zipfile.ZipInfo) -> EntryType:
    """What a zip entry is: a folder by its name or Unix mode, a link or special file by
    its Unix mode (``create_system`` 3), else a regular file."""
    mode = info.external_attr >> 16
    if _is_dir(info):
        return EntryType.DIR
    if info.create_system != 3:
        return EntryType.FILE
    if stat.S_ISLNK(mode):
        return EntryType.SYMLINK
    if stat.S_ISDIR(mode):
        return EntryType.DIR
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return EntryType.OTHER
    return EntryType.FILE
