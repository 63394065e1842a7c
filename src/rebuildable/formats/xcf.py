"""GIMP's XCF.

Header: ``gimp xcf `` then ``file`` (version 0) or ``vNNN`` and a NUL; width, height and
base type (32-bit big-endian); from version 4 the precision; then the image property list
(type, length, payload; ends with PROP_END) and the layer pointers (32-bit before version
11, 64-bit from 11), ending with a zero pointer, then the channel pointers likewise.

All layers of an XCF are in that one list, the children of layer groups included (a child
says where it sits with PROP_ITEM_PATH), so ``layers`` is the pointer count: layers plus
groups, as a user sees them in the Layers dock. ``details["groups"]`` counts the items that
carry PROP_GROUP_ITEM.
"""

from __future__ import annotations

from typing import Any

from rebuildable.formats._base import ENTRY_CAP, Cursor, FormatError, FormatInfo, Source

FAMILY = "layered-image"
BASE_TYPES = {0: "rgb", 1: "grayscale", 2: "indexed"}
_PROP_END = 0
_PROP_GROUP_ITEM = 29
#: the most layers whose properties are read to count groups
_DETAIL_CAP = 4096


def sniff(src: Source, head: bytes, name: str) -> FormatInfo:
    details: dict[str, Any] = {}
    problems: list[str] = []
    tag = head[9:13]
    if len(head) < 14 or head[13] != 0:
        return FormatInfo(format="xcf", family=FAMILY, layered=True,
                          problems=["version tag is not 'file' or 'vNNN' followed by NUL"])
    if tag == b"file":
        version = 0
    elif tag[:1] == b"v" and tag[1:].isdigit():
        version = int(tag[1:])
    else:
        return FormatInfo(format="xcf", family=FAMILY, layered=True,
                          problems=[f"unknown version tag {tag!r}"])
    details["version"] = version
    wide = version >= 11
    cur = Cursor(src, 14, big_endian=True)
    layers: int | None = None
    try:
        details["width"] = cur.u32("width")
        details["height"] = cur.u32("height")
        base = cur.u32("base type")
        details["base_type"] = BASE_TYPES.get(base, f"unknown-{base}")
        if base not in BASE_TYPES:
            problems.append(f"unknown base type {base}")
        if version >= 4:
            details["precision"] = cur.u32("precision")
        if details["width"] == 0 or details["height"] == 0:
            problems.append("width or height is zero")
        _skip_properties(cur, "image")
        pointers = _pointers(cur, wide, "layer")
        channels = _pointers(cur, wide, "channel")
        layers = len(pointers)
        details["channels"] = len(channels)
        for ptr in (*pointers, *channels):
            if not 0 < ptr < src.size:
                raise FormatError(f"item pointer {ptr} lies outside the file ({src.size} bytes)")
        groups = 0
        for ptr in pointers[:_DETAIL_CAP]:
            if _is_group(src, ptr):
                groups += 1
        details["groups"] = groups
    except FormatError as exc:
        problems.append(str(exc))
    return FormatInfo(format="xcf", family=FAMILY, layered=True, layers=layers,
                      details=details, problems=problems)


def _skip_properties(cur: Cursor, what: str) -> set[int]:
    seen: set[int] = set()
    for _ in range(ENTRY_CAP):
        ptype = cur.u32(f"{what} property type")
        length = cur.u32(f"{what} property length")
        if ptype == _PROP_END:
            return seen
        seen.add(ptype)
        cur.skip(length, f"{what} property {ptype}")
    raise FormatError(f"{what} property list has no end")


def _pointers(cur: Cursor, wide: bool, what: str) -> list[int]:
    out: list[int] = []
    for _ in range(ENTRY_CAP):
        ptr = cur.u64(f"{what} pointer") if wide else cur.u32(f"{what} pointer")
        if ptr == 0:
            return out
        out.append(ptr)
    raise FormatError(f"more than {ENTRY_CAP} {what} pointers")


def _is_group(src: Source, ptr: int) -> bool:
    cur = Cursor(src, ptr, big_endian=True, chunk=4096)
    cur.skip(12, "layer header")  # width, height, type
    name_len = cur.u32("layer name length")
    if name_len > 1024 * 1024:
        raise FormatError(f"layer name at offset {ptr} is {name_len} bytes long")
    cur.skip(name_len, "layer name")
    return _PROP_GROUP_ITEM in _skip_properties(cur, "layer")
