"""Tar metadata records, read with bounds and remembered.

Python's tarfile reads a GNU long-name record or a PAX header whole, whatever size it
declares, and keeps only the last word on a member's name: when a member carries
several name records (a GNU long name and a PAX ``path``, or two of either), it takes
the outermost one, GNU tar always the PAX path, libarchive the innermost. So each record
is charged against :class:`~rebuildable.archive.limits.ArchiveLimits` before it is
read, and every name a record gave is kept in ``name_records`` for the reader to compare.

Python's tarfile is also laxer than the extractors in ways that change a name: it reads
a PAX header up to its first malformed record and ignores the rest, and it joins the
ustar ``prefix`` field to the name whatever the header's magic (GNU tar and libarchive
only for a POSIX ``ustar\\0`` header). Those are remembered as ``header_problem``.
"""

from __future__ import annotations

import re
import tarfile
from typing import Any

from rebuildable.archive.limits import ArchiveLimits, MetadataTooLargeError

#: the POSIX magic: the only one for which GNU tar and libarchive read the prefix field
_POSIX_MAGIC = b"ustar\x00"
#: the start of one PAX record, "<length> "; the length is bounded by the record bound
_RECORD_START = re.compile(rb"([0-9]{1,20}) ")
#: PAX keywords that name the member (libarchive prefers GNU.sparse.name to path,
#: Python's tarfile takes whichever comes last)
_NAME_KEYS = ("path", "GNU.sparse.name")


class BoundedTarFile(tarfile.TarFile):
    """A TarFile that charges metadata records against ``limits``."""

    def __init__(self, *args: Any, limits: ArchiveLimits, **kwargs: Any) -> None:
        # Set before TarFile.__init__, which already reads the first member.
        self.limits = limits
        self.metadata_bytes = 0
        #: metadata records read before the member they describe (they nest)
        self.depth = 0
        kwargs["tarinfo"] = TracedTarInfo
        super().__init__(*args, **kwargs)


