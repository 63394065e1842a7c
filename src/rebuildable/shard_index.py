"""Reading and writing shard indexes (spec/shards.md): one shard per line,
``uri<TAB>size<TAB>sha256`` ended by LF, sorted by URI bytewise, no URI twice.

:class:`Scan` reads an index in 1 MiB blocks, hashes every byte it reads (so the lines it
judges are the bytes whose digest it reports, [SHD-6]) and yields each well-formed line as
a :class:`Shard` and each problem as a :class:`LineProblem`, in line order. It keeps the
previous URI and at most one partial line of at most :data:`MAX_LINE` bytes: memory does
not grow with the number of lines. Everything here is plain data; the check
(``checks/shards.py``) turns problems into findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from rebuildable.digest import new_hashers
from rebuildable.remote.urls import redact
from rebuildable.uris import uri_problem

__all__ = ["MAX_LINE", "LineProblem", "Scan", "Shard", "format_line"]

#: the longest line, its LF not counted ([SHD-3])
MAX_LINE = 8192
#: the largest size a line may declare (I-JSON, [LOAD-10])
MAX_SIZE = (1 << 53) - 1
_BLOCK = 1 << 20
_HEX64 = re.compile(rb"[0-9a-f]{64}")
_DIGITS = re.compile(rb"0|[1-9][0-9]*")


@dataclass(frozen=True, slots=True)
class Shard:
    """A well-formed line: one external artifact of the release."""

    line: int
    uri: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    #: a finding code: shards.malformed-line, too-long-line, unsorted or duplicate
    code: str
    message: str
    #: for a duplicate: the line that first named the URI
    first: int | None = None


@dataclass
class Tally:
    """What one pass over an index counted."""

    lines: int = 0
    shards: int = 0
    malformed: int = 0
    unsorted: int = 0
    duplicate: int = 0
    bytes: int = 0
    #: the digests of every byte read, by algorithm (complete once the scan is exhausted)
    digests: dict[str, str] = field(default_factory=dict)


def format_line(uri: str, size: int, sha256: str) -> str:
    return f"{uri}\t{size}\t{sha256}\n"


class Scan:
    """One streaming pass over an index; iterate it once, then read :attr:`tally`."""

    def __init__(self, stream: BinaryIO, algorithms: Iterable[str] = ("sha256",)) -> None:
        self.stream = stream
        self.tally = Tally()
        self._hashers: dict[str, Any] = new_hashers(algorithms)
        self._previous: bytes | None = None
        self._previous_line = 0

    def __iter__(self) -> Iterator[Shard | LineProblem]:
        pending = b""
        skipping = False  # inside a line already reported as too long
        tally = self.tally
        hashers = list(self._hashers.values())
        while True:
            block = self.stream.read(_BLOCK)
            if not block:
                break
            for h in hashers:
                h.update(block)
            if skipping:
                end = block.find(b"\n")
                if end < 0:
                    continue
                block, skipping = block[end + 1:], False
            parts = (pending + block if pending else block).split(b"\n")
            pending = parts.pop()
            for raw in parts:
                tally.lines += 1
                yield from self._line(tally.lines, raw)
            if len(pending) > MAX_LINE:
                tally.lines += 1
                yield self._too_long(tally.lines)
                pending, skipping = b"", True
        if pending:
            tally.lines += 1
            if len(pending) > MAX_LINE:
                yield self._too_long(tally.lines)
            else:
                yield self._malformed(tally.lines, "the last line does not end with LF")
        tally.digests = {name: h.hexdigest() for name, h in self._hashers.items()}

    def _too_long(self, number: int) -> LineProblem:
        self.tally.malformed += 1
        return LineProblem(number, "shards.too-long-line",
                           f"line {number} is longer than {MAX_LINE} bytes")

    def _malformed(self, number: int, why: str) -> LineProblem:
        self.tally.malformed += 1
        return LineProblem(number, "shards.malformed-line", f"line {number}: {why}")

    def _line(self, number: int, raw: bytes) -> Iterator[Shard | LineProblem]:
        if len(raw) > MAX_LINE:
            yield self._too_long(number)
            return
        problem, shard = self._parse(number, raw)
        if problem is not None or shard is None:
            yield self._malformed(number, problem or "malformed")
            return
        uri_bytes = raw[:raw.index(b"\t")]
        previous = self._previous
        if previous is not None and uri_bytes <= previous:
            if uri_bytes == previous:
                self.tally.duplicate += 1
                first = self._previous_line
                yield LineProblem(number, "shards.duplicate",
                                  f"line {number}: {redact(shard.uri)} is already listed "
                                  f"on line {first}", first=first)
                return
            self.tally.unsorted += 1
            yield LineProblem(number, "shards.unsorted",
                              f"line {number}: {redact(shard.uri)} sorts before the URI of "
                              f"line {self._previous_line} (lines are sorted by URI, "
                              "bytewise)")
        self._previous, self._previous_line = uri_bytes, number
        self.tally.shards += 1
        self.tally.bytes += shard.size
        yield shard

    def _parse(self, number: int, raw: bytes) -> tuple[str | None, Shard | None]:
        if raw.endswith(b"\r"):
            return "ends with CR (lines end with LF alone)", None
        fields = raw.split(b"\t")
        if len(fields) != 3:
            return (f"{len(fields)} field(s), not 3 (uri, size and sha256 separated by "
                    "tabs)"), None
        uri_bytes, size, digest = fields
        try:
            uri = uri_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"the URI is not UTF-8 ({exc.reason} at byte {exc.start})", None
        bad = uri_problem(uri)
        if bad is not None:
            return f"URI {redact(uri)!r} {bad}", None
        if not _DIGITS.fullmatch(size):
            return (f"size {size[:40]!r} is not a whole number of bytes in decimal "
                    "digits without a leading zero"), None
        value = int(size) if len(size) <= 16 else MAX_SIZE + 1
        if value > MAX_SIZE:
            return "size is beyond 2^53 - 1", None
        if not _HEX64.fullmatch(digest):
            return (f"sha256 {digest[:80]!r} is not 64 lower-case hexadecimal "
                    "digits"), None
        return None, Shard(number, uri, value, digest.decode("ascii"))
