"""Flat raster images: PNG, JPEG, WebP, GIF, BMP, TIFF, AVIF/HEIF; and the metadata that
layered editors leave in them.

A PNG or JPEG exported from Photoshop, GIMP or Krita often says so: PNG ``tEXt``/``iTXt``
``Software`` chunks, XMP packets (PNG ``iTXt`` ``XML:com.adobe.xmp``, JPEG APP1) with
``xmp:CreatorTool`` or the ``photoshop:`` namespace, JPEG APP13 "Photoshop 3.0" image
resource blocks, Exif ``Software``. ``details["editor"]`` names the editor found
("photoshop", "gimp", "krita", "mypaint", ...); ``details["software"]`` keeps the text.

``details["c2pa"]`` is True when the file embeds a C2PA manifest store (PNG ``caBX``
chunk, JPEG APP11 JUMBF segment, WebP ``C2PA`` chunk): the C2PA check reads those files,
and only those, with the optional c2pa library (spec/c2pa.md).
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

from rebuildable.formats._base import ENTRY_CAP, Cursor, FormatError, FormatInfo, Source

FAMILY = "raster-image"
_PNG = b"\x89PNG\r\n\x1a\n"
_TEXT_CAP = 1024 * 1024
_XMP_KEYWORD = b"XML:com.adobe.xmp"
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"

_EDITORS = (
    ("photoshop", "photoshop"), ("imageready", "photoshop"), ("gimp", "gimp"),
    ("krita", "krita"), ("mypaint", "mypaint"), ("affinity", "affinity"),
    ("paint.net", "paint.net"), ("clip studio", "clip-studio"), ("clipstudio", "clip-studio"),
    ("procreate", "procreate"), ("pixelmator", "pixelmator"), ("inkscape", "inkscape"),
    ("illustrator", "illustrator"), ("lightroom", "lightroom"), ("darktable", "darktable"),
)


def editor_name(software: str) -> str | None:
    low = software.lower()
    for needle, editor in _EDITORS:
        if needle in low:
            return editor
    return None


_CREATOR = re.compile(rb"CreatorTool(?:=\"([^\"]*)\"|>([^<]*)<)")


def editor_from_xmp(xmp: bytes) -> str | None:
    """The editor an XMP packet names: ``xmp:CreatorTool`` first, then the photoshop namespace."""
    match = _CREATOR.search(xmp)
    if match:
        tool = (match.group(1) or match.group(2) or b"").decode("utf-8", "replace")
        found = editor_name(tool)
        if found:
            return found
    if b"http://ns.adobe.com/photoshop/1.0/" in xmp or b"photoshop:" in xmp:
        return "photoshop"
    return None


def _creator_text(xmp: bytes) -> str | None:
    match = _CREATOR.search(xmp)
    if not match:
        return None
    return (match.group(1) or match.group(2) or b"").decode("utf-8", "replace")[:200]


def matches(head: bytes) -> bool:
    return (head.startswith((_PNG, b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00",
                             b"MM\x00*"))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (head[:2] == b"BM" and len(head) >= 26 and head[6:10] == b"\0\0\0\0")
            or (head[4:8] == b"ftyp" and head[8:12] in _FTYP))


_FTYP = {b"avif": "avif", b"avis": "avif", b"heic": "heif", b"heix": "heif", b"mif1": "heif",
         b"msf1": "heif"}


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    if head.startswith(_PNG):
        return _png(src)
    if head.startswith(b"\xff\xd8\xff"):
        return _jpeg(src)
    if head[:4] == b"RIFF":
        return _webp(src)
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _gif(src, head)
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return _tiff(src, head)
    if head[:2] == b"BM":
        return _bmp(src, head)
    return FormatInfo(format=_FTYP[head[8:12]], family=FAMILY, layered=False)


def _result(fmt: str, details: dict[str, Any], problems: list[str],
            warnings: list[str] | None = None, notes: list[str] | None = None) -> FormatInfo:
    return FormatInfo(format=fmt, family=FAMILY, layered=False, details=details,
                      problems=problems, warnings=warnings or [], notes=notes or [])


def _note_software(details: dict[str, Any], software: str) -> None:
    details.setdefault("software", software[:200])
    editor = editor_name(software)
    if editor and "editor" not in details:
        details["editor"] = editor


# -- PNG ---------------------------------------------------------------------------


#: read-ahead of the chunk walks (PNG, WebP): a chunk header, not the payload after it.
#: The default 64 KiB would charge the read budget a block per 8 KiB IDAT chunk (libpng's
#: size), so a valid PNG over ~96 MiB was "not fully checked" and its caBX unseen.
_HEADER_READ = 64


def _png(src: Source) -> FormatInfo:
    details: dict[str, Any] = {}
    problems: list[str] = []
    notes: list[str] = []
    cur = Cursor(src, 8, big_endian=True, chunk=_HEADER_READ)
    try:
        length = cur.u32("IHDR length")
        if cur.read(4, "IHDR type") != b"IHDR" or length != 13:
            raise FormatError("the first chunk is not a 13-byte IHDR")
        width, height, depth, color, _comp, _filt, interlace = cur.unpack("IIBBBBB", "IHDR")
        details.update(width=width, height=height, bit_depth=depth, color_type=color,
                       interlaced=bool(interlace))
        cur.skip(4, "IHDR CRC")
        if width == 0 or height == 0:
            problems.append("width or height is zero")
        seen_idat = False
        for _ in range(ENTRY_CAP):
            length = cur.u32("chunk length")
            ctype = cur.read(4, "chunk type")
            if length > 0x7FFFFFFF or not ctype.isalpha():
                raise FormatError(f"bad chunk header at offset {cur.pos - 8}")
            if ctype == b"IEND":
                break
            if ctype == b"IDAT":
                seen_idat = True
            if ctype in (b"tEXt", b"iTXt", b"zTXt") and length <= _TEXT_CAP:
                _png_text(ctype, cur.read(length, "text chunk"), details)
            elif ctype == b"acTL":
                details["animated"] = True
                cur.skip(length, "chunk data")
            elif ctype == b"caBX":  # C2PA's JUMBF manifest store (C2PA 2.x, A.3.3)
                details["c2pa"] = True
                cur.skip(length, "chunk data")
            else:
                cur.skip(length, "chunk data")
            cur.skip(4, "chunk CRC")
        else:  # valid, if rare (an 800 MB image in 8 KiB IDATs): read no further
            notes.append(f"not fully checked: more than {ENTRY_CAP} chunks")
        if not seen_idat and not notes:
            problems.append("no IDAT chunk: the image holds no pixel data")
    except FormatError as exc:
        problems.append(str(exc))
    return _result("png", details, problems, notes=notes)


def _png_text(ctype: bytes, data: bytes, details: dict[str, Any]) -> None:
    keyword, _, rest = data.partition(b"\0")
    text: bytes
    if ctype == b"tEXt":
        text = rest
    elif ctype == b"zTXt":
        try:
            text = zlib.decompressobj().decompress(rest[1:], _TEXT_CAP)
        except zlib.error:
            return
    else:  # iTXt: compression flag, method, language\0, translated keyword\0, text
        if len(rest) < 2:
            return
        compressed = rest[0] == 1
        tail = rest[2:]
        _lang, _, tail = tail.partition(b"\0")
        _trans, _, text = tail.partition(b"\0")
        if compressed:
            try:
                text = zlib.decompressobj().decompress(text, _TEXT_CAP)
            except zlib.error:
                return
    if keyword == _XMP_KEYWORD:
        details["xmp"] = True
        creator = _creator_text(text)
        if creator:
            details.setdefault("software", creator)
        editor = editor_from_xmp(text)
        if editor:
            details["editor"] = editor
    elif keyword.lower() == b"software":
        _note_software(details, text.decode("latin-1" if ctype == b"tEXt" else "utf-8",
                                            "replace"))


# -- JPEG --------------------------------------------------------------------------

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(src: Source) -> FormatInfo:
    details: dict[str, Any] = {}
    problems: list[str] = []
    cur = Cursor(src, 2, big_endian=True)
    try:
        for _ in range(ENTRY_CAP):
            marker = cur.read(1, "marker")
            if marker != b"\xff":
                raise FormatError(f"expected a JPEG marker at offset {cur.pos - 1}")
            code = cur.u8("marker code")
            while code == 0xFF:  # fill bytes
                code = cur.u8("marker code")
            if code == 0xD9:
                raise FormatError("end of image before any scan")
            if 0xD0 <= code <= 0xD8 or code == 0x01:  # standalone: RSTn, a repeated SOI, TEM
                continue
            length = cur.u16("segment length")
            if length < 2:
                raise FormatError(f"segment length {length} at offset {cur.pos - 2}")
            if code in _SOF:
                precision, height, width, comps = cur.unpack("BHHB", "frame header")
                details.update(width=width, height=height, bit_depth=precision,
                               components=comps, progressive=code in (0xC2, 0xC6, 0xCA, 0xCE))
                cur.skip(length - 8, "frame header")
            elif code == 0xDA:  # start of scan: metadata is over
                if "width" not in details:
                    problems.append("scan before any frame header")
                break
            elif code == 0xE1 and length - 2 <= _TEXT_CAP:
                _jpeg_app1(cur.read(length - 2, "APP1"), details)
            elif code == 0xEB and length >= 18:
                _jpeg_app11(cur.read(min(length - 2, 64), "APP11"), details)
                cur.skip(length - 2 - min(length - 2, 64), "APP11")
            elif code == 0xED and length - 2 <= _TEXT_CAP:
                data = cur.read(length - 2, "APP13")
                if data.startswith(b"Photoshop 3.0\0"):
                    details["photoshop_irb"] = True
                    details.setdefault("editor", "photoshop")
            else:
                cur.skip(length - 2, "segment")
        else:
            raise FormatError(f"more than {ENTRY_CAP} segments before the first scan")
        if src.size >= 2 and src.read_upto(src.size - 2, 2) != b"\xff\xd9":
            # Many writers append data after EOI; a missing EOI at the end is a hint only.
            tail = src.read_upto(max(0, src.size - 4096), 4096)
            if b"\xff\xd9" not in tail:
                problems.append("no end-of-image marker: the file looks truncated")
    except FormatError as exc:
        problems.append(str(exc))
    return _result("jpeg", details, problems)


def _jpeg_app11(data: bytes, details: dict[str, Any]) -> None:
    """JPEG XT's JUMBF boxes (ISO 19566-5): "JP", box instance, sequence number, then a
    ``jumb`` superbox whose description box is labelled ``c2pa`` for a manifest store."""
    if data.startswith(b"JP") and data[12:16] == b"jumb" and b"c2pa" in data[16:]:
        details["c2pa"] = True


def _jpeg_app1(data: bytes, details: dict[str, Any]) -> None:
    if data.startswith(_JPEG_XMP):
        xmp = data[len(_JPEG_XMP):]
        details["xmp"] = True
        creator = _creator_text(xmp)
        if creator:
            details.setdefault("software", creator)
        editor = editor_from_xmp(xmp)
        if editor:
            details["editor"] = editor
    elif data.startswith(b"Exif\0\0"):
        software = _exif_software(data[6:])
        if software:
            _note_software(details, software)


def _exif_software(tiff: bytes) -> str | None:
    """Tag 0x0131 (Software) of IFD0 in a TIFF/Exif block, if present."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    end = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(end + "I", tiff, 4)
        (count,) = struct.unpack_from(end + "H", tiff, ifd)
        for i in range(min(count, 512)):
            tag, typ, n, value = struct.unpack_from(end + "HHII", tiff, ifd + 2 + 12 * i)
            if tag == 0x0131 and typ == 2:
                raw = (tiff[ifd + 2 + 12 * i + 8: ifd + 2 + 12 * i + 8 + n] if n <= 4
                       else tiff[value:value + n])
                return raw.rstrip(b"\0").decode("latin-1")
    except struct.error:
        return None
    return None


