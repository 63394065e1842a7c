"""ONNX models: a protocol-buffers ``ModelProto`` with no magic of its own.

A model is told from other bytes by walking its top-level fields without reading their
contents: every field must be one ``ModelProto`` defines, with its wire type, the
fields must fill the file exactly, the first must be ``ir_version`` (writers serialise
in field order) and a ``graph`` must be there. Other protocol-buffers files (a
TensorFlow SavedModel, a sentencepiece model) fail that walk.
"""

from __future__ import annotations

from typing import Any

from rebuildable.formats._base import ENTRY_CAP, FormatError, FormatInfo, Source

#: ModelProto field number -> (name, wire type): 0 varint, 2 length-delimited
_FIELDS: dict[int, tuple[str, int]] = {
    1: ("ir_version", 0), 2: ("producer_name", 2), 3: ("producer_version", 2),
    4: ("domain", 2), 5: ("model_version", 0), 6: ("doc_string", 2), 7: ("graph", 2),
    8: ("opset_import", 2), 14: ("metadata_props", 2), 20: ("training_info", 2),
    25: ("functions", 2), 26: ("configuration", 2),
}
#: IR versions ONNX has defined (1 in 2017, 11 in 2024), with room to grow
_IR_VERSIONS = range(1, 64)
_TEXT_FIELDS = frozenset({"producer_name", "producer_version", "domain"})


def matches(head: bytes) -> bool:
    """``ir_version`` first (tag 0x08, a small varint), then another ModelProto tag."""
    return (len(head) >= 3 and head[0] == 0x08 and head[1] in _IR_VERSIONS
            and head[2] in {(n << 3) | w for n, (_, w) in _FIELDS.items() if n != 1})


def _varint(src: Source, pos: int) -> tuple[int, int]:
    raw = src.read_upto(pos, 10)
    value = 0
    for i, byte in enumerate(raw):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, pos + i + 1
    raise FormatError(f"unterminated varint at offset {pos}")


def sniff(src: Source, head: bytes, name: str) -> FormatInfo | None:
    """The model's top-level facts, or None when the bytes are no ModelProto."""
    details: dict[str, Any] = {}
    seen: set[str] = set()
    pos = 0
    for _ in range(ENTRY_CAP):
        if pos == src.size:
            break
        try:
            tag, pos = _varint(src, pos)
            number, wire = tag >> 3, tag & 7
            field = _FIELDS.get(number)
            if field is None or field[1] != wire:
                return None
            value, pos = _varint(src, pos)
            if wire == 2:
                if pos + value > src.size:
                    return None
                if field[0] in _TEXT_FIELDS and value <= 256:
                    details[field[0]] = src.read_at(pos, value).decode("utf-8", "replace")
                pos += value
            elif field[0] == "ir_version":
                details["ir_version"] = value
        except FormatError:
            return None
        seen.add(field[0])
    else:
        return FormatInfo(format="onnx", family="weights", details=details,
                          notes=[f"more than {ENTRY_CAP} top-level fields: not all walked"])
    if "ir_version" not in seen or "graph" not in seen:
        return None
    return FormatInfo(format="onnx", family="weights", details=details)
