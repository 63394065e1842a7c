"""Schema-driven coercion of YAML plain scalars, and the I-JSON number range."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from rebuildable.findings import Finding, finding
from rebuildable.load.document import (
    MAX_INT_LITERAL,
    MAX_SAFE_INT,
    OVERSIZED_INT,
    Document,
    join_pointer,
)
from rebuildable.load.yaml_core import resolve_plain


def coerce_to_schema(doc: Document, wants_string: Callable[[str], bool]) -> list[Finding]:
    """Replace YAML plain non-string scalars by their text where the schema wants a string.

    ``wants_string(pointer)`` answers from the schema. Values that stay numbers are then
    checked against the I-JSON range.
    """
    findings: list[Finding] = []
    for pointer, text in doc.plain_text.items():
        if wants_string(pointer):
            _set(doc.data, pointer, text)
            findings.append(
                finding(
                    "load.unquoted-string",
                    f"{doc.file}: {text!r} is kept as the string {text!r}; unquoted, "
                    "other YAML readers may read it as a number, boolean or null",
                    location=doc.locate(pointer),
                )
            )
    findings.extend(_range_findings(doc))
    return findings


def _set(data: Any, pointer: str, value: Any) -> None:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    target = data
    for token in tokens[:-1]:
        target = target[int(token)] if isinstance(target, list) else target[token]
    last = tokens[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def _out_of_range(value: Any) -> bool:
    if type(value) is int:
        return value > MAX_SAFE_INT or value < -MAX_SAFE_INT
    return type(value) is float and not math.isfinite(value)


def _has_out_of_range_number(data: Any) -> bool:
    """A pointer-free scan for integers beyond 2^53 and non-finite floats (fast path)."""
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is int:
            if value > MAX_SAFE_INT or value < -MAX_SAFE_INT:
                return True
        elif kind is float and not math.isfinite(value):
            return True
    return False


def _range_findings(doc: Document) -> Iterator[Finding]:
    if doc.numbers_in_range:
        return
    if doc.format == "yaml" and not any(
        _out_of_range(resolve_plain(text)) for text in doc.plain_text.values()
    ):
        return  # every YAML number came from a plain scalar, and none is out of range
    if not _has_out_of_range_number(doc.data):
        return
    stack: list[tuple[Any, str]] = [(doc.data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, join_pointer(pointer, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and abs(value) > MAX_SAFE_INT:
            shown = _shown_int(value, doc.plain_text.get(pointer))
            yield finding(
                "load.number-range",
                f"{doc.file}: integer {shown} is beyond 2^53 and not exact in JSON",
                location=doc.locate(pointer),
            )
        elif isinstance(value, float) and not math.isfinite(value):
            yield finding(
                "load.number-range",
                f"{doc.file}: {value} is not a JSON number",
                location=doc.locate(pointer),
            )


def _shown_int(value: int, text: str | None) -> str:
    """The integer as written when known, shortened; never a decimal conversion of a
    huge value (Python refuses those past 4,300 digits)."""
    if text is None and abs(value) == OVERSIZED_INT:
        return f"literal of more than {MAX_INT_LITERAL} digits"
    shown = text if text is not None else str(value)
    return shown if len(shown) <= 40 else f"{shown[:20]}...{shown[-8:]} ({len(shown)} characters)"
