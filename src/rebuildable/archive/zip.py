"""Zip releases, read in place."""

from __future__ import annotations

import io
import itertools
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO

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


_DESCRIPTOR_FLAG = 0x8
_ZIP64 = 0x0001
_MAX32 = 0xFFFFFFFF
#: the lengths a data descriptor can have: optional signature, CRC-32, then two 4- or
#: 8-byte sizes (too short to hide a local header, which takes 30 bytes at least)
_DESCRIPTOR_LENGTHS = frozenset({12, 16, 20, 24})


@dataclass(frozen=True, slots=True)
class LocalHeader:
    flags: int
    name: bytes
    extra: bytes
    method: int = 0
    crc: int = 0
    compress_size: int = 0
    file_size: int = 0

    @property
    def end(self) -> int:
        """Where the member's data starts, counted from the local header's start."""
        return _LOCAL_FIXED + len(self.name) + len(self.extra)

    def sizes(self) -> tuple[int, int]:
        """(compressed, uncompressed) sizes, from the zip64 extra field when the 32-bit
        fields say so."""
        csize, usize = self.compress_size, self.file_size
        if _MAX32 not in (csize, usize):
            return csize, usize
        for ident, data in extra_fields(self.extra):
            if ident == _ZIP64 and len(data) >= 16:
                usize, csize = struct.unpack_from("<QQ", data)
                break
        return csize, usize


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


def extent_disagreement(info: zipfile.ZipInfo, local: LocalHeader | None) -> str | None:
    """How the local header and the central directory disagree on where ``info``'s data
    lies or what it is, or None when they agree. Readers that list the central directory
    (zipfile, unzip) take its sizes; streaming readers (``curl ... | bsdtar -x``) the
    local header's, and then read whatever follows as the next member."""
    if local is None:
        return None
    if local.method != info.compress_type:
        return (f"its local header says compression method {local.method}, the central "
                f"directory {info.compress_type}")
    if local.flags & _DESCRIPTOR_FLAG:
        return None
    if (local.crc, *local.sizes()) != (info.CRC, info.compress_size, info.file_size):
        return ("its local header gives another size or CRC-32 than the central directory "
                "(streaming readers use the local one)")
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
        locals_: dict[int, LocalHeader | None] = {}
        for info in infos:
            if self._one_too_many():
                break
            type_ = _entry_type(info)
            target = self._link_target(info) if type_ is EntryType.SYMLINK else None
            size = info.file_size if type_ is EntryType.FILE else 0
            local = locals_[id(info)] = self._local_header(info)
            member = self._add(info.orig_filename, type_, size, info, target,
                               ambiguous=name_disagreement(info, local))
            if member is None or member.type is not EntryType.FILE or member.handle is not info:
                continue
            extent = extent_disagreement(info, local) or self._descriptor_problem(info, local)
            if extent is not None:
                self._refuse_data(member, extent)
            total += info.file_size
            self._check_member(member, info, total)
        self._check_overlap(infos, raw_size)
        self._check_gaps(infos, locals_)
        self._finish()

    def _descriptor_problem(self, info: zipfile.ZipInfo, local: LocalHeader | None) -> str | None:
        """A stored member with a data descriptor: streaming readers know where it ends
        only from a signed descriptor with its CRC-32 (:class:`EarlyDescriptor`)."""
        if (local is None or info.compress_type != zipfile.ZIP_STORED
                or not local.flags & _DESCRIPTOR_FLAG):
            return None
        try:
            self._file.seek(info.header_offset + local.end + info.compress_size)
            after = self._file.read(8)
        except (OSError, ValueError):
            after = b""
        if after != EarlyDescriptor.SIG + struct.pack("<I", info.CRC):
            return ("it is stored with its sizes after the data, and no signed data "
                    "descriptor with its CRC-32 follows: streaming readers cannot tell where "
                    "it ends")
        return None

    def _refuse_data(self, member: Member, why: str) -> None:
        self._finding("release.archive-ambiguous-data",
                      f"member {member.name!r}: {why}; readers disagree on its bytes, so it "
                      "does not count as shipped", member.name)
        member.problem = MemberError("release.archive-ambiguous-data", f"{member.name}: {why}")

    def _check_gaps(self, infos: list[zipfile.ZipInfo],
                    locals_: dict[int, LocalHeader | None]) -> None:
        """The members must fill the archive up to its central directory: bytes that no
        member owns can hold a local header that streaming readers extract and readers of
        the central directory never see (a hidden member, under any name)."""
        at = 0
        descriptor = False  # whether the member before ``at`` has a data descriptor
        for info in sorted(infos, key=lambda i: i.header_offset):
            local = locals_.get(id(info))
            if local is None:
                return  # not read (past the member bound) or unreadable: reported elsewhere
            gap = info.header_offset - at
            if gap > 0 and not (descriptor and gap in _DESCRIPTOR_LENGTHS):
                break
            at = max(at, info.header_offset + local.end + info.compress_size)
            descriptor = bool(local.flags & _DESCRIPTOR_FLAG)
        else:
            gap = self._zip.start_dir - at
            if gap <= 0 or (descriptor and gap in _DESCRIPTOR_LENGTHS):
                return
        self._finding("release.archive-ambiguous-data",
                      f"{gap} bytes at byte {at} belong to no member listed in the central "
                      "directory; streaming readers may extract a hidden member there, so no "
                      "member counts as shipped", "")
        problem = MemberError("release.archive-ambiguous-data",
                              "the archive holds bytes that belong to no listed member")
        for member in self._members.values():
            if member.type is EntryType.FILE and member.problem is None:
                member.problem = problem

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
            flags, method = struct.unpack_from("<HH", fixed, 6)
            crc, csize, usize, name_len, extra_len = struct.unpack_from("<IIIHH", fixed, 14)
            name = self._file.read(name_len)
            extra = self._file.read(extra_len)
        except (OSError, ValueError):
            return None
        return LocalHeader(flags, name, extra, method, crc, csize, usize)

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
        early = (EarlyDescriptor(info.CRC) if info.compress_type == zipfile.ZIP_STORED
                 and info.flag_bits & _DESCRIPTOR_FLAG else None)

        def end_check() -> str | None:
            return early.finish() if early is not None else _leftover(fh, info)

        stream = MemberStream(fh, path, info.file_size, info.CRC, end_check=end_check,
                              scan=early)
        return io.BufferedReader(stream, MiB)


