"""Hostile archives whose member names mean one thing to one reader and another to the
next (parser differentials), and archives whose metadata is built to exhaust memory.
Made at test time from bytes written here; no binary blobs in git.

Each builder returns the archive's path. The archives carry the manifest the caller
passes, so the hostile member, not a missing manifest, is what the validator meets.
"""

from __future__ import annotations

import gzip
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RawZipMember",
    "pax_records",
    "tar_blocks",
    "tar_gnu_and_pax_names",
    "tar_gnu_sparse_map",
    "tar_gnu_sparse_name",
    "tar_huge_metadata",
    "tar_malformed_pax_path",
    "tar_prefix_without_posix_magic",
    "tar_regular_member_named_like_a_folder",
    "tar_two_gnu_long_names",
    "unicode_path_extra",
    "zip_deflate_with_trailing_member",
    "zip_hidden_local_member",
    "zip_local_sizes_differ",
    "zip_name_starting_with_nul",
    "zip_raw",
    "zip_stored_early_descriptor",
    "zip_unicode_path_swap",
]

_BLOCK = tarfile.BLOCKSIZE


def unicode_path_extra(header_name: bytes, unicode_name: str, crc_of: bytes | None = None) -> bytes:
    """An Info-ZIP Unicode Path extra field (0x7075): version 1, CRC-32 of the header
    name (or of ``crc_of``), then the UTF-8 name."""
    body = b"\x01" + struct.pack("<I", zlib.crc32(crc_of if crc_of is not None else header_name))
    body += unicode_name.encode("utf-8")
    return struct.pack("<HH", 0x7075, len(body)) + body


def zip_unicode_path_swap(path: Path, manifest: bytes, first: tuple[str, bytes],
                          second: tuple[str, bytes]) -> Path:
    """Two members whose Unicode Path fields name each other: Python's zipfile reads
    ``first`` under its header name, Info-ZIP ``unzip`` and libarchive write the first
    member's bytes under the second name and the other way round."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("rebuild.yaml", manifest)
        (a_name, a_data), (b_name, b_data) = first, second
        for name, data, other in ((a_name, a_data, b_name), (b_name, b_data, a_name)):
            info = zipfile.ZipInfo(name)
            info.extra = unicode_path_extra(name.encode("ascii"), other)
            zf.writestr(info, data)
    return path


def zip_name_starting_with_nul(path: Path, manifest: bytes) -> Path:
    """A member named ``"\\x00evil"``: zipfile cuts the name at the NUL (to ""), and its
    ``ZipInfo.is_dir()`` then fails with IndexError."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("rebuild.yaml", manifest)
        zf.writestr("Xevil", b"hidden")  # zipfile will not write the NUL itself
    path.write_bytes(path.read_bytes().replace(b"Xevil", b"\x00evil"))
    return path


def pax_records(records: dict[str, str]) -> bytes:
    """The body of a PAX extended header: ``"<len> <key>=<value>\\n"`` lines."""
    out = b""
    for key, value in records.items():
        line = f" {key}={value}\n".encode()
        n = len(line) + 1
        while len(str(n).encode()) + len(line) != n:
            n += 1
        out += str(n).encode() + line
    return out


def _header(name: str, size: int, type_: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.type = type_
    info.mode = 0o644
    return info.tobuf(tarfile.USTAR_FORMAT)


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % _BLOCK)


def tar_blocks(parts: Iterable[tuple[str, bytes, bytes]]) -> bytes:
    """Tar bytes from raw ``(header name, type, body)`` parts, in order, with the end."""
    out = b""
    for name, type_, body in parts:
        out += _header(name, len(body), type_) + _padded(body)
    return out + b"\0" * (2 * _BLOCK)


def _manifest_part(manifest: bytes) -> tuple[str, bytes, bytes]:
    return ("rebuild.yaml", tarfile.REGTYPE, manifest)


def tar_gnu_and_pax_names(path: Path, manifest: bytes, gnu: str, pax: str, data: bytes, *,
                          header: str = "short", pax_first: bool = False,
                          decoy: tuple[str, bytes] | None = None) -> Path:
    """A member named three ways: a GNU long-name record says ``gnu``, a PAX header
    says ``pax`` and the ustar header says ``header``. Python's tarfile takes whichever
    record comes first; GNU tar and libarchive take the PAX path. ``decoy`` adds a plain
    member before it."""
    long_name = ("././@LongLink", tarfile.GNUTYPE_LONGNAME, gnu.encode() + b"\0")
    pax_header = ("PaxHeaders/x", tarfile.XHDTYPE, pax_records({"path": pax}))
    names = [pax_header, long_name] if pax_first else [long_name, pax_header]
    parts = [_manifest_part(manifest)]
    if decoy is not None:
        parts.append((decoy[0], tarfile.REGTYPE, decoy[1]))
    parts += [*names, (header, tarfile.REGTYPE, data)]
    path.write_bytes(tar_blocks(parts))
    return path


