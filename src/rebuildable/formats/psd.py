"""Adobe Photoshop documents: PSD (version 1) and PSB (version 2, "large document").

Layout (Adobe Photoshop File Formats Specification): a 26-byte header, the colour mode
data, the image resources, the layer and mask information section, then the composite
image. Layers live in the "layer info" part of the layer and mask section, or, for 16- and
32-bit documents, in a global ``Lr16``/``Lr32`` (or ``Layr``) tagged block that follows
an empty layer info. PSB widens the section lengths, the channel data lengths and the
lengths of some tagged blocks to 8 bytes.

``layers`` counts what a user sees in the Layers panel: pixel, shape, adjustment and
fill layers plus group folders; the hidden "section divider" records that close a group
(``lsct``/``lsdk`` type 3) are not counted. ``details["records"]`` is the raw record
count, ``details["groups"]`` the folders, ``details["dividers"]`` the divider records.
A document with no layer records at all (composite image only) has ``layers == 0``.
"""

from __future__ import annotations

import struct
from typing import Any

from rebuildable.formats._base import ENTRY_CAP, Cursor, FormatError, FormatInfo, Source
from rebuildable.formats.raster import editor_from_xmp

FAMILY = "layered-image"
COLOR_MODES = {0: "bitmap", 1: "grayscale", 2: "indexed", 3: "rgb", 4: "cmyk",
               7: "multichannel", 8: "duotone", 9: "lab"}
#: tagged-block keys whose length is 8 bytes wide in PSB files
_WIDE_KEYS = frozenset({b"LMsk", b"Lr16", b"Lr32", b"Layr", b"Mt16", b"Mt32", b"Mtrn",
                        b"Alph", b"FMsk", b"lnk2", b"FEid", b"FXid", b"PxSD", b"cinf"})
_LAYER_KEYS = (b"Layr", b"Lr16", b"Lr32")
_SIGNATURES = (b"8BIM", b"8B64")


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    cur = Cursor(src, 0, big_endian=True)
    cur.read(4, "signature")
    version = cur.u16("version")
    fmt = "psb" if version == 2 else "psd"
    details: dict[str, Any] = {"version": version}
    if version not in (1, 2):
        return FormatInfo(format="psd", family=FAMILY, layered=True, details=details,
                          problems=[f"unknown PSD version {version} (expected 1 or 2)"])
    wide = version == 2
    problems: list[str] = []
    warnings: list[str] = []
    try:
        _header(cur, wide, details, problems, warnings)
        cur.skip(cur.u32("colour mode data length"), "colour mode data")
        resources_len = cur.u32("image resources length")
        res_start = cur.pos
        editor = _resources(src, res_start, resources_len)
        if editor:
            details["editor"] = editor
        cur.skip(resources_len, "image resources")
        section_len = cur.u64("layer and mask length") if wide else cur.u32("layer and mask length")
        section_start = cur.pos
        section_end = section_start + section_len
        if section_end > src.size:
            raise FormatError(f"layer and mask section ({section_len} bytes at offset "
                            f"{section_start}) runs past the end of the file: truncated")
        counts = _Counts()
        if section_len:
            _layer_and_mask(cur, section_end, wide, counts, warnings)
        # The composite image data follows: a compression word at least.
        cur.pos = section_end
        compression = cur.u16("composite image compression")
        if compression > 3:
            problems.append(f"composite image compression {compression} is not 0..3")
        else:
            short = _composite_short(src, cur, compression, details, wide)
            if short:
                problems.append(short)
        details.update(counts.as_details())
        layers = counts.visible
    except FormatError as exc:
        problems.append(str(exc))
        return FormatInfo(format=fmt, family=FAMILY, layered=True, details=details,
                          problems=problems, warnings=warnings)
    return FormatInfo(format=fmt, family=FAMILY, layered=True, layers=layers, details=details,
                      problems=problems, warnings=warnings)