class EarlyDescriptor:
    """Looks through a stored member's data, chunk by chunk, for where libarchive's
    streaming reader would end it: a member stored with a data descriptor carries no
    size before its data, so that reader ends it at the first ``PK\x07\x08`` followed
    by the CRC-32 of the bytes before it. Data that holds one is read short there, and
    what follows it as further members."""

    SIG = b"PK\x07\x08"
    #: bytes kept from one chunk to the next: a signature and CRC not yet seen whole
    _KEEP = 7

    def __init__(self, crc: int) -> None:
        #: the descriptor that follows the data ([ARC-8] checks it is there)
        self._after = self.SIG + struct.pack("<I", crc)
        self._tail = b""
        self._tail_crc = 0  # CRC-32 of the data before the tail
        self._seen = 0  # bytes of data before the tail

    def __call__(self, chunk: bytes) -> str | None:
        return self._look(self._tail + chunk, len(chunk), final=False)

    def finish(self) -> str | None:
        """At the end of the data: signatures that start in its last bytes, completed by
        the descriptor after it."""
        return self._look(self._tail + self._after, 0, final=True)

    def _look(self, buf: bytes, added: int, *, final: bool) -> str | None:
        data_end = len(self._tail) + added if not final else len(self._tail)
        crc, done = self._tail_crc, 0
        at = buf.find(self.SIG)
        while 0 <= at < data_end and at + 8 <= len(buf):
            crc, done = zlib.crc32(buf[done:at], crc), at
            if buf[at + 4:at + 8] == struct.pack("<I", crc):
                return (f"its data holds a data descriptor for its first {self._seen + at} "
                        "bytes, where streaming readers end it")
            at = buf.find(self.SIG, at + 1)
        keep = min(self._KEEP, data_end)
        self._tail_crc = zlib.crc32(buf[:data_end - keep], self._tail_crc)
        self._seen += data_end - keep
        self._tail = buf[data_end - keep:data_end]
        return None


def _leftover(fh: Any, info: zipfile.ZipInfo) -> str | None:
    """Once a member is read to its end: why its compressed data did not end exactly
    where the central directory says (None when it did). Python's zipfile stops at the
    end of the compressed stream and ignores what follows; a streaming reader reads
    what follows as the next member, or decompresses on into it."""
    if info.compress_type == zipfile.ZIP_STORED:
        return None
    # ZipExtFile keeps these privately: the compressed bytes not yet read, and the
    # decompressor (its unread input and whether the stream ended).
    decompressor = getattr(fh, "_decompressor", None)
    left = getattr(fh, "_compress_left", 0) + len(getattr(decompressor, "unused_data", b""))
    if decompressor is not None and not getattr(decompressor, "eof", True):
        return ("its compressed data stops before the compressed stream ends (streaming "
                "readers decompress on into the bytes after it)")
    if left > 0:
        return (f"{left} bytes of its compressed data lie after the end of the compressed "
                "stream (streaming readers read them as further members)")
    return None


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
