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
from pathlib import Path

__all__ = [
    "pax_records",
    "tar_blocks",
    "tar_gnu_and_pax_names",
    "tar_huge_metadata",
    "tar_two_gnu_long_names",
    "unicode_path_extra",
    "zip_name_starting_with_nul",
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