class _Tap:
    """Stands in for a TarFile's stream for one read, keeps a copy of what it returned,
    then puts the stream back: the PAX header's bytes as tarfile itself read them."""

    def __init__(self, tf: tarfile.TarFile) -> None:
        self._tf = tf
        self._inner: Any = tf.fileobj
        self.data = b""
        tf.fileobj = self

    def read(self, size: int = -1) -> bytes:
        self.restore()
        self.data = self._inner.read(size)
        return self.data

    def restore(self) -> None:
        self._tf.fileobj = self._inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class TracedTarInfo(tarfile.TarInfo):
    """A TarInfo that remembers each record that named it: (kind, name)."""

    name_records: list[tuple[str, str]]
    header_problem: str
    #: the size field of the member's own header (or its PAX ``size``)
    header_size: int
    #: bytes of a GNU sparse 1.0 map at the start of the member's data
    map_bytes: int = 0
    #: how a GNU sparse map reads otherwise in GNU tar than in tarfile
    sparse_problem: str | None = None

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> TracedTarInfo:
        obj = super().frombuf(buf, encoding, errors)
        # What the header's size field says lies in the archive (tarfile later replaces
        # ``size`` with a sparse member's expanded size).
        obj.header_size = obj.size
        if obj.type == tarfile.GNUTYPE_SPARSE:
            old_gnu_map(obj, buf)
        if (buf[345] != 0 and obj.type not in tarfile.GNU_TYPES
                and buf[257:263] != _POSIX_MAGIC):
            obj.header_problem = (
                f"its header joins a prefix field to the name ({obj.name!r}) but is no POSIX "
                "ustar header, so GNU tar and bsdtar leave the prefix out")
        return obj

    def _charge(self, tf: tarfile.TarFile, kind: str) -> None:
        if not isinstance(tf, BoundedTarFile):
            return
        limits = tf.limits
        if self.size > limits.max_header_bytes:
            raise MetadataTooLargeError(
                f"a {kind} record of {self.size} bytes at byte {self.offset}, more than the "
                f"limit of {limits.max_header_bytes}")
        _charge_total(tf, self.size)
        tf.depth += 1
        if tf.depth > limits.max_header_chain:
            raise MetadataTooLargeError(
                f"more than {limits.max_header_chain} metadata records before one member")

    def _discharge(self, tf: tarfile.TarFile) -> None:
        if isinstance(tf, BoundedTarFile):
            tf.depth -= 1

    def _proc_gnulong(self, tarfile_: tarfile.TarFile) -> TracedTarInfo:
        kind = "GNU long name" if self.type == tarfile.GNUTYPE_LONGNAME else "GNU long link"
        self._charge(tarfile_, kind)
        following: TracedTarInfo = super()._proc_gnulong(tarfile_)  # type: ignore[misc]
        self._discharge(tarfile_)
        if self.type == tarfile.GNUTYPE_LONGNAME:
            _records(following).append((kind, following.name))
        return following

    def _proc_pax(self, tarfile_: tarfile.TarFile) -> TracedTarInfo:
        self._charge(tarfile_, "PAX header")
        tap = _Tap(tarfile_)
        try:
            following: TracedTarInfo = super()._proc_pax(tarfile_)  # type: ignore[misc]
        finally:
            tap.restore()
        self._discharge(tarfile_)
        problem = pax_problem(tap.data[:self.size])
        if problem is not None:
            following.header_problem = f"its PAX header is malformed ({problem})"
        return following

    def _proc_gnusparse_10(self, next: tarfile.TarInfo, pax_headers: dict[str, str],
                           tarfile_: tarfile.TarFile) -> None:
        """A GNU sparse 1.0 map (entry count, then offset and size pairs, one number a
        line, at the start of the member's data), read as tarfile reads it but charged
        as a metadata record: tarfile alone kept every number of a map of any length
        (a 20 KB .tar.gz of 5 million entries took 520 MB)."""
        fileobj: Any = tarfile_.fileobj
        limits = tarfile_.limits if isinstance(tarfile_, BoundedTarFile) else None
        buf = fileobj.read(tarfile.BLOCKSIZE)
        read = len(buf)
        count, _, buf = buf.partition(b"\n")
        fields = int(count)
        numbers: list[int] = []
        while len(numbers) < fields * 2:
            if b"\n" not in buf:
                more = fileobj.read(tarfile.BLOCKSIZE)
                if not more:
                    raise tarfile.ReadError("a GNU sparse map runs past the end of the data")
                read += len(more)
                _charge_map(read, limits, next.offset_data)
                buf += more
            number, buf = buf.split(b"\n", 1)
            numbers.append(int(number))
        _charge_total(tarfile_, read)
        next.offset_data = fileobj.tell()
        next.map_bytes = read  # type: ignore[attr-defined]
        # typeshed says bytes; tarfile keeps (offset, size) pairs here
        next.sparse = list(zip(numbers[::2], numbers[1::2], strict=True))  # type: ignore[assignment]

    def _proc_sparse(self, tarfile_: tarfile.TarFile) -> TracedTarInfo:
        """An old GNU sparse member ('S'): its map goes on in extension blocks after the
        header, read as GNU tar reads them and charged as a metadata record (tarfile
        reads any number of them and drops some entries GNU tar keeps)."""
        regions, extended, real_size = self._sparse_structs  # type: ignore[attr-defined]
        fileobj: Any = tarfile_.fileobj
        limits = tarfile_.limits if isinstance(tarfile_, BoundedTarFile) else None
        read = 0
        while extended:
            block = fileobj.read(tarfile.BLOCKSIZE)
            if len(block) < tarfile.BLOCKSIZE:
                raise tarfile.ReadError("a GNU sparse map runs past the end of the data")
            read += len(block)
            _charge_map(read, limits, self.offset)
            extended = _go_on(self, _slots(self, block, 0, 21, regions), block[504])
        _charge_total(tarfile_, read)
        self.sparse = regions
        self.offset_data = fileobj.tell()
        tarfile_.offset = self.offset_data + self._block(self.size)  # type: ignore[attr-defined]
        self.size = real_size
        return self

    def _apply_pax_info(self, pax_headers: dict[str, str], encoding: str,
                        errors: str) -> None:
        super()._apply_pax_info(pax_headers, encoding, errors)  # type: ignore[misc]
        if "size" in pax_headers:
            self.header_size = _number(pax_headers["size"])
        for key in _NAME_KEYS:
            if key in pax_headers:
                _records(self).append((f"PAX {key}", pax_headers[key]))


def old_gnu_map(info: TracedTarInfo, header: bytes | bytearray) -> None:
    """Read the four map slots of an old GNU sparse header as GNU tar does, for
    :meth:`TracedTarInfo._proc_sparse`: it stops at the first empty slot."""
    regions: list[tuple[int, int]] = []
    more = _go_on(info, _slots(info, header, 386, 4, regions), header[482])
    try:
        real_size = tarfile.nti(header[483:495])  # type: ignore[attr-defined]
    except ValueError:
        info.sparse_problem = "its real size is not a number"
        real_size = 0
    info._sparse_structs = (regions, more, real_size)  # type: ignore[attr-defined]