def tar_two_gnu_long_names(path: Path, manifest: bytes, first: str, second: str,
                           data: bytes) -> Path:
    """Two GNU long-name records before one member: Python's tarfile keeps the first,
    GNU tar the last."""
    parts = [_manifest_part(manifest),
             ("././@LongLink", tarfile.GNUTYPE_LONGNAME, first.encode() + b"\0"),
             ("././@LongLink", tarfile.GNUTYPE_LONGNAME, second.encode() + b"\0"),
             ("short", tarfile.REGTYPE, data)]
    path.write_bytes(tar_blocks(parts))
    return path


def tar_huge_metadata(path: Path, manifest: bytes, kind: bytes, size: int) -> Path:
    """A .tar.gz whose member ``data.bin`` follows a GNU long-name (``kind`` b"L") or
    PAX (b"x") record of ``size`` bytes; written streaming, and gzip shrinks it about a
    thousandfold."""
    name = "././@LongLink" if kind == tarfile.GNUTYPE_LONGNAME else "PaxHeaders/x"
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(_header("rebuild.yaml", len(manifest), tarfile.REGTYPE) + _padded(manifest))
        out.write(_header(name, size, kind))
        # PAX: one well-formed record whose value is the whole body; GNU: one long name.
        first = f"{size} comment=".encode() if kind == tarfile.XHDTYPE else b""
        out.write(first)
        left = size - len(first) - 1
        chunk = b"a" * (1 << 20)
        while left > 0:
            out.write(chunk[:left])
            left -= len(chunk)
        out.write(b"\n" if kind == tarfile.XHDTYPE else b"\0")
        out.write(b"\0" * (-size % _BLOCK))
        out.write(_header("data.bin", 4, tarfile.REGTYPE) + _padded(b"data"))
        out.write(b"\0" * (2 * _BLOCK))
    return path


# -- tar: more name sources ----------------------------------------------------------------


def tar_gnu_sparse_name(path: Path, manifest: bytes, pax_path: str, sparse_name: str,
                        data: bytes) -> Path:
    """A member whose PAX header gives ``GNU.sparse.name`` and then ``path``: Python's
    tarfile takes the last keyword (``pax_path``), GNU tar and libarchive always the
    sparse name."""
    body = pax_records({"GNU.sparse.name": sparse_name, "path": pax_path})
    path.write_bytes(tar_blocks([_manifest_part(manifest),
                                 ("PaxHeaders/x", tarfile.XHDTYPE, body),
                                 (pax_path, tarfile.REGTYPE, data)]))
    return path


def tar_malformed_pax_path(path: Path, manifest: bytes, header: str, data: bytes) -> Path:
    """A PAX record ``"12 path=a.bin\n"`` whose length stops three bytes short: Python's
    tarfile (3.11) reads the path ``"a.b"``; GNU tar and bsdtar refuse the record and
    write the member under its header name ``header``."""
    path.write_bytes(tar_blocks([_manifest_part(manifest),
                                 ("PaxHeaders/x", tarfile.XHDTYPE, b"12 path=a.bin\n"),
                                 (header, tarfile.REGTYPE, data)]))
    return path


def tar_prefix_without_posix_magic(path: Path, manifest: bytes, prefix: str, name: str,
                                   data: bytes, *, magic: bytes = b"ustar  \0") -> Path:
    """A member whose header has a ``prefix`` field but the old GNU magic (or none):
    Python's tarfile names it ``prefix/name``, GNU tar and bsdtar ``name``."""
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    buf = bytearray(info.tobuf(tarfile.USTAR_FORMAT))
    buf[345:345 + len(prefix)] = prefix.encode()
    buf[257:265] = magic
    buf[148:156] = b" " * 8
    buf[148:156] = b"%06o\0 " % sum(buf)
    manifest_part = tar_blocks([_manifest_part(manifest)])[:-2 * _BLOCK]
    path.write_bytes(manifest_part + bytes(buf) + _padded(data) + b"\0" * (2 * _BLOCK))
    return path


def tar_regular_member_named_like_a_folder(path: Path, manifest: bytes, listed: str,
                                           first: bytes, second: bytes) -> Path:
    """``listed`` holding ``first``, then a regular member ``x/`` whose data is a whole
    tar member ``listed`` holding ``second``: Python's tarfile reads ``x/`` as a file and
    never looks inside it; GNU tar and bsdtar make a folder of ``x/`` and read its data
    as the next header, so they write ``second`` over ``listed``."""
    inner = _header(listed, len(second), tarfile.REGTYPE) + _padded(second)
    path.write_bytes(tar_blocks([_manifest_part(manifest),
                                 (listed, tarfile.REGTYPE, first),
                                 ("x/", tarfile.REGTYPE, inner)]))
    return path


# -- zip: bytes of a member that readers take differently -------------------------------

_DESCRIPTOR = 0x8


@dataclass
class RawZipMember:
    """One zip member, written as given: ``data`` is the stored (compressed) bytes.

    ``local`` replaces the local header's (CRC-32, compressed size, size); ``after``
    is written right after the data (a data descriptor, or bytes no member owns)."""

    name: str
    data: bytes
    plain: bytes | None = None  # the uncompressed bytes (default: ``data``)
    method: int = zipfile.ZIP_STORED
    flags: int = 0
    local: tuple[int, int, int] | None = None
    after: bytes = b""

    def central_sizes(self) -> tuple[int, int, int]:
        plain = self.data if self.plain is None else self.plain
        return zlib.crc32(plain), len(self.data), len(plain)


