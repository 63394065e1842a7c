"""The ``text`` policy: the same lines once line endings and trailing whitespace are
normalised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rebuildable.rebuild.equivalence.comparison import Comparison, Nested
from rebuildable.rebuild.equivalence.exact import exact

MAX_TEXT_BYTES = 256 * 1024 * 1024


def _normalised_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    text = data.decode("utf-8", "surrogateescape")
    lines = [ln.rstrip(" \t\f\v") for ln in text.replace("\r\n", "\n").replace("\r", "\n")
             .split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _clip(s: str, n: int = 200) -> str:
    s = s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return s if len(s) <= n else s[:n] + "…"


def compare_text(rebuilt: Path, published: Path, params: dict[str, Any],
        nested: Nested) -> Comparison:
    if max(rebuilt.stat().st_size, published.stat().st_size) > MAX_TEXT_BYTES:
        result = exact(rebuilt, published, {}, nested)
        result.policy = "text"
        result.summary = "too large for a text comparison; " + result.summary
        return result
    a, b = _normalised_lines(rebuilt), _normalised_lines(published)
    if a == b:
        return Comparison(True, False, "text",
                          "same text once line endings and trailing whitespace are normalised",
                          {"lines": len(a)})
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    details = {"line": n + 1, "rebuilt_lines": len(a), "published_lines": len(b),
               "rebuilt": _clip(a[n]) if n < len(a) else None,
               "published": _clip(b[n]) if n < len(b) else None}
    if n >= len(a):
        what = (f"the rebuilt text ends after line {len(a)}; "
                f"published line {n + 1}: {details['published']!r}")
    elif n >= len(b):
        what = (f"the published text ends after line {len(b)}; "
                f"rebuilt line {n + 1}: {details['rebuilt']!r}")
    else:
        what = (f"first differing line {n + 1}: rebuilt {details['rebuilt']!r} "
                f"vs published {details['published']!r}")
    return Comparison(False, False, "text", what, details)

