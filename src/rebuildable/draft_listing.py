"""Drafting a manifest from a listing of remote files (``init --from-listing``).

A crawl-scale dataset is a million shards on an object store: nobody can hash them again
to write a manifest, but the store's inventory (or the crawler's log) already holds each
shard's URI, size and SHA-256. One line per shard, three fields separated by tabs,
commas or spaces, in this order::

    # uri                                   size      sha256
    s3://crawl/shards/00000.parquet          104857600 9f86d081884c7d65...

Blank lines and lines starting with ``#`` are skipped. Every line is checked (a URI with
a scheme, a whole size, 64 hex digits) and the first problems are reported with their
line numbers; nothing is written unless every line is good. The manifest text is written
line by line rather than through a YAML emitter: for a million entries that is the
difference between seconds and minutes, and every value is either a slug, an integer or
a JSON string literal (which YAML 1.1 and 1.2 read alike).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebuildable.defaults import DEFAULT_VERSION
from rebuildable.draft import HEADER, DraftUsageError, slugify
from rebuildable.dump import dump_yaml
from rebuildable.model import SPEC_VERSION

__all__ = ["ListingDraft", "draft_from_listing"]

#: problems listed before the rest are summed up
MAX_PROBLEMS = 20
_HEX64 = re.compile(r"[0-9a-fA-F]{64}\Z")
_SPLIT = re.compile(r"[\t, ]+")
# scheme "://" then something; checked per line, so a regex rather than urlsplit
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s]+\Z")
_ID_MAX = 128


@dataclass(frozen=True)
class ListingDraft:
    text: str
    artifact_count: int
    total_bytes: int


@dataclass(frozen=True)
class _Entry:
    uri: str
    size: int
    sha256: str


def _problem(fields: list[str]) -> str | None:
    if len(fields) != 3:
        return f"expected 3 fields (uri, size, sha256), found {len(fields)}"
    uri, size, digest = fields
    if not _URI.match(uri):
        return f"{uri!r} is not an absolute URI (scheme://...)"
    if not size.isdigit() or not size.isascii():
        return f"size {size!r} is not a whole number of bytes"
    if int(size) > (1 << 53):
        return f"size {size} is beyond 2^53 (I-JSON)"
    if not _HEX64.match(digest):
        return f"sha256 {digest!r} is not 64 hexadecimal digits"
    return None


def _entries(listing: Path) -> Iterator[_Entry]:
    problems: list[str] = []
    count = 0
    entries: list[_Entry] = []
    try:
        with listing.open("r", encoding="utf-8", newline="") as fh:
            for number, line in enumerate(fh, start=1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                fields = _SPLIT.split(text)
                problem = _problem(fields)
                if problem is not None:
                    count += 1
                    if len(problems) < MAX_PROBLEMS:
                        problems.append(f"{listing}:{number}: {problem}")
                    continue
                entries.append(_Entry(fields[0], int(fields[1]), fields[2].lower()))
    except UnicodeDecodeError as exc:
        raise DraftUsageError(f"{listing}: not UTF-8 text ({exc.reason} at byte "
                              f"{exc.start})") from exc
    except OSError as exc:
        raise DraftUsageError(f"{listing}: {exc.strerror or exc}") from exc
    if problems:
        more = f"\n  ... and {count - len(problems)} more" if count > len(problems) else ""
        raise DraftUsageError(f"{count} bad line(s) in the listing:\n  "
                              + "\n  ".join(problems) + more)
    if not entries:
        raise DraftUsageError(f"{listing}: no entries (one 'uri size sha256' per line)")
    yield from entries


def _ids(uris: list[str]) -> list[str]:
    """Unique slug ids, linear even when many URIs share a slug (a counter per slug)."""
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    out: list[str] = []
    for uri in uris:
        # the id names where the file is: authority and path, without scheme or query
        base = slugify(uri.split("://", 1)[1].split("?", 1)[0].split("#", 1)[0])
        ident = base
        n = next_suffix.get(base, 2)
        while ident in taken:
            tail = f"-{n}"
            ident = base[:_ID_MAX - len(tail)] + tail
            n += 1
        next_suffix[base] = n
        taken.add(ident)
        out.append(ident)
    return out


def draft_from_listing(listing: Path, *, name: str, version: str | None = None,
                       license: str | None = None, kind: str = "dataset") -> ListingDraft:
    """The draft manifest text for every entry of ``listing`` (not written)."""
    entries = list(_entries(listing))
    ids = _ids([e.uri for e in entries])
    top: dict[str, Any] = {"spec": SPEC_VERSION, "name": name,
                           "version": version or DEFAULT_VERSION}
    if license:
        top["license"] = license
    head = "".join(f"# {line}".rstrip() + "\n" for line in HEADER.splitlines())
    parts = [head, "\n", dump_yaml(top), "artifacts:\n"]
    kind_text = json.dumps(kind)
    total = 0
    for ident, entry in zip(ids, entries, strict=True):
        total += entry.size
        parts.append(f"- id: {ident}\n  uri: {json.dumps(entry.uri, ensure_ascii=False)}\n"
                     f"  kind: {kind_text}\n  digest:\n    sha256: \"{entry.sha256}\"\n"
                     f"  size: {entry.size}\n")
    return ListingDraft("".join(parts), len(entries), total)