def zip_raw(path: Path, members: Iterable[RawZipMember]) -> Path:
    """A zip written byte by byte from ``members`` (version 2.0, no extra fields)."""
    body, central = b"", b""
    count = 0
    for m in members:
        name = m.name.encode()
        crc, csize, usize = m.central_sizes()
        lcrc, lcsize, lusize = m.local if m.local is not None else (crc, csize, usize)
        if m.flags & _DESCRIPTOR and m.local is None:
            lcrc = lcsize = lusize = 0
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, m.flags, m.method, 0, 0x21,
                            lcrc, lcsize, lusize, len(name), 0) + name + m.data + m.after
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0x031E, 20, m.flags,
                               m.method, 0, 0x21, crc, csize, usize, len(name), 0, 0, 0, 0,
                               0o100644 << 16, offset) + name
        count += 1
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central),
                      len(body), 0)
    path.write_bytes(body + central + end)
    return path


def _local_record(name: str, data: bytes) -> bytes:
    """A lone local header and stored data: a member no central directory lists."""
    raw = name.encode()
    return struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0x21, zlib.crc32(data),
                       len(data), len(data), len(raw), 0) + raw + data


def zip_hidden_local_member(path: Path, manifest: bytes, name: str, listed: bytes,
                            hidden: bytes) -> Path:
    """``name`` holding ``listed``, then bytes no central directory entry owns: a local
    header for ``name`` holding ``hidden``. Readers of the central directory (zipfile,
    unzip) see ``listed``; a streaming reader (``curl ... | bsdtar -x``) writes
    ``hidden`` last."""
    return zip_raw(path, [RawZipMember("rebuild.yaml", manifest),
                          RawZipMember(name, listed, after=_local_record(name, hidden))])


def zip_local_sizes_differ(path: Path, manifest: bytes, name: str, shown: bytes,
                           hidden: bytes) -> Path:
    """``name`` whose central directory size covers ``shown`` and a local member for
    ``name`` holding ``hidden`` after it, while its local header's size covers ``shown``
    alone: a streaming reader stops there and reads the rest as the next member."""
    data = shown + _local_record(name, hidden)
    return zip_raw(path, [RawZipMember("rebuild.yaml", manifest),
                          RawZipMember(name, data,
                                       local=(zlib.crc32(shown), len(shown), len(shown)))])


def zip_deflate_with_trailing_member(path: Path, manifest: bytes, name: str, shown: bytes,
                                     hidden: bytes) -> Path:
    """``name`` deflated, its compressed size (both headers) running past the end of the
    deflate stream over a local member ``name`` holding ``hidden``: zipfile stops at the
    stream's end, bsdtar reads on and writes ``hidden``."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = squeeze.compress(shown) + squeeze.flush() + _local_record(name, hidden)
    return zip_raw(path, [RawZipMember("rebuild.yaml", manifest),
                          RawZipMember(name, data, plain=shown, method=zipfile.ZIP_DEFLATED)])


def zip_stored_early_descriptor(path: Path, manifest: bytes, name: str, shown: bytes,
                                hidden: bytes) -> Path:
    """``name`` stored with a data descriptor (sizes after the data), whose data is
    ``shown``, a valid descriptor for ``shown``, then a local member ``name`` holding
    ``hidden``: libarchive's streaming reader ends the member at the first descriptor
    that matches the CRC-32 so far, and writes ``hidden`` next."""
    inner = struct.pack("<4sIII", b"PK\x07\x08", zlib.crc32(shown), len(shown), len(shown))
    data = shown + inner + _local_record(name, hidden)
    crc = zlib.crc32(data)
    descriptor = struct.pack("<4sIII", b"PK\x07\x08", crc, len(data), len(data))
    return zip_raw(path, [RawZipMember("rebuild.yaml", manifest),
                          RawZipMember(name, data, flags=_DESCRIPTOR, after=descriptor)])


def tar_gnu_sparse_map(path: Path, manifest: bytes, entries: int) -> Path:
    """A .tar.gz whose member ``data.bin`` is a GNU sparse 1.0 file whose map (at the
    start of its data, one number a line) lists ``entries`` offset/size pairs: tarfile
    keeps every number, and gzip makes 5 million of them 20 KB."""
    pax = pax_records({"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                       "GNU.sparse.name": "data.bin", "GNU.sparse.realsize": "1"})
    body = b"%d\n" % entries + b"0\n1\n" * entries
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(_header("rebuild.yaml", len(manifest), tarfile.REGTYPE) + _padded(manifest))
        out.write(_header("PaxHeaders/x", len(pax), tarfile.XHDTYPE) + _padded(pax))
        out.write(_header("GNUSparseFile.0/data.bin", len(body), tarfile.REGTYPE))
        out.write(_padded(body))
        out.write(b"\0" * (2 * _BLOCK))
    return path