def _slots(info: TracedTarInfo, block: bytes | bytearray, start: int, count: int,
           regions: list[tuple[int, int]]) -> bool:
    """Add the (offset, size) slots of one block of an old GNU sparse map to ``regions``;
    False once a slot is empty (GNU tar reads no further, tarfile may)."""
    for pos in range(start, start + 24 * count, 24):
        if block[pos + 12] == 0:  # an empty size field ends the map for GNU tar
            if block[pos:start + 24 * count].strip(b"\x00"):
                info.sparse_problem = "its map has entries after an empty one"
            return False
        try:
            regions.append((tarfile.nti(block[pos:pos + 12]),  # type: ignore[attr-defined]
                            tarfile.nti(block[pos + 12:pos + 24])))  # type: ignore[attr-defined]
        except ValueError:
            info.sparse_problem = "its map holds an entry that is not a number"
            return False
    return True


def _go_on(info: TracedTarInfo, full: bool, extended: int) -> bool:
    """Whether an extension block follows; one after an empty slot GNU tar reads as
    the member's data."""
    if extended and not full:
        info.sparse_problem = "its map goes on in extension blocks after an empty entry"
    return full and bool(extended)


def _number(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() else -1


def pax_problem(body: bytes) -> str | None:
    """What is wrong with a PAX header's records, or None when they are well formed.

    Each record is ``"<length> <keyword>=<value>\\n"`` and they fill the header exactly.
    GNU tar refuses a header that is not; Python's tarfile keeps the records before the
    first bad one (or reads a value short), so the two see different names."""
    pos = 0
    while pos < len(body):
        match = _RECORD_START.match(body, pos)
        if match is None:
            return f"no record length at byte {pos}"
        end = pos + int(match.group(1))
        record = body[match.end():end - 1]
        if end > len(body) or end <= match.end() or body[end - 1] != 0x0A:
            return f"the record at byte {pos} does not end with a newline where its length says"
        if b"=" not in record or record.startswith(b"="):
            return f"the record at byte {pos} is not keyword=value"
        pos = end
    return None


def _records(info: TracedTarInfo) -> list[tuple[str, str]]:
    if "name_records" not in info.__dict__:
        info.name_records = []
    return info.name_records


def name_disagreement(info: tarfile.TarInfo) -> str | None:
    """How the sources of ``info``'s name disagree, or None when every extractor reads
    the name tarfile read."""
    records = info.__dict__.get("name_records", [])
    problem = info.__dict__.get("header_problem")
    if problem is not None and (records == [] or problem.startswith("its PAX")):
        # A name record overrides the header's own name (and its prefix) everywhere.
        return str(problem)
    if len({name.rstrip("/") for _, name in records}) > 1:
        said = ", ".join(f"a {kind} says {name!r}" for kind, name in records)
        return f"its name records disagree ({said})"
    if folder_named_file(info):
        return ("it is a regular file whose name ends with '/': GNU tar and bsdtar make a "
                "folder of it and read its data as further members")
    return None


def folder_named_file(info: tarfile.TarInfo) -> bool:
    """A regular member named like a folder: extractors skip no data for it, so its data
    is read as headers, and can hold any member (tarfile never looks inside)."""
    records = info.__dict__.get("name_records", [])
    return info.isreg() and any(n.endswith("/") for n in (info.name, *(n for _, n in records)))


def _charge_map(read: int, limits: ArchiveLimits | None, offset: int) -> None:
    """A GNU sparse map read so far (``read`` bytes) is bounded like one metadata record."""
    if limits is not None and read > limits.max_header_bytes:
        raise MetadataTooLargeError(
            f"a GNU sparse map of more than {limits.max_header_bytes} bytes at byte {offset}")


def _charge_total(tf: tarfile.TarFile, read: int) -> None:
    """Add ``read`` bytes of metadata to the archive's total, bounded across members."""
    if not isinstance(tf, BoundedTarFile):
        return
    tf.metadata_bytes += read
    if tf.metadata_bytes > tf.limits.max_metadata_bytes:
        raise MetadataTooLargeError(
            f"metadata records total more than {tf.limits.max_metadata_bytes} bytes")
