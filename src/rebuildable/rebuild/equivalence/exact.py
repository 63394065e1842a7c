"""Bytes: where two files first differ, and the ``exact`` policy."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from rebuildable.rebuild.equivalence.comparison import CHUNK, Comparison, Nested

CONTEXT = 8  # bytes of hex context on each side of the first differing byte



def _first_difference(a: IO[bytes], b: IO[bytes]) -> tuple[int | None, int, int]:
    """(offset of the first differing byte or None, size of a, size of b). Reading
    stops at the first difference: the sizes come from the files, not from reading
    them to the end (a step's 60 GB output differing at byte 0 costs nothing)."""
    size_a, size_b = os.fstat(a.fileno()).st_size, os.fstat(b.fileno()).st_size
    offset = 0
    while True:
        ca, cb = a.read(CHUNK), b.read(CHUNK)
        if ca != cb:
            n = min(len(ca), len(cb))
            return offset + next((k for k in range(n) if ca[k] != cb[k]), n), size_a, size_b
        if not ca:
            return None, size_a, size_b
        offset += len(ca)


def _context(path: Path, offset: int) -> str:
    with path.open("rb") as fh:
        fh.seek(max(0, offset - CONTEXT))
        return fh.read(2 * CONTEXT).hex(" ")


def byte_difference(rebuilt: Path, published: Path) -> dict[str, Any] | None:
    """None when identical; else where the bytes first differ, with hex context."""
    with rebuilt.open("rb") as a, published.open("rb") as b:
        first, size_a, size_b = _first_difference(a, b)
    if first is None:
        return None
    return {
        "offset": first,
        "rebuilt_size": size_a,
        "published_size": size_b,
        "context_start": max(0, first - CONTEXT),
        "rebuilt_hex": _context(rebuilt, first),
        "published_hex": _context(published, first),
    }


def describe_bytes(diff: dict[str, Any]) -> str:
    size = ""
    if diff["rebuilt_size"] != diff["published_size"]:
        size = f" (sizes {diff['rebuilt_size']} rebuilt, {diff['published_size']} published)"
    return (f"first differing byte at offset {diff['offset']}{size}: "
            f"rebuilt [{diff['rebuilt_hex']}] vs published [{diff['published_hex']}] "
            f"from offset {diff['context_start']}")


def exact(rebuilt: Path, published: Path, params: dict[str, Any], nested: Nested) -> Comparison:
    diff = byte_difference(rebuilt, published)
    assert diff is not None
    return Comparison(False, False, "exact", describe_bytes(diff), {"bytes": diff})
