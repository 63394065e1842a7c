"""Tar archives (ustar, GNU, pax and v7) and compressed streams (gzip, bzip2, xz, zstd, 7z).

A tar is recognised by the ``ustar`` magic at offset 257 or, for v7 archives, by a valid
header checksum. Its member headers are walked (seeking past the data) up to
:data:`ENTRY_CAP` members, so a truncated archive is noticed. A gzip stream is peeked into
(a bounded amount decompressed): a gzip of a tar is reported as ``tar`` and a gzip of an SVG
(``.svgz``) as ``svg``, with ``details["compression"] = "gzip"``.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from rebuildable.formats import svg
from rebuildable.formats._base import ENTRY_CAP, XML_CAP, FormatInfo, Source

FAMILY = "archive"
_BLOCK = 512
_PEEK = 64 * 1024
_COMPRESSED = {b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd",
               b"7z\xbc\xaf\x27\x1c": "7z"}


_COMPRESSED_MAGICS = tuple(_COMPRESSED)


def matches(head: bytes) -> bool:
    if head.startswith(b"\x1f\x8b\x08"):
        return True
    if head.startswith(_COMPRESSED_MAGICS):
        return not head.startswith(b"BZh") or (len(head) > 3 and head[3:4] in b"123456789")
    return is_tar_header(head[:_BLOCK])


def is_tar_header(block: bytes) -> bool:
    if len(block) < _BLOCK:
        return False
    if block[257:262] == b"ustar":
        return True
    return _checksum_ok(block)


#: the header checksum field as v7 writers leave it: octal digits padded with NUL or
#: white space; checked before the sum, which most bytes never get to
_OCTAL_FIELD = re.compile(rb"[\0\t\n\x0b\x0c\r ]*[0-7]+[\0\t\n\x0b\x0c\r ]*")


def _checksum_ok(block: bytes) -> bool:
    if _OCTAL_FIELD.fullmatch(block, 148, 156) is None:
        return False
    raw = block[148:156].replace(b"\0", b" ").strip()
    want = int(raw, 8)
    total = sum(block[:148]) + 8 * 32 + sum(block[156:_BLOCK])
    return want == total and any(block[:100])


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    if head.startswith(b"\x1f\x8b\x08"):
        return _gzip(src)
    for magic, fmt in _COMPRESSED.items():
        if head.startswith(magic):
            return FormatInfo(format=fmt, family=FAMILY)
    return _tar(src)


def _tar(src: Source) -> FormatInfo:
    pos = 0
    members = 0
    problems: list[str] = []
    details: dict[str, Any] = {}
    while members < ENTRY_CAP:
        if pos + _BLOCK > src.size:
            problems.append(f"archive ends inside a header at offset {pos}: truncated")
            break
        block = src.read_at(pos, _BLOCK, "tar header")
        if block == b"\0" * _BLOCK:
            break
        if not _checksum_ok(block):
            problems.append(f"bad header checksum at offset {pos}")
            break
        size_field = block[124:136]
        if size_field[0] & 0x80:  # GNU base-256
            size = int.from_bytes(size_field[1:], "big")
        else:
            text = size_field.replace(b"\0", b" ").strip() or b"0"
            try:
                size = int(text, 8)
            except ValueError:
                problems.append(f"bad size field at offset {pos}")
                break
        members += 1
        pos += _BLOCK + (size + _BLOCK - 1) // _BLOCK * _BLOCK
        if pos > src.size:
            problems.append(f"member {members} runs past the end of the archive: truncated")
            break
    else:
        details["members"] = members
        return FormatInfo(format="tar", family=FAMILY, details=details, problems=problems,
                          notes=[f"more than {ENTRY_CAP} members: the rest was not walked"])
    details["members"] = members
    return FormatInfo(format="tar", family=FAMILY, details=details, problems=problems)


def _gzip(src: Source) -> FormatInfo:
    raw = src.read_upto(0, _PEEK)
    try:
        inflated = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, XML_CAP)
    except zlib.error as exc:
        return FormatInfo(format="gzip", family=FAMILY,
                          problems=[f"not a valid gzip stream: {exc}"])
    if is_tar_header(inflated[:_BLOCK]):
        return FormatInfo(format="tar", family=FAMILY, details={"compression": "gzip"})
    if svg.matches(inflated[:4096]):
        return _svgz(src)
    return FormatInfo(format="gzip", family=FAMILY)


def _svgz(src: Source) -> FormatInfo:
    out = bytearray()
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pos = 0
    try:
        while pos < src.size and len(out) <= XML_CAP:
            chunk = src.read_upto(pos, _PEEK)
            pos += len(chunk)
            out += d.decompress(chunk, XML_CAP + 1 - len(out))
            if d.eof:
                break
    except zlib.error as exc:
        return FormatInfo(format="svg", family="vector-image", details={"compression": "gzip"},
                          problems=[f"gzip stream is corrupt: {exc}"])
    if len(out) > XML_CAP:
        return FormatInfo(format="svg", family="vector-image",
                          details={"compression": "gzip", "partial": True},
                          notes=[f"decompresses to more than {XML_CAP} bytes: not parsed"])
    if not d.eof:
        return FormatInfo(format="svg", family="vector-image", details={"compression": "gzip"},
                          problems=["gzip stream ends early: truncated"])
    info = svg.parse_svg(bytes(out))
    return FormatInfo(format=info.format, family=info.family, layered=info.layered,
                      layers=info.layers, details={**info.details, "compression": "gzip"},
                      problems=info.problems, warnings=info.warnings)