def _header(cur: Cursor, wide: bool, details: dict[str, Any], problems: list[str],
            warnings: list[str]) -> None:
    """The rest of the file header: channels, size, depth and colour mode, in bounds."""
    if cur.read(6, "reserved bytes") != b"\0" * 6:
        warnings.append("reserved header bytes are not zero")
    details["channels"] = cur.u16("channel count")
    details["height"] = cur.u32("height")
    details["width"] = cur.u32("width")
    details["depth"] = cur.u16("bit depth")
    mode = cur.u16("colour mode")
    details["color_mode"] = COLOR_MODES.get(mode, f"unknown-{mode}")
    if not 1 <= details["channels"] <= 56:
        problems.append(f"channel count {details['channels']} is outside 1..56")
    if details["depth"] not in (1, 8, 16, 32):
        problems.append(f"bit depth {details['depth']} is not 1, 8, 16 or 32")
    limit = 300_000 if wide else 30_000
    for dim in ("width", "height"):
        if not 1 <= details[dim] <= limit:
            problems.append(f"{dim} {details[dim]} is outside 1..{limit}")


def _composite_short(src: Source, cur: Cursor, compression: int, details: dict[str, Any],
                     wide: bool) -> str | None:
    """Whether the composite image data is shorter than its header says (raw or RLE)."""
    channels, height, width, depth = (details["channels"], details["height"],
                                      details["width"], details["depth"])
    row = (width * depth + 7) // 8
    left = src.size - cur.pos
    if compression == 0:
        want = channels * height * row
    elif compression == 1:
        rows = channels * height
        per = 4 if wide else 2
        if rows * per > 16 * 1024 * 1024:
            return None
        table = cur.read(rows * per, "RLE row byte counts")
        fmt = ">" + ("I" if wide else "H") * rows
        want = rows * per + sum(struct.unpack(fmt, table))
        left += rows * per
    else:
        return None
    if left < want:
        return (f"composite image data is {left} bytes but the header implies {want}: "
                f"truncated")
    return None


class _Counts:
    def __init__(self) -> None:
        self.records = 0
        self.groups = 0
        self.dividers = 0
        self.inverted = 0
        self.merged_alpha = False
        self.store: str | None = None

    @property
    def visible(self) -> int:
        return self.records - self.dividers

    def as_details(self) -> dict[str, Any]:
        out: dict[str, Any] = {"records": self.records, "groups": self.groups,
                               "dividers": self.dividers}
        if self.merged_alpha:
            out["merged_alpha"] = True
        if self.inverted:
            out["inverted_bounds"] = self.inverted
        if self.store:
            out["layer_store"] = self.store
        return out


def _layer_and_mask(cur: Cursor, end: int, wide: bool, counts: _Counts,
                    warnings: list[str]) -> None:
    info_len = cur.u64("layer info length") if wide else cur.u32("layer info length")
    info_start = cur.pos
    info_end = info_start + info_len
    if info_end > end:
        raise FormatError(f"layer info ({info_len} bytes) runs past the layer and mask section")
    if info_len:
        _layer_info(cur, info_end, wide, counts)
        counts.store = "layer-info"
    cur.pos = info_end
    if cur.pos + 4 > end:
        return
    mask_len = cur.u32("global layer mask length")
    if cur.pos + mask_len > end:
        raise FormatError("global layer mask info runs past the layer and mask section")
    cur.skip(mask_len, "global layer mask info")
    # Global tagged blocks, padded to 4 bytes.
    while cur.pos + 12 <= end:
        sig = cur.read(4, "tagged block signature")
        if sig not in _SIGNATURES:
            if sig == b"\0\0\0\0":  # trailing padding
                break
            warnings.append(f"unexpected bytes {sig!r} where a global tagged block was expected")
            break
        key = cur.read(4, "tagged block key")
        length = cur.u64("tagged block length") if wide and key in _WIDE_KEYS else \
            cur.u32("tagged block length")
        start = cur.pos
        if start + length > end:
            raise FormatError(f"tagged block {key.decode('latin-1')!r} ({length} bytes) runs past "
                            f"the layer and mask section")
        if key in _LAYER_KEYS and length:
            if counts.store == "layer-info" and counts.records:
                warnings.append(f"layers stored twice (layer info and {key.decode()})")
            sub = _Counts()
            _layer_info(cur, start + length, wide, sub)
            counts.records += sub.records
            counts.groups += sub.groups
            counts.dividers += sub.dividers
            counts.inverted += sub.inverted
            counts.merged_alpha = counts.merged_alpha or sub.merged_alpha
            counts.store = key.decode()
        cur.pos = start + length
        cur.pos += (-length) % 4


