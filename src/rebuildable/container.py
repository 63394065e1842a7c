"""The interface every release reader implements (folder, tar, zip), and its entries.

It lives apart from release.py so that the archive readers can implement it while
release.py, which picks a reader, imports them: no import cycle.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rebuildable.findings import Finding


class EntryType(enum.StrEnum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"  # a tar hard-link member
    OTHER = "other"  # FIFO, device, socket


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # relative POSIX path, as stored (not normalised)
    type: EntryType
    size: int = 0
    nlink: int = 1
    target: str | None = None  # link target, when a link


class Release(ABC):
    """One release, whatever its container."""

    #: what the user named (for messages)
    label: str
    #: the manifest's path relative to the release root, e.g. "rebuild.yaml"
    manifest_name: str
    #: problems met while reading the container (hostile archive members, ...)
    findings: list[Finding]
    #: the folder inside the container that holds the manifest ("" or "name-1.0/");
    #: member paths in ``findings`` data are relative to the container, not to it
    prefix: str = ""

    @abstractmethod
    def entries(self) -> Mapping[str, Entry]:
        """Every member below the release root, by relative POSIX path."""

    @abstractmethod
    def open(self, path: str) -> BinaryIO:
        """Open a regular file of the release for reading.

        Raises :class:`MemberError` (code ``integrity.missing``, ``path.symlink`` or
        ``path.not-regular``) when ``path`` is not a regular file inside the release.
        """

    #: a manifest is never read further than this (the loader's own bound is lower)
    manifest_read_limit: int = 1 << 30

    def read_manifest(self) -> bytes:
        with self.open(self.manifest_name) as fh:
            return fh.read(self.manifest_read_limit + 1)

    def local_root(self) -> Path | None:
        """The folder on disk, for folder releases; None for archives."""
        return None

    #: whether members may be read on several threads at once (folders: yes;
    #: archives are read in one forward pass)
    parallel_reads: bool = False

    def order(self, paths: list[str]) -> list[str]:
        """``paths`` in the cheapest order to read them (archives: data order)."""
        return list(paths)

    def identity(self, path: str) -> tuple[int, ...] | None:
        """What identifies a member's current content on disk (device, inode, size,
        mtime), to notice a file replaced while it was read; None when not applicable."""
        return None

    def cache_key(self, path: str) -> tuple[int, int, int, int, int] | None:
        """(device, inode, size, mtime_ns, ctime_ns) of a member on disk, for the digest
        cache (digest_cache.py); None when the release is not a folder."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (temporary files, archive handles)."""

    def __enter__(self) -> Release:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
