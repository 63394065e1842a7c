"""Shared plumbing for the format sniffers: bounded reads and the result type.

Every sniffer reads through a :class:`Source`, which charges each read against a byte
budget and turns short reads into :class:`FormatError`. A sniffer never reads a whole large
file; it reads fixed-size headers and seeks past payloads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

#: the most bytes one sniff may read, whatever the file's size
READ_BUDGET = 96 * 1024 * 1024
#: the most bytes of XML (SVG, maindoc.xml, stack.xml) parsed in full
XML_CAP = 8 * 1024 * 1024
#: the most entries of a container (zip members, tar members, PSD layers, ...) looked at
ENTRY_CAP = 100_000


@dataclass(frozen=True, slots=True)  # one per shipped file: no __dict__ each
class FormatInfo:
    """What the bytes of one file are.

    ``format`` is a short lower-case name ("psd", "xcf", "png", "safetensors", ...) or
    None when nothing was recognised. ``family`` groups formats by what they hold
    ("layered-image", "vector-image", "raster-image", "weights", "binary", "archive",
    "document", "data"). ``layered`` and ``layers`` are set for layered-image formats
    (``layers`` counts the layers and groups a user sees; PSD section-divider records are
    not counted, see ``details["records"]``). ``details`` holds format facts (width,
    height, depth, version, editor, tensor counts, ...). ``problems`` lists structural
    damage (truncation, offsets out of range, bad headers): a non-empty list means the
    file is malformed. ``warnings`` lists departures from the format's rules that readers
    tolerate (an OpenRaster ``mimetype`` that is not the first zip entry, ...). ``notes``
    says what was not checked (over a size bound, unreadable) and why.
    """

    format: str | None = None
    family: str | None = None
    layered: bool | None = None
    layers: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def recognised(self) -> bool:
        return self.format is not None

    @property
    def malformed(self) -> bool:
        return bool(self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "family": self.family, "layered": self.layered,
                "layers": self.layers, "details": dict(self.details),
                "problems": list(self.problems), "warnings": list(self.warnings),
                "notes": list(self.notes)}


class FormatError(Exception):
    """The bytes break the format's structure (raised inside sniffers, caught by them)."""


class BudgetExceededError(Exception):
    """A sniffer would read more than its budget (not damage: the file is too big to check)."""


class Source:
    """A seekable binary stream of known size, read with a byte budget."""

    def __init__(self, fh: BinaryIO, size: int, budget: int = READ_BUDGET) -> None:
        self.fh = fh
        self.size = size
        self.budget = budget
        self.spent = 0

    def charge(self, n: int) -> None:
        self.spent += n
        if self.spent > self.budget:
            raise BudgetExceededError(f"more than {self.budget} bytes would be read")

    def read_at(self, offset: int, n: int, what: str = "data") -> bytes:
        """Exactly ``n`` bytes at ``offset``; :class:`FormatError` when the file is shorter."""
        if n < 0 or offset < 0:
            raise FormatError(f"negative offset or length for {what}")
        if offset + n > self.size:
            raise FormatError(f"{what} at offset {offset} (+{n} bytes) runs past the end of "
                            f"the file ({self.size} bytes): truncated")
        self.charge(n)
        self.fh.seek(offset)
        data = self.fh.read(n)
        if len(data) != n:
            raise FormatError(f"{what} at offset {offset} is truncated")
        return data

    def read_upto(self, offset: int, n: int) -> bytes:
        """At most ``n`` bytes at ``offset`` (fewer at the end of the file)."""
        n = max(0, min(n, self.size - offset))
        if n == 0:
            return b""
        self.charge(n)
        self.fh.seek(offset)
        return self.fh.read(n)


class Cursor:
    """Sequential little/big-endian reads over a :class:`Source`, with a read-ahead buffer."""

    def __init__(self, src: Source, offset: int, *, big_endian: bool = False,
                 chunk: int = 64 * 1024) -> None:
        self.src = src
        self.pos = offset
        self.endian = ">" if big_endian else "<"
        self._chunk = chunk
        self._buf = b""
        self._buf_start = offset

    def read(self, n: int, what: str = "data") -> bytes:
        if n < 0:
            raise FormatError(f"negative length for {what}")
        rel = self.pos - self._buf_start
        if rel >= 0 and rel + n <= len(self._buf):
            out = self._buf[rel:rel + n]
        elif n > self._chunk:
            out = self.src.read_at(self.pos, n, what)
        else:
            if self.pos + n > self.src.size:
                raise FormatError(f"{what} at offset {self.pos} runs past the end of the file "
                                f"({self.src.size} bytes): truncated")
            self._buf = self.src.read_upto(self.pos, self._chunk)
            self._buf_start = self.pos
            out = self._buf[:n]
            if len(out) != n:
                raise FormatError(f"{what} at offset {self.pos} is truncated")
        self.pos += n
        return out

    def skip(self, n: int, what: str = "data") -> None:
        if n < 0 or self.pos + n > self.src.size:
            raise FormatError(f"{what} at offset {self.pos} (+{n} bytes) runs past the end of "
                            f"the file ({self.src.size} bytes): truncated")
        self.pos += n

    def unpack(self, fmt: str, what: str = "field") -> tuple[Any, ...]:
        st = struct.Struct(self.endian + fmt)
        return st.unpack(self.read(st.size, what))

    def u8(self, what: str = "field") -> int:
        return int(self.unpack("B", what)[0])

    def u16(self, what: str = "field") -> int:
        return int(self.unpack("H", what)[0])

    def i16(self, what: str = "field") -> int:
        return int(self.unpack("h", what)[0])

    def u32(self, what: str = "field") -> int:
        return int(self.unpack("I", what)[0])

    def i32(self, what: str = "field") -> int:
        return int(self.unpack("i", what)[0])

    def u64(self, what: str = "field") -> int:
        return int(self.unpack("Q", what)[0])


def fail(fmt: str, family: str, problem: str, **details: Any) -> FormatInfo:
    """A recognised but broken file."""
    return FormatInfo(format=fmt, family=family, details=dict(details), problems=[problem])
