"""Reading checksum lists as ``sha256sum`` writes them (GNU and BSD-tagged lines).

Used by ``rebuildable hash --check`` (``sha256sum -c`` semantics) and by
``rebuildable import sha256sums``. Pure: text in, entries and malformed line numbers
out. Blank lines and ``#`` comments are skipped, as coreutils skips them; any other line
that is not a checksum line is counted as malformed, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rebuildable.digest import ALGORITHMS, well_formed

#: the largest checksum list read (``hash --check /dev/zero`` must end): 256 MiB is
#: some three million lines
MAX_LIST_BYTES = 256 * 1024 * 1024

__all__ = ["MAX_LIST_BYTES", "TAGS", "ChecksumLine", "ChecksumList", "parse_checksums"]

#: BSD tag -> our algorithm name (coreutils spells BLAKE2b with a lower-case b)
TAGS = {"SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512", "SHA3-256": "sha3-256",
        "SHA3-512": "sha3-512", "BLAKE2B": "blake2b", "BLAKE2B-512": "blake2b",
        "BLAKE3": "blake3", "MD5": "md5", "SHA1": "sha1"}

_UNTAGGED = re.compile(r"(?P<esc>\\?)(?P<hex>[0-9A-Fa-f]+) (?P<mode>[ *])(?P<name>.+)\Z",
                       re.DOTALL)
_TAGGED = re.compile(r"(?P<esc>\\?)(?P<tag>[A-Za-z0-9-]+) ?\((?P<name>.+)\) = "
                     r"(?P<hex>[0-9A-Fa-f]+)\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ChecksumLine:
    line: int
    algorithm: str
    digest: str
    path: str


@dataclass
class ChecksumList:
    entries: list[ChecksumLine] = field(default_factory=list)
    #: line numbers (1-based) of lines that are not checksum lines
    malformed: list[int] = field(default_factory=list)


def _unescape(name: str) -> str | None:
    out: list[str] = []
    chars = iter(name)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        if nxt == "\\":
            out.append("\\")
        elif nxt == "n":
            out.append("\n")
        elif nxt == "r":
            out.append("\r")
        else:
            return None
    return "".join(out)


def _parse_line(text: str, number: int, default: str) -> ChecksumLine | None:
    match = _TAGGED.match(text)
    algorithm: str | None
    if match is not None:
        algorithm = TAGS.get(match["tag"].upper())
    else:
        match = _UNTAGGED.match(text)
        algorithm = default
    if match is None or algorithm is None:
        return None
    name: str | None = match["name"]
    if match["esc"]:
        name = _unescape(match["name"])
    digest = match["hex"].lower()
    if not name or not well_formed(algorithm, digest):
        return None
    return ChecksumLine(number, algorithm, digest, name)


def parse_checksums(text: str, default_algorithm: str = "sha256") -> ChecksumList:
    """Entries of a checksum list; untagged lines use ``default_algorithm``."""
    if default_algorithm not in ALGORITHMS:
        raise ValueError(f"unknown digest algorithm {default_algorithm!r}")
    out = ChecksumList()
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line or line.startswith("#"):
            continue
        entry = _parse_line(line, number, default_algorithm)
        if entry is None:
            out.malformed.append(number)
        else:
            out.entries.append(entry)
    return out
