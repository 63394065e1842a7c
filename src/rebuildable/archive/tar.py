"""Tar releases (plain, gzip, bzip2, xz), read in place in one forward pass."""

from __future__ import annotations

import io
import tarfile
import threading
from typing import IO, BinaryIO

from rebuildable.archive.base import ArchiveRelease, Member
from rebuildable.archive.limits import (
    READ_ERRORS,
    ArchiveLimits,
    MetadataTooLargeError,
    MiB,
    TooLargeError,
    describe,
)
from rebuildable.archive.streams import Bounded, MemberStream, decompressor
from rebuildable.archive.tarmeta import BoundedTarFile, folder_named_file, name_disagreement
from rebuildable.archive.tarsparse import is_sparse, sparse_problem, stored_size
from rebuildable.container import EntryType
from rebuildable.errors import MemberError, ReleaseError


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
            inner = decompressor(compression, self._file)
            bound = self.limits.bound(raw_size)
        self._stream = Bounded(inner, bound)
        #: how far the archive may expand, holes of sparse members included ([ARC-5]):
        #: a plain tar's own bytes are never beyond it
        self._expansion_bound = max(bound, self.limits.bound(raw_size))
        #: the holes of the sparse members listed so far, which read as zeros
        self._holes = 0
        self._io_lock = threading.Lock()
        #: decompressed bytes known to be readable; members past it are not
        self._good = 0
        #: regular members named like folders (their data may hold members)
        self._hiding: list[str] = []
        try:
            self._tar = BoundedTarFile(fileobj=self._stream, mode="r", limits=self.limits)
        except READ_ERRORS as exc:
            raise self._fatal(exc) from exc
        problem: BaseException | None = None
        try:
            for info in self._tar:
                if self._one_too_many():
                    break  # every member before it was read whole: no damage to report
                self._add_info(info)
            else:
                self._check_end()
        except READ_ERRORS as exc:
            problem = exc
        self._check_global_names()
        if problem is None:
            self._good = self._stream.tell()
        else:
            self._report(problem)
        if not self._members:
            raise self._fatal(problem or tarfile.ReadError("no members"))
        self._mark_cut_off(problem)
        self._finish()

    def _mark_cut_off(self, problem: BaseException | None) -> None:
        """Members whose header was read but whose data lies past the point where reading
        stopped are present but unreadable, under the code of what stopped it: a bound
        (``release.archive-too-large``, one problem, one code) or damage (``-corrupt``)."""
        bound = (isinstance(problem, TooLargeError | MetadataTooLargeError)
                 and not self._past_end(problem))
        for m in self._members.values():
            info = m.handle
            if (m.type is EntryType.FILE and m.problem is None and
                    info.offset_data + stored_size(info) > self._good):
                m.problem = (MemberError("release.archive-too-large",
                                         f"{m.name} lies beyond the archive's size bound")
                             if bound else
                             MemberError("release.archive-corrupt",
                                         f"{m.name}: its data is truncated or unreadable"))

    def _past_end(self, exc: BaseException) -> bool:
        """A plain tar read past its end: truncated, not too large."""
        return isinstance(exc, TooLargeError) and self._compression is None

    def _fatal(self, exc: BaseException) -> ReleaseError:
        if self._past_end(exc):
            exc = tarfile.ReadError("a member's data runs past the end of the file (truncated)")
        if isinstance(exc, MetadataTooLargeError):
            return ReleaseError("release.archive-too-large", f"{self.label}: {exc}",
                                path=self.label)
        if isinstance(exc, TooLargeError):
            return ReleaseError("release.archive-too-large",
                                f"{self.label}: decompresses beyond {self._stream.bound} bytes "
                                "(size or compression-ratio limit)", path=self.label)
        return ReleaseError("release.archive-corrupt",
                            f"{self.label}: not a readable tar archive ({describe(exc)})",
                            path=self.label)

    def _report(self, exc: BaseException) -> None:
        # Everything decompressed before the error is usable.
        self._good = self._last_good_offset()
        if self._past_end(exc):
            exc = tarfile.ReadError("a member's data runs past the end of the file (truncated)")
        if isinstance(exc, MetadataTooLargeError):
            self._finding("release.archive-too-large",
                          f"{exc}; members past that point are not read", "")
        elif isinstance(exc, TooLargeError):
            self._finding("release.archive-too-large",
                          f"decompresses beyond {self._stream.bound} bytes (size or "
                          "compression-ratio limit); members past that point are not read", "")
        else:
            self._finding("release.archive-corrupt",
                          f"the archive is truncated or corrupt ({describe(exc)}); members "
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
        member = self._add(info.name, type_, size, info, target,
                           ambiguous=name_disagreement(info))
        if member is not None and member.handle is info and type_ is EntryType.FILE:
            self._check_expansion(member, info)
        if folder_named_file(info):
            self._hiding.append(info.name)

    def _check_expansion(self, member: Member, info: tarfile.TarInfo) -> None:
        """A sparse member must expand alike in every extractor, and its holes count as
        decompressed bytes: the archive up to the end of a member, holes included, must
        stay within the size and ratio bounds, or that member is not read (a map of a
        few bytes can stand for a terabyte of zeros to hash)."""
        if member.problem is not None:
            return
        if is_sparse(info):
            why = sparse_problem(info, self._tar.offset)
            if why is not None:
                self._finding("release.archive-ambiguous-data",
                              f"member {member.name!r} is a GNU sparse file, but {why}; "
                              "extractors disagree on its bytes, so it does not count as "
                              "shipped", member.name)
                member.problem = MemberError("release.archive-ambiguous-data",
                                             f"{member.name}: its sparse map: {why}")
                return
            self._holes += info.size - stored_size(info)
        expanded = info.offset_data + stored_size(info) + self._holes
        if self._holes and expanded > self._expansion_bound:
            self._finding("release.archive-too-large",
                          f"member {member.name!r} lies beyond byte "
                          f"{self._expansion_bound} of the archive expanded (the holes of "
                          "its sparse members read as zeros), the size or compression-ratio "
                          "limit; it is not read", member.name)
            member.problem = MemberError("release.archive-too-large",
                                         f"{member.name} lies beyond the archive's size bound "
                                         "once sparse members are expanded")

    def _check_global_names(self) -> None:
        """Name problems that reach every member: a global PAX header that names members
        renames every later member for GNU tar, but only those with their own PAX header
        for Python's tarfile; a regular member named like a folder has its data read as
        further members by GNU tar and bsdtar, under any names."""
        keys = sorted({"path", "linkpath"} & self._tar.pax_headers.keys())
        if keys:
            self._finding("release.archive-ambiguous-name",
                          f"a global PAX header sets {', '.join(keys)} for every later "
                          "member; extractors disagree on which members it renames, so none "
                          "counts as shipped", "")
            why = "a global PAX header renames the archive's members"
        elif self._hiding:
            self._finding("release.archive-ambiguous-name",
                          f"the data of {self._hiding[0]!r} is read as further members by "
                          "GNU tar and bsdtar, which can stand for any member, so none counts "
                          "as shipped", "")
            why = f"{self._hiding[0]!r} may hide members in its data"
        else:
            return
        problem = MemberError("release.archive-ambiguous-name", why)
        for member in self._members.values():
            if member.type is EntryType.FILE:
                member.problem = problem

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
        while self._stream.read(MiB):
            pass
        self._stream.seek(tail_start)

    def open(self, path: str) -> BinaryIO:
        member = self._member_for(path)
        try:
            with self._io_lock:
                fh = self._tar.extractfile(member.handle)
        except READ_ERRORS as exc:
            raise MemberError("release.archive-corrupt", f"{path}: {describe(exc)}") from exc
        if fh is None:
            raise MemberError("path.not-regular", f"{path} is not a regular file")
        return io.BufferedReader(MemberStream(fh, path, member.size, None, self._io_lock), MiB)
