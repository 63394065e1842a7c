"""Reading a release: a folder, a manifest path, an archive file or an open binary stream.

A :class:`Release` exposes the members of a release by relative POSIX path and opens
only regular files inside it. Nothing here follows a link out of the release, and
nothing is ever extracted into the user's folders.
"""

from __future__ import annotations

import enum
import os
import stat
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rebuildable.errors import MemberError, ReleaseError
from rebuildable.findings import Finding
from rebuildable.model import MANIFEST_NAMES


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

    @abstractmethod
    def entries(self) -> Mapping[str, Entry]:
        """Every member below the release root, by relative POSIX path."""

    @abstractmethod
    def open(self, path: str) -> BinaryIO:
        """Open a regular file of the release for reading.

        Raises :class:`MemberError` (code ``integrity.missing``, ``path.symlink`` or
        ``path.not-regular``) when ``path`` is not a regular file inside the release.
        """

    def read_manifest(self) -> bytes:
        with self.open(self.manifest_name) as fh:
            return fh.read()

    def local_root(self) -> Path | None:
        """The folder on disk, for folder releases; None for archives."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (temporary files, archive handles)."""

    def __enter__(self) -> Release:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FolderRelease(Release):
    def __init__(self, root: Path, manifest_name: str, label: str) -> None:
        self.root = root
        self.manifest_name = manifest_name
        self.label = label
        self.findings = []
        self._entries: dict[str, Entry] | None = None

    def local_root(self) -> Path | None:
        return self.root

    def entries(self) -> Mapping[str, Entry]:
        if self._entries is None:
            self._entries = dict(_scan_folder(self.root))
        return self._entries

    def open(self, path: str) -> BinaryIO:
        # Walk the components with O_NOFOLLOW relative to directory fds so that no
        # link anywhere along the path is followed, even if one appears mid-check.
        parts = path.split("/")
        if not path or any(p in ("", ".", "..") for p in parts) or "\x00" in path:
            raise MemberError("path.escapes", f"{path!r} is not a safe relative path")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        dir_flags = flags | getattr(os, "O_DIRECTORY", 0)
        fd = os.open(self.root, dir_flags)
        try:
            for part in parts[:-1]:
                try:
                    nfd = os.open(part, dir_flags, dir_fd=fd)
                except OSError as exc:
                    raise _member_error(path, fd, part, exc) from exc
                os.close(fd)
                fd = nfd
            try:
                st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                raise _member_error(path, fd, parts[-1], exc) from exc
            if stat.S_ISLNK(st.st_mode):
                raise MemberError("path.symlink", f"{path} is a symbolic link")
            if not stat.S_ISREG(st.st_mode):
                raise MemberError("path.not-regular", f"{path} is not a regular file")
            # O_NONBLOCK keeps a FIFO swapped in after the stat from blocking the open.
            ffd = os.open(parts[-1], flags | getattr(os, "O_NONBLOCK", 0), dir_fd=fd)
        finally:
            os.close(fd)
        if not stat.S_ISREG(os.fstat(ffd).st_mode):
            os.close(ffd)
            raise MemberError("path.not-regular", f"{path} is not a regular file")
        os.set_blocking(ffd, True)
        return os.fdopen(ffd, "rb")


def _member_error(path: str, dir_fd: int, part: str, exc: OSError) -> MemberError:
    try:
        st = os.stat(part, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return MemberError("integrity.missing", f"{path} is not in the release")
    if stat.S_ISLNK(st.st_mode):
        return MemberError("path.symlink", f"{path} passes through the symbolic link {part!r}")
    if not stat.S_ISDIR(st.st_mode):
        return MemberError("integrity.missing", f"{path}: {part!r} is not a folder")
    return MemberError("release.unreadable", f"{path}: {exc.strerror}")


def _scan_folder(root: Path) -> list[tuple[str, Entry]]:
    out: list[tuple[str, Entry]] = []
    stack = [("", str(root))]
    while stack:
        rel, absolute = stack.pop()
        try:
            with os.scandir(absolute) as it:
                items = list(it)
        except OSError:
            continue
        for item in items:
            path = f"{rel}{item.name}"
            st = item.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                out.append((path, Entry(path, EntryType.SYMLINK, 0, 1, os.readlink(item.path))))
            elif stat.S_ISDIR(st.st_mode):
                out.append((path, Entry(path, EntryType.DIR)))
                stack.append((path + "/", item.path))
            elif stat.S_ISREG(st.st_mode):
                out.append((path, Entry(path, EntryType.FILE, st.st_size, st.st_nlink)))
            else:
                out.append((path, Entry(path, EntryType.OTHER)))
    return out


def open_release(target: str | os.PathLike[str] | BinaryIO) -> Release:
    """Open what the user named. Raises :class:`ReleaseError` when it cannot be a release."""
    if not isinstance(target, str | os.PathLike):
        raise ReleaseError("release.unreadable", "reading a release from a stream is not supported yet")
    path = Path(target)
    label = str(target)
    if not path.exists() and not path.is_symlink():
        raise ReleaseError("release.not-found", f"{label}: no such file or folder", path=label)
    if path.is_dir():
        return FolderRelease(path, _find_manifest(path, label), label)
    if path.name in MANIFEST_NAMES or path.suffix in (".yaml", ".yml", ".json"):
        return FolderRelease(path.parent, path.name, label)
    raise ReleaseError("release.unreadable", f"{label}: not a folder, manifest or supported archive",
                       path=label)


def _find_manifest(root: Path, label: str) -> str:
    present = [n for n in MANIFEST_NAMES if (root / n).exists() or (root / n).is_symlink()]
    if not present:
        raise ReleaseError("release.no-manifest",
                           f"{label}: no {', '.join(MANIFEST_NAMES)} in this folder", path=label)
    if len(present) > 1:
        raise ReleaseError("release.ambiguous-manifest",
                           f"{label}: more than one manifest ({', '.join(present)})", path=label)
    return present[0]
