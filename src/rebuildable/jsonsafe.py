"""Turning report data into strict JSON (RFC 8259 has no NaN or Infinity), for the
renderers and for callers that serve reports as data (the registry)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: lone UTF-16 surrogates: a Python str may hold them (JSON "\\ud800" escapes, file names
#: decoded with surrogateescape) but no UTF-8 output can; they are written as visible
#: escapes instead, so that every renderer can encode any str
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def encodable(text: str) -> str:
    """``text`` with each lone surrogate written as the six characters ``\\udXXX``."""
    if text.isascii():
        return text
    return _SURROGATE.sub(_escape, text)


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float spelled as a string ("Infinity", "NaN"),
    tuples as lists and other non-JSON values as their ``str``; never raises."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return encodable(value)
    if value is None or isinstance(value, int | bool):
        return value
    if isinstance(value, dict):
        return {encodable(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [json_safe(v) for v in items]
    return encodable(str(value))


def dumps(value: Any) -> str:
    """Indented strict JSON with one trailing newline."""
    return json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
