"""Releases packed as archives: tar (plain, gzip, bzip2, xz) and zip.

Archives are read in place, never extracted. Every member name is checked before it
is used; a hostile member (zip slip, absolute name, link, duplicate, bomb) becomes a
finding in ``release.findings`` and is never opened as a shipped file. Sizes are
bounded by :class:`ArchiveLimits` so that a small archive cannot make the validator
decompress without end.
"""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import lzma
import os
import re
import stat
import tarfile
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

from rebuildable.errors import MemberError, ReleaseError
from rebuildable.findings import Location, finding
from rebuildable.model import MANIFEST_NAMES
from rebuildable.release import Entry, EntryType, Release

__all__ = ["ArchiveLimits", "ArchiveRelease", "TarRelease", "ZipRelease", "open_archive", "sniff"]

_GiB = 1024 ** 3
_MiB = 1024 ** 2

#: Errors the decompressors and archive readers raise on bad data.
_DATA_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError,
    EOFError, NotImplementedError, RuntimeError, ValueError, OSError,
)


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds that keep a hostile archive from exhausting time, memory or disk."""

    #: largest (decompressed) member
    max_member_bytes: int = 64 * _GiB
    #: largest decompressed total, and largest stream spooled from a pipe
    max_total_bytes: int = 256 * _GiB
    max_members: int = 200_000
    #: decompressed / compressed bytes beyond which data counts as a bomb ...
    max_ratio: int = 100
    #: ... once it decompresses to more than this many bytes
    ratio_floor: int = 64 * _MiB

    def bound(self, compressed: int) -> int:
        """How far a compressed stream of ``compressed`` bytes may decompress."""
        return min(self.max_total_bytes, max(self.ratio_floor, self.max_ratio * compressed))


# -- sniffing ------------------------------------------------------------------------

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


# -- member names --------------------------------------------------------------------

_DRIVE = re.compile(r"[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def unsafe_reason(name: str) -> str | None:
    """Why an archive member name cannot be used as a release path (None when it can).

    ``name`` has already lost a leading ``./`` and a directory's trailing ``/``.
    """
    if _CONTROL.search(name):
        return "holds a control character"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if "\\" in name:
        return "holds a backslash"
    if name.startswith("/"):
        return "is absolute"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    parts = name.split("/")
    if ".." in parts:
        return "escapes the archive with '..'"
    if any(p in ("", ".") for p in parts):
        return "has an empty or '.' segment"
    return None


def _printable(name: str) -> str:
    """``name`` with undecodable bytes shown as escapes (safe to print and to JSON)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _normalise(raw: str, is_dir: bool) -> str:
    name = raw
    while name.startswith("./"):
        name = name[2:]
    if is_dir or name.endswith("/"):
        name = name.rstrip("/") if name.strip("/") else name
    return name


# -- members -------------------------------------------------------------------------


@dataclass
class _Member:
    name: str  # normalised, relative to the archive root
    type: EntryType
    size: int
    handle: Any  # TarInfo or ZipInfo
    target: str | None = None
    problem: MemberError | None = None