# -- WebP --------------------------------------------------------------------------


def _webp(src: Source) -> FormatInfo:
    details: dict[str, Any] = {}
    problems: list[str] = []
    cur = Cursor(src, 4, chunk=_HEADER_READ)
    try:
        riff_size = cur.u32("RIFF size")
        cur.skip(4, "WEBP")
        if riff_size + 8 > src.size:
            problems.append(f"RIFF size {riff_size} runs past the end of the file: truncated")
        end = min(src.size, riff_size + 8)
        for _ in range(ENTRY_CAP):
            if cur.pos + 8 > end:
                break
            ctype = cur.read(4, "chunk type")
            length = cur.u32("chunk size")
            start = cur.pos
            if start + length > end:
                raise FormatError(f"chunk {ctype!r} runs past the end of the file: truncated")
            if ctype == b"VP8X" and length >= 10:
                data = cur.read(10, "VP8X")
                details["width"] = 1 + int.from_bytes(data[4:7], "little")
                details["height"] = 1 + int.from_bytes(data[7:10], "little")
                details["animated"] = bool(data[0] & 0x02)
            elif ctype == b"VP8 " and length >= 10 and "width" not in details:
                data = cur.read(10, "VP8")
                if data[3:6] != b"\x9d\x01\x2a":
                    raise FormatError("VP8 frame has no start code")
                details["width"] = int.from_bytes(data[6:8], "little") & 0x3FFF
                details["height"] = int.from_bytes(data[8:10], "little") & 0x3FFF
                details["lossless"] = False
            elif ctype == b"VP8L" and length >= 5 and "width" not in details:
                data = cur.read(5, "VP8L")
                if data[0] != 0x2F:
                    raise FormatError("VP8L bitstream has no signature byte")
                bits = int.from_bytes(data[1:5], "little")
                details["width"] = (bits & 0x3FFF) + 1
                details["height"] = ((bits >> 14) & 0x3FFF) + 1
                details["lossless"] = True
            elif ctype == b"C2PA":
                details["c2pa"] = True
            elif ctype == b"XMP " and length <= _TEXT_CAP:
                xmp = cur.read(length, "XMP")
                details["xmp"] = True
                editor = editor_from_xmp(xmp)
                if editor:
                    details["editor"] = editor
            cur.pos = start + length + (length & 1)
        if "width" not in details:
            problems.append("no VP8, VP8L or VP8X chunk with the image size")
    except FormatError as exc:
        problems.append(str(exc))
    return _result("webp", details, problems)


