"""Turning report data into strict JSON (RFC 8259 has no NaN or Infinity)."""

from __future__ import annotations

import json
import math
from typing import Any


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float spelled as a string ("Infinity", "NaN"),
    tuples as lists and other non-JSON values as their ``str``; never raises."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [json_safe(v) for v in items]
    return str(value)


def dumps(value: Any) -> str:
    """Indented strict JSON with one trailing newline."""
    return json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