class ArchiveRelease(Release):
    """What tar and zip releases share: member bookkeeping and manifest discovery."""

    #: the folder inside the archive that holds the manifest ("" or "name-1.0/")
    prefix: str

    def __init__(self, fileobj: BinaryIO, label: str, limits: ArchiveLimits,
                 owns_file: bool) -> None:
        self.label = label
        self.limits = limits
        self.findings = []
        self._file = fileobj
        self._owns_file = owns_file
        self._members: dict[str, _Member] = {}
        self._entries: dict[str, Entry] = {}
        self.prefix = ""
        self.manifest_name = ""

    # -- building ---------------------------------------------------------------------

    def _finding(self, code: str, message: str, member: str) -> None:
        self.findings.append(finding(code, f"{self.label}: {message}",
                                     location=Location(self.label), data={"path": member}))

    def _add(self, raw: str, type_: EntryType, size: int, handle: Any,
             target: str | None = None) -> _Member | None:
        name = _normalise(raw, type_ is EntryType.DIR)
        if name in ("", "."):
            return None  # the archive root itself
        reason = unsafe_reason(name)
        if reason is not None:
            shown = _printable(raw)
            self._finding("release.archive-unsafe-member",
                          f"member {shown!r} {reason}; it is ignored", shown)
            return None
        member = _Member(name, type_, size, handle, target)
        previous = self._members.get(name)
        if previous is not None:
            if previous.type is EntryType.DIR and type_ is EntryType.DIR:
                return previous
            self._finding("release.archive-duplicate-member",
                          f"member {name!r} appears more than once; readers disagree on "
                          "which copy counts, so neither does", name)
            problem = MemberError("release.archive-duplicate-member",
                                  f"{name} appears more than once in the archive")
            previous.problem = member.problem = problem
            return previous
        if type_ in (EntryType.SYMLINK, EntryType.HARDLINK):
            kind = "symbolic" if type_ is EntryType.SYMLINK else "hard"
            self._finding("release.archive-link",
                          f"member {name!r} is a {kind} link to {target!r}; links never count "
                          "as shipped files", name)
        if size > self.limits.max_member_bytes:
            self._finding("release.archive-too-large",
                          f"member {name!r} declares {size} bytes, more than the limit of "
                          f"{self.limits.max_member_bytes}", name)
            member.problem = MemberError("release.archive-too-large",
                                         f"{name} is larger than the member size limit")
        self._members[name] = member
        return member

    def _too_many(self) -> bool:
        if len(self._members) < self.limits.max_members:
            return False
        self._finding("release.archive-too-large",
                      f"more than {self.limits.max_members} members; the rest are ignored", "")
        return True

    def _finish(self) -> None:
        """Add implied folders, refuse members below a non-folder, find the manifest and
        build the entries below it."""
        for name in sorted(self._members):
            parts = name.split("/")
            for i in range(1, len(parts)):
                parent = "/".join(parts[:i])
                above = self._members.get(parent)
                if above is None:
                    self._members[parent] = _Member(parent, EntryType.DIR, 0, None)
                elif above.type is not EntryType.DIR:
                    # e.g. 'lib' -> /etc, then 'lib/passwd': extracting it writes through
                    # the link. Read in place it would be one thing, extracted another.
                    what = "the link" if above.type in (EntryType.SYMLINK,
                                                       EntryType.HARDLINK) else "the file"
                    self._finding("release.archive-unsafe-member",
                                  f"member {name!r} lies below {what} {parent!r}; it is "
                                  "ignored", name)
                    del self._members[name]
                    break
        self.prefix = self._find_prefix()
        cut = len(self.prefix)
        for name, m in self._members.items():
            if name.startswith(self.prefix) and len(name) > cut:
                rel = name[cut:]
                self._entries[rel] = Entry(rel, m.type, m.size, 1, m.target)

    def _find_prefix(self) -> str:
        def manifests(prefix: str) -> list[str]:
            return [n for n in MANIFEST_NAMES if prefix + n in self._members]

        prefix = ""
        present = manifests("")
        if not present:
            tops = {n.split("/", 1)[0] for n in self._members if not n.startswith("__MACOSX")}
            if len(tops) == 1:
                (top,) = tops
                if self._members[top].type is EntryType.DIR:
                    prefix = top + "/"
                    present = manifests(prefix)
        if not present:
            raise ReleaseError("release.no-manifest",
                               f"{self.label}: no {', '.join(MANIFEST_NAMES)} at the archive "
                               "root or inside its single top-level folder", path=self.label)
        if len(present) > 1:
            raise ReleaseError("release.ambiguous-manifest",
                               f"{self.label}: more than one manifest ({', '.join(present)})",
                               path=self.label)
        self.manifest_name = present[0]
        return prefix

    # -- the Release interface --------------------------------------------------------

    def entries(self) -> Mapping[str, Entry]:
        return self._entries

    def _member_for(self, path: str) -> _Member:
        entry = self._entries.get(path)
        if entry is None:
            parts = path.split("/")
            for i in range(1, len(parts)):
                parent = self._entries.get("/".join(parts[:i]))
                if parent is not None and parent.type in (EntryType.SYMLINK, EntryType.HARDLINK):
                    raise MemberError("path.symlink",
                                      f"{path} passes through the link {parent.path!r}")
            raise MemberError("integrity.missing", f"{path} is not in the release")
        member = self._members[self.prefix + path]
        if member.type is EntryType.SYMLINK:
            raise MemberError("path.symlink", f"{path} is a symbolic link in the archive")
        if member.type is EntryType.HARDLINK:
            raise MemberError("path.not-regular",
                              f"{path} is a hard-link member of the archive; links never count "
                              "as shipped files")
        if member.type is not EntryType.FILE:
            raise MemberError("path.not-regular", f"{path} is not a regular file")
        if member.problem is not None:
            raise member.problem
        return member

    def order(self, paths: list[str]) -> list[str]:
        """``paths`` in the order their data lies in the archive (one forward pass)."""
        def key(path: str) -> int:
            m = self._members.get(self.prefix + path)
            return _offset(m.handle) if m is not None and m.handle is not None else -1
        return sorted(paths, key=key)

    def close(self) -> None:
        if self._owns_file:
            self._file.close()


