"""A digest cache for re-validating a folder release (the ``cache_dir`` option).

A file whose (device, inode, size, mtime_ns, ctime_ns) are those recorded when it was
hashed by an earlier run is not read again: its digests (and what its bytes were sniffed
as) come from the cache. ``ctime`` is the kernel's: no user can set it, so a file rewritten
and given its old mtime back is still read. Everything else a validation does runs as
usual; only reading the bytes is skipped.

One cache file per release folder (named by the sha256 of its real path), in the folder
given (by default :func:`default_cache_dir`). It is trusted only when it is the current
user's, not writable by others, of this format and tool version, for this folder, and
whole (its body's sha256 is in its header): anything else is ignored, with the reason, and
replaced. It is written to a temporary file (mode 0600) and renamed over the old one, so a
reader sees either the old cache or the new one. A file whose ctime is within
:data:`RACY_NS` of the run's start is not recorded: a write in the same tick of the file
system's clock would leave its times unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rebuildable._version import __version__

__all__ = ["CACHE_FORMAT", "CacheEntry", "DigestCache", "Key", "default_cache_dir"]

CACHE_FORMAT = "rebuildable-digest-cache/1"
#: files changed this recently (before the run started) are not recorded
RACY_NS = 2_000_000_000
#: the cache file is not read when larger than this
MAX_BYTES = 512 * 1024 * 1024

#: (device, inode, size, mtime_ns, ctime_ns) of a file
Key = tuple[int, int, int, int, int]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rebuildable``, or ``~/.cache/rebuildable``."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "rebuildable"


@dataclass(frozen=True, slots=True)
class CacheEntry:
    size: int
    digests: dict[str, str]
    #: what the caller stored beside the digests (JSON), e.g. the sniffed format
    extra: Any = None


@dataclass
class DigestCache:
    """The cache of one release folder: look files up, record new ones, save."""

    path: Path
    root: str
    entries: dict[str, list[Any]] = field(default_factory=dict)
    started_ns: int = field(default_factory=time.time_ns)
    #: why the file on disk was not used (None: used, or there was none)
    ignored: str | None = None
    _fresh: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path, root: Path) -> DigestCache:
        real = os.path.realpath(root)
        name = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        cache = cls(folder / f"{name}.json", real)
        try:
            cache.entries = _read(cache.path, real)
        except (FileNotFoundError, NotADirectoryError):
            pass  # no cache yet (saving says so when the folder cannot be made)
        except _UntrustedError as exc:
            cache.ignored = str(exc)
        except OSError as exc:
            cache.ignored = f"cannot be read: {exc.strerror or exc}"
        return cache

    def lookup(self, path: str, key: Key, algorithms: tuple[str, ...]) -> CacheEntry | None:
        row = self.entries.get(path)
        if row is None or tuple(row[:5]) != key:
            return None
        digests: dict[str, str] = row[5]
        if any(a not in digests for a in algorithms):
            return None  # recorded for other algorithms: read it
        self._fresh[path] = row
        return CacheEntry(row[2], {a: digests[a] for a in algorithms}, row[6])

    def record(self, path: str, key: Key, digests: dict[str, str], extra: Any = None) -> None:
        """Remember ``path``'s digests, unless it changed too recently to be trusted."""
        if key[4] >= self.started_ns - RACY_NS or key[3] >= self.started_ns - RACY_NS:
            return
        self._fresh[path] = [*key, dict(digests), extra]

    def save(self) -> str | None:
        """Write what this run looked up or recorded; the reason when that failed."""
        body = json.dumps({"entries": self._fresh}, separators=(",", ":")).encode()
        header = json.dumps({"format": CACHE_FORMAT, "tool": __version__, "uid": _uid(),
                             "root": self.root, "sha256": hashlib.sha256(body).hexdigest()})
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as out:  # mkstemp creates it 0600
                    out.write(header.encode() + b"\n" + body)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:
            return f"cannot be written: {exc.strerror or exc}"
        return None


class _UntrustedError(Exception):
    """The cache file exists but must not be used (the message says why)."""


def _uid() -> int:
    getuid = getattr(os, "getuid", None)
    return getuid() if getuid is not None else -1


def _read(path: Path, root: str) -> dict[str, list[Any]]:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise _UntrustedError("is not a regular file")
        if _uid() >= 0 and st.st_uid != _uid():
            raise _UntrustedError("belongs to another user")
        if st.st_mode & 0o022:
            raise _UntrustedError("is writable by other users")
        if st.st_size > MAX_BYTES:
            raise _UntrustedError(f"is larger than {MAX_BYTES} bytes")
        data = fh.read()
    head, sep, body = data.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError as exc:
        raise _UntrustedError("is corrupt (no readable header)") from exc
    if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
        raise _UntrustedError("is of another format version")
    if header.get("tool") != __version__:
        raise _UntrustedError(f"was written by rebuildable {header.get('tool')}")
    if header.get("uid") != _uid() or header.get("root") != root:
        raise _UntrustedError("was written for another user or folder")
    if not sep or hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise _UntrustedError("is corrupt (truncated or changed since it was written)")
    try:
        entries = json.loads(body)["entries"]
    except (ValueError, KeyError, TypeError) as exc:
        raise _UntrustedError("is corrupt (unreadable entries)") from exc
    if not isinstance(entries, dict) or not all(map(_well_formed, entries.values())):
        raise _UntrustedError("is corrupt (malformed entries)")
    return entries


def _well_formed(row: Any) -> bool:
    return (type(row) is list and len(row) == 7
            and all(type(v) is int for v in row[:5])
            and type(row[5]) is dict
            and all(type(k) is str and type(v) is str for k, v in row[5].items()))
