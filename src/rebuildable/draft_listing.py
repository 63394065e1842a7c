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

With ``shard_index`` the shards go to a shard index instead (spec/shards.md): the listing
is sorted by URI bytewise, a URI listed twice is refused (located by its listing lines),
the index file is written into the release folder and the manifest lists that one file.
A listing whose per-line manifest would exceed the 128 MiB bound validators apply
([LOAD-9], which writers must respect) is refused in the per-line mode, with a pointer
to the index: the choice stays explicit, so the same command never writes two shapes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rebuildable.defaults import DEFAULT_VERSION
from rebuildable.draft import HEADER, DraftUsageError, slugify
from rebuildable.dump import dump_yaml
from rebuildable.model import SPEC_VERSION

__all__ = ["ListingDraft", "draft_from_listing", "draft_shard_index"]

#: problems listed before the rest are summed up
MAX_PROBLEMS = 20
_HEX64 = re.compile(r"[0-9a-fA-F]{64}\Z")
_SPLIT = re.compile(r"[\t, ]+")
# scheme "://" then something; checked per line, so a regex rather than urlsplit
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s]+\Z")
_ID_MAX = 128
#: the manifest bound of [LOAD-9] that a writer must stay within
MANIFEST_BOUND = 128 * 1024 * 1024
_T = TypeVar("_T")


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
    # 2^53 has 16 digits: a longer size is beyond it, and one of thousands of digits is
    # more than int() converts
    if len(size.lstrip("0")) > 16 or int(size) > (1 << 53):
        shown = size if len(size) <= 40 else f"of {len(size)} digits"
        return f"size {shown} is beyond 2^53 (I-JSON)"
    if not _HEX64.match(digest):
        return f"sha256 {digest!r} is not 64 hexadecimal digits"
    return None


def _entries(listing: Path, keep: Callable[[int, _Entry], _T]) -> list[_T]:
    """``keep(line number, entry)`` for every entry, once every line is known good."""
    problems: list[str] = []
    count = 0
    entries: list[_T] = []
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
                entries.append(keep(number, _Entry(fields[0], int(fields[1]),
                                                   fields[2].lower())))
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
    return entries


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


def _head(name: str, version: str | None, license: str | None) -> str:
    top: dict[str, Any] = {"spec": SPEC_VERSION, "name": name,
                           "version": version or DEFAULT_VERSION}
    if license:
        top["license"] = license
    head = "".join(f"# {line}".rstrip() + "\n" for line in HEADER.splitlines())
    return head + "\n" + dump_yaml(top) + "artifacts:\n"


def draft_from_listing(listing: Path, *, name: str, version: str | None = None,
                       license: str | None = None, kind: str = "dataset") -> ListingDraft:
    """The draft manifest text for every entry of ``listing`` (not written)."""
    entries = _entries(listing, lambda _n, e: e)
    ids = _ids([e.uri for e in entries])
    parts = [_head(name, version, license)]
    kind_text = json.dumps(kind)
    total = 0
    written = len(parts[0])
    for ident, entry in zip(ids, entries, strict=True):
        total += entry.size
        part = (f"- id: {ident}\n  uri: {json.dumps(entry.uri, ensure_ascii=False)}\n"
                f"  kind: {kind_text}\n  digest:\n    sha256: \"{entry.sha256}\"\n"
                f"  size: {entry.size}\n")
        written += len(part)
        parts.append(part)
    if written > MANIFEST_BOUND:
        raise DraftUsageError(
            f"{listing}: {len(entries)} entries make a manifest of about "
            f"{written // (1 << 20)} MiB, above the {MANIFEST_BOUND >> 20} MiB bound "
            "validators apply; list them in a shard index instead (option `shard_index`)")
    return ListingDraft("".join(parts), len(entries), total)


def _sorted_lines(listing: Path) -> list[bytes]:
    """The index lines of ``listing``, sorted by URI bytewise; duplicates refused."""
    lines = _entries(listing, lambda _n, e: f"{e.uri}\t{e.size}\t{e.sha256}\n".encode())
    # A URI holds no byte below "!" (PATH-11), so the tab after it sorts each line by its
    # URI first, a shorter URI before a longer one that extends it.
    lines.sort()
    repeated: set[str] = set()
    previous = b""
    for line in lines:
        uri = line[:line.index(b"\t")]
        if uri == previous:
            repeated.add(uri.decode("utf-8"))
        previous = uri
    if repeated:
        raise DraftUsageError(_duplicates(listing, repeated))
    return lines


def _duplicates(listing: Path, repeated: set[str]) -> str:
    """Where each repeated URI is listed (a second read, on the error path only)."""
    where: dict[str, list[int]] = {}
    _entries(listing, lambda n, e: where.setdefault(e.uri, []).append(n)
             if e.uri in repeated else None)
    shown = [f"{listing}:{ns[1]}: {uri} is already listed on line {ns[0]}"
             for uri, ns in sorted(where.items())][:MAX_PROBLEMS]
    more = (f"\n  ... and {len(where) - len(shown)} more" if len(where) > len(shown)
            else "")
    return (f"{len(where)} URI(s) listed more than once (a shard index lists each shard "
            "once):\n  " + "\n  ".join(shown) + more)


def draft_shard_index(listing: Path, root: Path, index: str, *, name: str,
                      version: str | None = None, license: str | None = None,
                      force: bool = False, write: bool = True) -> ListingDraft:
    """Write the shard index of ``listing`` to ``root/index`` (unless not ``write``) and
    return the draft manifest that lists it (not written)."""
    from rebuildable.release import safe_relative  # noqa: PLC0415

    if not safe_relative(index) or index.casefold().startswith("rebuild."):
        raise DraftUsageError(f"{index!r} is not a plain relative path for the shard index "
                              "inside the release")
    target = root / index
    if write and target.exists() and not force:
        raise DraftUsageError(f"{target} exists; set `force` to overwrite it")
    lines = _sorted_lines(listing)
    digest = hashlib.sha256()
    size = total = 0
    for line in lines:
        digest.update(line)
        size += len(line)
        total += int(line.rsplit(b"\t", 2)[1])
    if write:
        _write_atomic(target, lines)
    ident = slugify(Path(index).stem) or "shards"
    text = (_head(name, version, license)
            + f"- id: {ident}\n  path: {json.dumps(index, ensure_ascii=False)}\n"
            f"  kind: \"shard-index\"\n  media-type: \"text/tab-separated-values\"\n"
            f"  description: \"{len(lines)} external shards, one 'uri<TAB>size<TAB>sha256' "
            f"per line (spec/shards.md)\"\n"
            f"  digest:\n    sha256: \"{digest.hexdigest()}\"\n  size: {size}\n")
    return ListingDraft(text, len(lines), total)


def _write_atomic(target: Path, lines: list[bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.writelines(lines)
        mask = os.umask(0o022)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # as the manifest: mkstemp made it private
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
