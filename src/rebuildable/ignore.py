"""``.rebuildignore``: gitignore patterns (read with ``pathspec``), parsed one way for
validation (checks/unlisted.py) and for ``init`` (draft.py), and matched in bounded time.

The patterns come from the release, so they are hostile input. A gitignore pattern
becomes a regular expression; with a backtracking engine, ``*a*a*a*a*b`` against a long
name takes minutes (each ``*`` run multiplies the work by the name's length). So the
patterns are matched with RE2 (``google-re2``), whose time is linear in the name. Where
RE2 is not installed, a pattern with more than :data:`MAX_STAR_RUNS` ``*`` runs is
refused instead. Lines longer than :data:`MAX_LINE_CHARS` are refused either way, and a
file of more than :data:`MAX_PATTERNS` patterns, or whose patterns together exceed RE2's
memory budget, is not used at all (a finding, never an internal error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pathspec

#: what compiling a bad pattern raises
_ERRORS: tuple[type[Exception], ...] = (ValueError,)
try:  # the linear-time engine; see the module docstring
    import re2

    BACKEND = "re2"
    _ERRORS = (ValueError, re2.error)
except ImportError:  # pragma: no cover - google-re2 is a dependency; this is the fallback
    BACKEND = "simple"

#: the largest .rebuildignore read
MAX_IGNORE_BYTES = 1024 * 1024
#: the longest pattern line
MAX_LINE_CHARS = 1024
#: the most pattern lines (RE2 matches them all at once within a memory budget that a few
#: thousand patterns exhaust; each is also compiled alone to locate a bad one)
MAX_PATTERNS = 5000
#: without RE2: the most runs of ``*`` in one pattern (the work grows as name length to
#: the power of this number plus one)
MAX_STAR_RUNS = 2

_STAR_RUNS = re.compile(r"\*+")


@dataclass
class IgnoreFile:
    """The compiled patterns (None when the file cannot be used at all) and the problems:
    (line number or None for the whole file, message)."""

    spec: pathspec.GitIgnoreSpec | None
    problems: list[tuple[int | None, str]] = field(default_factory=list)


def parse_ignore(raw: bytes) -> IgnoreFile:
    """Parse the bytes of a .rebuildignore; bad lines are skipped and reported."""
    if len(raw) > MAX_IGNORE_BYTES:
        return IgnoreFile(None, [(None, f"is larger than {MAX_IGNORE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return IgnoreFile(None, [(None, f"is not UTF-8 (byte {exc.start})")])
    lines = text.splitlines()
    patterns = sum(1 for line in lines if line.strip() and not line.startswith("#"))
    if patterns > MAX_PATTERNS:
        return IgnoreFile(None, [(None, f"holds {patterns} patterns, more than the "
                                        f"{MAX_PATTERNS} that are matched")])
    good: list[str] = []
    problems: list[tuple[int | None, str]] = []
    for number, line in enumerate(lines, start=1):
        reason = _line_problem(line)
        if reason is not None:
            problems.append((number, f"{_shown(line)} is not a valid pattern ({reason})"))
        else:
            good.append(line)
    try:
        return IgnoreFile(_compile(good), problems)
    except _ERRORS:
        # Each line compiles, but RE2 matches them all at once within a memory budget:
        # a thousand long patterns exceed it ("failed to compile Set").
        return IgnoreFile(None, [*problems, (None, "holds patterns that together are too "
                                                   "complex to match in bounded time")])


def _line_problem(line: str) -> str | None:
    if len(line) > MAX_LINE_CHARS:
        return f"longer than {MAX_LINE_CHARS} characters"
    if BACKEND != "re2" and len(_STAR_RUNS.findall(line)) > MAX_STAR_RUNS:
        return (f"more than {MAX_STAR_RUNS} '*' wildcards; install google-re2 to match "
                "such patterns in bounded time")
    try:
        _compile([line])
    except _ERRORS as exc:
        return str(exc) or type(exc).__name__
    return None


def _compile(lines: list[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines, backend=BACKEND)


def _shown(line: str) -> str:
    return repr(line) if len(line) <= 80 else repr(line[:60] + "...")