def _layer_info(cur: Cursor, end: int, wide: bool, counts: _Counts) -> None:
    count = cur.i16("layer count")
    if count < 0:
        counts.merged_alpha = True
        count = -count
    if count > ENTRY_CAP:
        raise FormatError(f"layer count {count} is implausible")
    channel_len = 8 if wide else 4
    for index in range(count):
        if cur.pos + 34 > end:
            raise FormatError(f"layer record {index} of {count} runs past the layer info: "
                              "truncated")
        top, left, bottom, right = cur.unpack("iiii", "layer bounds")
        channels = cur.u16("layer channel count")
        if channels > 56:
            raise FormatError(f"layer record {index} has {channels} channels (at most 56)")
        cur.skip(channels * (2 + channel_len), "channel information")
        if cur.read(4, "blend mode signature") not in _SIGNATURES:
            raise FormatError(f"layer record {index} has no 8BIM blend mode signature")
        cur.skip(8, "blend mode, opacity, clipping, flags")
        extra_len = cur.u32("layer extra data length")
        extra_end = cur.pos + extra_len
        if extra_end > end:
            raise FormatError(f"layer record {index} extra data runs past the layer info")
        divider = _record_extra(cur, extra_end, wide)
        counts.records += 1
        if divider in (1, 2):
            counts.groups += 1
        elif divider == 3:
            counts.dividers += 1
        cur.pos = extra_end
        if top > bottom or left > right:
            counts.inverted += 1


def _record_extra(cur: Cursor, end: int, wide: bool) -> int | None:
    """Walk one layer record's extra data; return its section-divider type, if any."""
    mask_len = cur.u32("layer mask data length")
    cur.skip(mask_len, "layer mask data")
    ranges_len = cur.u32("blending ranges length")
    cur.skip(ranges_len, "blending ranges")
    name_len = cur.u8("layer name length")
    cur.skip(name_len + (-(name_len + 1)) % 4, "layer name")
    if cur.pos > end:
        raise FormatError("layer mask, blending ranges and name run past the layer record")
    divider: int | None = None
    while cur.pos + 12 <= end:
        sig = cur.read(4, "tagged block signature")
        if sig not in _SIGNATURES:
            break  # tolerate writers' padding; the record length bounds us anyway
        key = cur.read(4, "tagged block key")
        length = cur.u64("tagged block length") if wide and key in _WIDE_KEYS else \
            cur.u32("tagged block length")
        start = cur.pos
        if start + length > end:
            raise FormatError(f"layer tagged block {key.decode('latin-1')!r} runs past the record")
        if key in (b"lsct", b"lsdk") and length >= 4:
            divider = cur.u32("section divider type")
        cur.pos = start + length
    return divider


def _resources(src: Source, start: int, length: int) -> str | None:
    """Look through image resources for hints of the writing editor (XMP CreatorTool)."""
    if length <= 0 or length > 16 * 1024 * 1024:
        return None
    end = start + length
    cur = Cursor(src, start, big_endian=True)
    try:
        for _ in range(4096):
            if cur.pos + 12 > end or cur.read(4, "resource signature") != b"8BIM":
                return None
            rid = cur.u16("resource id")
            name_len = cur.u8("resource name length")
            cur.skip(name_len + (name_len + 1) % 2, "resource name")
            size = cur.u32("resource size")
            if rid == 1060 and size <= 4 * 1024 * 1024:  # XMP metadata
                return editor_from_xmp(cur.read(size, "XMP")) or "photoshop"
            cur.skip(size + size % 2, "resource data")
    except FormatError:
        return None
    return None