def _offset(handle: Any) -> int:
    if isinstance(handle, tarfile.TarInfo):
        return handle.offset_data
    if isinstance(handle, zipfile.ZipInfo):
        return handle.header_offset
    return -1


class _Bounded(io.RawIOBase):
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
            raise _TooLargeError(end)

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


class _TooLargeError(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(f"data beyond byte {offset}")
        self.offset = offset


_READ_ERRORS: tuple[type[BaseException], ...] = (_TooLargeError, *_DATA_ERRORS)


class TarRelease(ArchiveRelease):
    """A tar archive, plain or compressed, read in place."""

    def __init__(self, fileobj: BinaryIO, label: str, compression: str | None,
                 limits: ArchiveLimits | None = None, owns_file: bool = False) -> None:
        super().__init__(fileobj, label, limits or ArchiveLimits(), owns_file)
        try:
            self._open(compression)
        except BaseException:
            self.close()
            raise

    def _open(self, compression: str | None) -> None:
        self._compression = compression
        raw_size = self._file.seek(0, io.SEEK_END)
        self._file.seek(0)
        inner: IO[bytes]
        if compression is None:
            inner = self._file
            bound = raw_size
        else:
            inner = _decompressor(compression, self._file)
            bound = self.limits.bound(raw_size)
        self._stream = _Bounded(inner, bound)
        self._io_lock = threading.Lock()
        #: decompressed bytes known to be readable; members past it are not
        self._good = 0
        try:
            self._tar = tarfile.open(fileobj=self._stream, mode="r:")  # noqa: SIM115
        except _READ_ERRORS as exc:
            raise self._fatal(exc) from exc
        problem: BaseException | None = None
        try:
            for info in self._tar:
                self._add_info(info)
                if self._too_many():
                    break
            self._check_end()
        except _READ_ERRORS as exc:
            problem = exc
        if problem is None:
            self._good = self._stream.tell()
        else:
            self._report(problem)
        if not self._members:
            raise self._fatal(problem or tarfile.ReadError("no members"))
        for m in self._members.values():
            info = m.handle
            if (m.type is EntryType.FILE and m.problem is None and
                    info.offset_data + info.size > self._good):
                m.problem = MemberError("release.archive-corrupt",
                                        f"{m.name}: its data is truncated or unreadable")
        self._finish()

    def _past_end(self, exc: BaseException) -> bool:
        """A plain tar read past its end: truncated, not too large."""
        return isinstance(exc, _TooLargeError) and self._compression is None

    def _fatal(self, exc: BaseException) -> ReleaseError:
        if self._past_end(exc):
            exc = tarfile.ReadError("a member's data runs past the end of the file (truncated)")
        if isinstance(exc, _TooLargeError):
            return ReleaseError("release.archive-too-large",
                                f"{self.label}: decompresses beyond {self._stream.bound} bytes "
                                "(size or compression-ratio limit)", path=self.label)
        return ReleaseError("release.archive-corrupt",
                            f"{self.label}: not a readable tar archive ({_describe(exc)})",
                            path=self.label)

    def _report(self, exc: BaseException) -> None:
        # Everything decompressed before the error is usable.
        self._good = self._last_good_offset()
        if self._past_end(exc):
            exc = tarfile.ReadError("a member's data runs past the end of the file (truncated)")
        if isinstance(exc, _TooLargeError):
            self._finding("release.archive-too-large",
                          f"decompresses beyond {self._stream.bound} bytes (size or "
                          "compression-ratio limit); members past that point are not read", "")
        else:
            self._finding("release.archive-corrupt",
                          f"the archive is truncated or corrupt ({_describe(exc)}); members "
                          "past that point are not read", "")

    def _last_good_offset(self) -> int:
        # tarfile advanced past the last member it listed; data up to the error point
        # was read successfully, but the error may lie inside a member's data.
        return min(self._stream.pos, self._tar.offset) if hasattr(self, "_tar") else 0

    def _add_info(self, info: tarfile.TarInfo) -> None:
        if info.isreg():
            type_ = EntryType.FILE
        elif info.isdir():
            type_ = EntryType.DIR
        elif info.issym():
            type_ = EntryType.SYMLINK
        elif info.islnk():
            type_ = EntryType.HARDLINK
        else:
            type_ = EntryType.OTHER
        target = info.linkname if info.issym() or info.islnk() else None
        size = info.size if type_ is EntryType.FILE else 0
        self._add(info.name, type_, size, info, target)

    def _check_end(self) -> None:
        """The archive must end cleanly: zero blocks or end of data after the last member,
        and (compressed) the whole stream must decompress with a valid checksum."""
        tail_start = self._tar.offset
        self._stream.seek(tail_start)
        block = self._stream.read(tarfile.BLOCKSIZE)
        if block and block.strip(b"\x00"):
            raise tarfile.ReadError(f"unreadable header at byte {tail_start}; "
                                    "members after it would be hidden")
        # Drain the rest: verifies gzip/bzip2/xz checksums and bounds trailing data.
        while self._stream.read(_MiB):
            pass
        self._stream.seek(tail_start)

    def open(self, path: str) -> BinaryIO:
        member = self._member_for(path)
        try:
            with self._io_lock:
                fh = self._tar.extractfile(member.handle)
        except _READ_ERRORS as exc:
            raise MemberError("release.archive-corrupt", f"{path}: {_describe(exc)}") from exc
        if fh is None:
            raise MemberError("path.not-regular", f"{path} is not a regular file")
        return io.BufferedReader(_MemberStream(fh, path, member.size, None, self._io_lock), _MiB)


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
        except _DATA_ERRORS as exc:
            raise ReleaseError("release.archive-corrupt",
                               f"{self.label}: not a readable zip archive ({_describe(exc)})",
                               path=self.label) from exc
        total = 0
        for info in infos:
            is_dir = info.is_dir()
            mode = info.external_attr >> 16
            if is_dir:
                type_ = EntryType.DIR
            elif info.create_system == 3 and stat.S_ISLNK(mode):
                type_ = EntryType.SYMLINK
            elif info.create_system == 3 and stat.S_ISDIR(mode):
                type_ = EntryType.DIR
            elif info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                type_ = EntryType.OTHER
            else:
                type_ = EntryType.FILE
            target = self._link_target(info) if type_ is EntryType.SYMLINK else None
            size = info.file_size if type_ is EntryType.FILE else 0
            member = self._add(info.orig_filename, type_, size, info, target)
            if member is None or member.type is not EntryType.FILE or member.handle is not info:
                continue
            total += info.file_size
            self._check_member(member, info, total)
            if self._too_many():
                break
        self._check_overlap(infos, raw_size)
        self._finish()

    def _check_member(self, member: _Member, info: zipfile.ZipInfo, total: int) -> None:
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
        by_offset = sorted((i for i in infos if not i.is_dir()), key=lambda i: i.header_offset)
        for a, b in itertools.pairwise(by_offset):
            end = a.header_offset + 30 + len(a.orig_filename.encode("utf-8", "surrogateescape"))
            if end + a.compress_size > b.header_offset:
                self._finding("release.archive-unsafe-member",
                              f"members {a.orig_filename!r} and {b.orig_filename!r} share "
                              "their data (overlapping entries, a zip bomb technique)",
                              b.orig_filename)
                for info in (a, b):
                    m = self._members.get(_normalise(info.orig_filename, False))
                    if m is not None:
                        m.problem = MemberError("release.archive-unsafe-member",
                                                f"{m.name} overlaps another member's data")
        if by_offset and by_offset[-1].header_offset + by_offset[-1].compress_size > raw_size:
            last = by_offset[-1]
            m = self._members.get(_normalise(last.orig_filename, False))
            if m is not None and m.problem is None:
                m.problem = MemberError("release.archive-corrupt",
                                        f"{m.name}: its data is truncated")

    def _link_target(self, info: zipfile.ZipInfo) -> str | None:
        if info.file_size > 4096:
            return None
        try:
            with self._zip.open(info) as fh:
                return fh.read(4097).decode("utf-8", "replace")
        except _DATA_ERRORS:
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
        except _DATA_ERRORS as exc:
            raise MemberError("release.archive-corrupt", f"{path}: {_describe(exc)}") from exc
        return io.BufferedReader(_MemberStream(fh, path, info.file_size, info.CRC), _MiB)


class _MemberStream(io.RawIOBase):
    """A member's data: exactly its declared size, or a :class:`MemberError`."""

    def __init__(self, inner: IO[bytes], path: str, size: int, crc: int | None,
                 lock: threading.Lock | None = None) -> None:
        super().__init__()
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
        except _READ_ERRORS as exc:
            raise MemberError("release.archive-corrupt",
                              f"{self._path}: {_describe(exc)}") from exc
        n = len(data)
        self._read += n
        if self._read > self._size:
            raise MemberError("release.archive-too-large",
                              f"{self._path} decompresses to more than its declared {self._size} "
                              "bytes (zip bomb)")
        if self._crc is not None:
            self._running = zlib.crc32(data, self._running)
        if n == 0 and len(view):
            self._done = True
            if self._read < self._size:
                raise MemberError("release.archive-corrupt",
                                  f"{self._path}: data ends after {self._read} of "
                                  f"{self._size} bytes")
            if self._crc is not None and self._running != self._crc:
                raise MemberError("release.archive-corrupt",
                                  f"{self._path}: CRC-32 does not match (corrupt member)")
            return 0
        view[:n] = data
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError):
        return f"compressed data ends early: {text}"
    return text


