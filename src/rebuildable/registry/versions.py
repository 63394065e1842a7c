"""The order of release versions, as spec/registry.md defines it.

A version is a release part of dot-separated non-negative integers, then optionally a
pre-release part (``-`` and dot-separated identifiers, as SemVer 2.0.0 orders them), then
optionally build metadata (``+...``), which does not take part in the order. Trailing zero
components of the release part do not count: ``1.2`` and ``1.2.0`` order equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

__all__ = ["VERSION_PATTERN", "Version", "VersionError", "parse"]

_IDENT = r"[0-9A-Za-z-]+"
VERSION_PATTERN = (rf"^(0|[1-9][0-9]{{0,17}})(\.(0|[1-9][0-9]{{0,17}})){{0,15}}"
                   rf"(-{_IDENT}(\.{_IDENT})*)?(\+{_IDENT}(\.{_IDENT})*)?$")
_VERSION_RE = re.compile(VERSION_PATTERN)
MAX_LENGTH = 128


class VersionError(ValueError):
    """A version string that does not follow the registry's grammar."""


@total_ordering
@dataclass(frozen=True)
class Version:
    text: str
    release: tuple[int, ...]
    #: pre-release identifiers; numeric ones as int (they order below alphanumeric ones)
    pre: tuple[int | str, ...]

    def _key(self) -> tuple[tuple[int, ...], int, tuple[tuple[int, int | str], ...]]:
        release = self.release
        while len(release) > 1 and release[-1] == 0:
            release = release[:-1]
        # A release without a pre-release part orders above every pre-release of it.
        marker = 0 if self.pre else 1
        pre = tuple((0, p) if isinstance(p, int) else (1, p) for p in self.pre)
        return release, marker, pre

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def parse(text: str) -> Version:
    """Parse ``text``; raise :class:`VersionError` when it is not an orderable version."""
    if len(text) > MAX_LENGTH or _VERSION_RE.fullmatch(text) is None:
        raise VersionError(
            f"version {text[:MAX_LENGTH]!r} is not orderable: the registry accepts dot-separated "
            "numbers (no leading zeros), optionally -pre.release identifiers and +build metadata")
    core = text.split("+", 1)[0]
    release_text, _, pre_text = core.partition("-")
    release = tuple(int(n) for n in release_text.split("."))
    pre: tuple[int | str, ...] = ()
    if pre_text:
        pre = tuple(int(p) if p.isdigit() else p for p in pre_text.split("."))
    return Version(text, release, pre)