# -- GIF, TIFF, BMP ------------------------------------------------------------------


def _gif(src: Source, head: bytes) -> FormatInfo:
    if len(head) < 10:
        return _result("gif", {}, ["logical screen descriptor is truncated"])
    width, height = struct.unpack_from("<HH", head, 6)
    return _result("gif", {"width": width, "height": height, "version": head[3:6].decode()}, [])


def _tiff(src: Source, head: bytes) -> FormatInfo:
    end = "<" if head[:2] == b"II" else ">"
    details: dict[str, Any] = {}
    problems: list[str] = []
    try:
        (ifd,) = struct.unpack_from(end + "I", head, 4)
        cur = Cursor(src, ifd, big_endian=end == ">")
        count = cur.u16("IFD entry count")
        for _ in range(min(count, 4096)):
            tag, typ, _n = cur.unpack("HHI", "IFD entry")
            raw = cur.read(4, "IFD value")
            value = struct.unpack(end + ("H" if typ == 3 else "I"), raw[:2] if typ == 3 else raw)[0]
            if tag == 256:
                details["width"] = value
            elif tag == 257:
                details["height"] = value
            elif tag == 37724:  # ImageSourceData: Photoshop's layers inside a TIFF
                details["photoshop_layers"] = True
                details["editor"] = "photoshop"
    except (FormatError, struct.error) as exc:
        problems.append(f"first IFD is unreadable: {exc}")
    return _result("tiff", details, problems)


def _bmp(src: Source, head: bytes) -> FormatInfo:
    if len(head) < 26:
        return _result("bmp", {}, ["header is truncated"])
    file_size, = struct.unpack_from("<I", head, 2)
    header_size, = struct.unpack_from("<I", head, 14)
    details: dict[str, Any] = {}
    problems: list[str] = []
    if header_size == 12:
        w, h = struct.unpack_from("<HH", head, 18)
    else:
        w, h = struct.unpack_from("<ii", head, 18)
    details.update(width=w, height=abs(h))
    if file_size > src.size:
        problems.append(f"header says {file_size} bytes but the file has {src.size}: truncated")
    return _result("bmp", details, problems)
