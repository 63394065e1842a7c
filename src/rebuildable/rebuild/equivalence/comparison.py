"""What a comparator returns, and what it is handed when it must compare nested files."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebuildable.rebuild.equivalence.policy import EquivalencePolicy

CHUNK = 1024 * 1024
MAX_LISTED = 20  # differing members / tensors listed in details


def _decompression_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [zlib.error]
    try:
        import lzma  # noqa: PLC0415 - absent from some Python builds

        errors.append(lzma.LZMAError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


#: what a decompressor raises on corrupt data (not OSError: zlib.error, LZMAError);
#: an archive a step made can hold any bytes
DECOMPRESSION_ERRORS = _decompression_errors()


class FormatError(ValueError):
    """A file is not in the format a policy compares."""


@dataclass
class Comparison:
    equal: bool  # equivalent under the policy
    identical: bool  # the same bytes
    policy: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    #: set when an optional package the policy needs is missing
    unavailable: str | None = None


@dataclass
class Budget:
    """Bytes a comparison may still extract, shared by every nesting level."""

    left: int


@dataclass(frozen=True)
class Nested:
    """How deep a comparison is (archives in archives) and how to compare one level down.

    Comparators receive the dispatch function instead of importing it, so that the
    archive comparator can recurse without an import cycle.
    """

    depth: int
    budget: Budget
    compare: Callable[[Path, Path, EquivalencePolicy, Nested], Comparison]

    def deeper(self) -> Nested:
        return Nested(self.depth + 1, self.budget, self.compare)


Comparator = Callable[[Path, Path, dict[str, Any], Nested], Comparison]
