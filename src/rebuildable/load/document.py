"""The loaded document: data plus source positions, JSON pointers, and the loader's bounds."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rebuildable.findings import Finding, Location

MAX_SAFE_INT = 2**53 - 1
#: integer literals longer than this (in characters) are not converted
MAX_INT_LITERAL = 1000
#: what an integer literal longer than MAX_INT_LITERAL stands in as: beyond the I-JSON
#: range, and short to print
OVERSIZED_INT = 2**64


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 128 * 1024 * 1024
    max_depth: int = 64


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(parent: str, token: str | int) -> str:
    return f"{parent}/{escape_pointer_token(token)}"




@dataclass
class Document:
    """A loaded manifest: JSON-compatible data plus the means to locate any pointer in it."""

    file: str
    format: str  # "yaml" or "json"
    data: Any
    # YAML: pointer -> (line, column), 1-based, for every key/item; JSON: filled lazily.
    _positions: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    # YAML plain scalars that resolved to a non-string: pointer -> the text as written.
    plain_text: dict[str, str] = field(default_factory=dict, repr=False)
    _locator: Callable[[str], tuple[int, int] | None] | None = field(default=None, repr=False)
    #: JSON: the parser saw no number outside the I-JSON range, so no scan is needed
    numbers_in_range: bool = False

    def position(self, pointer: str) -> tuple[int, int] | None:
        """The (line, column) of the value at ``pointer``, or of its nearest located parent."""
        probe = pointer
        while True:
            pos = self._positions.get(probe)
            if pos is None and self._locator is not None:
                pos = self._locator(probe)
            if pos is not None:
                return pos
            if not probe:
                return None
            probe = probe.rsplit("/", 1)[0]

    def locate(self, pointer: str) -> Location:
        pos = self.position(pointer)
        if pos is None:
            return Location(self.file, None, None, pointer)
        return Location(self.file, pos[0], pos[1], pointer)


@dataclass
class LoadResult:
    document: Document | None
    findings: list[Finding]


@contextmanager
def gc_paused() -> Iterator[None]:
    # Building millions of small objects triggers the cyclic GC over and over; none of
    # them are cyclic, so pausing it roughly triples the speed of big manifests.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()




def line_col_of_offset(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1



def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "a mapping",
        list: "a sequence",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)