def _decompressor(kind: str, fileobj: BinaryIO) -> IO[bytes]:
    if kind == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=fileobj, mode="rb"))
    if kind == "bzip2":
        return bz2.BZ2File(fileobj, mode="rb")
    if kind == "xz":
        return lzma.LZMAFile(fileobj, mode="rb")
    raise ValueError(f"unknown compression {kind!r}")


# -- opening ---------------------------------------------------------------------------


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


def _spool(stream: BinaryIO, limit: int, label: str) -> BinaryIO:
    """Copy a non-seekable stream to a private, already-unlinked temporary file."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the release
    total = 0
    try:
        while True:
            chunk = stream.read(_MiB)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise ReleaseError("release.archive-too-large",
                                   f"{label}: the stream is longer than {limit} bytes", path=label)
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def open_archive(fileobj: BinaryIO, label: str, *, limits: ArchiveLimits | None = None,
                 owns_file: bool = False) -> ArchiveRelease:
    """Open an archive from a binary file object; spools it first when it cannot seek.

    Raises :class:`ReleaseError` when the data is no supported archive, is unreadable,
    or holds no (or more than one) manifest.
    """
    limits = limits or ArchiveLimits()
    if not _seekable(fileobj):
        try:
            spooled = _spool(fileobj, limits.max_total_bytes, label)
        except OSError as exc:
            raise ReleaseError("release.unreadable", f"{label}: {exc.strerror or exc}",
                               path=label) from exc
        if owns_file:
            fileobj.close()
        fileobj, owns_file = spooled, True
    try:
        start = fileobj.tell()
        head = _read_head(fileobj)
        fileobj.seek(start)
        if start:
            fileobj = io.BufferedReader(_Window(fileobj, start), _MiB)
    except OSError as exc:
        if owns_file:
            fileobj.close()
        raise ReleaseError("release.unreadable", f"{label}: {exc.strerror or exc}",
                           path=label) from exc
    kind = sniff(head)
    if kind is None:
        if owns_file:
            fileobj.close()
        raise ReleaseError("release.unreadable",
                           f"{label}: not a folder, manifest or supported archive "
                           "(.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip)", path=label)
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


class _Window(io.RawIOBase):
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

