"""Reading a release: a folder, a manifest path, an archive file or an open binary stream.

A :class:`Release` exposes the members of a release by relative POSIX path and opens
only regular files inside it. Nothing here follows a link out of the release, and
nothing is ever extracted into the user's folders.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from rebuildable.archive import ArchiveLimits, open_archive, open_archive_path
from rebuildable.container import Entry, EntryType, Release
from rebuildable.errors import MemberError, ReleaseError
from rebuildable.findings import Location, finding
from rebuildable.model import MANIFEST_NAMES

__all__ = ["Entry", "EntryType", "FolderRelease", "Release", "open_release", "safe_relative"]

_UNSAFE_PATH = re.compile(r"\A(?:/|[A-Za-z]:)|(?:\A|/)\.{0,2}(?:/|\Z)|[\\\x00]")


def safe_relative(path: str) -> bool:
    """True for a path that can only name something inside the release: relative, no
    drive letter, no empty, '.' or '..' segment, no backslash, no NUL. Which rule a bad
    path breaks is the path check's to report (checks/paths.py)."""
    return bool(path) and _UNSAFE_PATH.search(path) is None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class FolderRelease(Release):
    def __init__(self, root: Path, manifest_name: str, label: str) -> None:
        self.root = root
        self.manifest_name = manifest_name
        self.label = label
        self.findings = []
        self._entries: dict[str, Entry] | None = None
        self._root_fd: int | None = None
        self._lock = threading.Lock()

    parallel_reads = True

    def _root(self) -> int:
        """A descriptor of the root folder, opened once (the root itself is what the
        user named: following a link there is intended)."""
        fd = self._root_fd
        if fd is None:
            with self._lock:
                if self._root_fd is None:
                    try:
                        self._root_fd = os.open(self.root, os.O_RDONLY | _CLOEXEC | _DIRECTORY)
                    except OSError as exc:
                        raise MemberError("release.unreadable",
                                          f"{self.root}: {exc.strerror}") from exc
                fd = self._root_fd
        return fd

    def close(self) -> None:
        with self._lock:
            if self._root_fd is not None:
                os.close(self._root_fd)
                self._root_fd = None

    def __del__(self) -> None:
        if getattr(self, "_root_fd", None) is not None:
            self.close()

    def local_root(self) -> Path | None:
        return self.root

    def entries(self) -> Mapping[str, Entry]:
        if self._entries is None:
            scanned, unreadable = _scan_folder(self.root)
            self._entries = dict(scanned)
            for raw, message in unreadable:
                rel = raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                self.findings.append(finding(
                    "release.unreadable", f"{self.label}: cannot list {rel or '.'}: {message}; "
                    "files below it are not checked", location=Location(rel or ".")))
        return self._entries

    def identity(self, path: str) -> tuple[int, ...] | None:
        try:
            st = os.stat(path, dir_fd=self._root(), follow_symlinks=False)
        except (OSError, ValueError, MemberError):
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def cache_key(self, path: str) -> tuple[int, int, int, int, int] | None:
        try:
            st = os.stat(path, dir_fd=self._root(), follow_symlinks=False)
        except (OSError, ValueError, MemberError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def open(self, path: str) -> BinaryIO:
        # Walk the components with O_NOFOLLOW relative to directory fds so that no
        # link anywhere along the path is followed, even if one appears mid-check.
        parts = path.split("/")
        if not path or any(p in ("", ".", "..") for p in parts) or "\x00" in path:
            raise MemberError("path.escapes", f"{path!r} is not a safe relative path")
        flags = os.O_RDONLY | _NOFOLLOW | _CLOEXEC
        dir_flags = flags | _DIRECTORY
        root = fd = self._root()
        try:
            for part in parts[:-1]:
                try:
                    nfd = os.open(part, dir_flags, dir_fd=fd)
                except OSError as exc:
                    raise _member_error(path, fd, part, exc) from exc
                if fd != root:
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
            try:
                ffd = os.open(parts[-1], flags | _NONBLOCK, dir_fd=fd)
            except OSError as exc:  # swapped for a link or removed since the stat
                if exc.errno == errno.ELOOP:
                    raise MemberError("path.symlink", f"{path} is a symbolic link") from exc
                if exc.errno == errno.ENOENT:
                    raise MemberError("integrity.missing",
                                      f"{path} is not in the release") from exc
                raise MemberError("release.unreadable", f"{path}: {exc.strerror}") from exc
        finally:
            if fd != root:
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


def _scan_folder(root: Path) -> tuple[list[tuple[str, Entry]], list[tuple[str, str]]]:
    """Every member below ``root`` without following any link; also the folders that
    could not be listed, with the reason."""
    out: list[tuple[str, Entry]] = []
    unreadable: list[tuple[str, str]] = []
    stack = [("", str(root))]
    while stack:
        rel, absolute = stack.pop()
        try:
            with os.scandir(absolute) as it:
                items = list(it)
        except OSError as exc:
            unreadable.append((rel.rstrip("/"), exc.strerror or str(exc)))
            continue
        for item in items:
            path = f"{rel}{item.name}"
            try:
                st = item.stat(follow_symlinks=False)
            except OSError as exc:
                unreadable.append((path, exc.strerror or str(exc)))
                continue
            if stat.S_ISLNK(st.st_mode):
                try:
                    target: str | None = os.readlink(item.path)
                except OSError:
                    target = None
                out.append((path, Entry(path, EntryType.SYMLINK, 0, st.st_nlink, target)))
            elif stat.S_ISDIR(st.st_mode):
                out.append((path, Entry(path, EntryType.DIR)))
                stack.append((path + "/", item.path))
            elif stat.S_ISREG(st.st_mode):
                out.append((path, Entry(path, EntryType.FILE, st.st_size, st.st_nlink)))
            else:
                out.append((path, Entry(path, EntryType.OTHER, 0, st.st_nlink)))
    return out, unreadable


def open_release(target: str | os.PathLike[str] | BinaryIO, *,
                 archive_limits: ArchiveLimits | None = None) -> Release:
    """Open what the user named: a folder, a manifest file, an archive file (tar, tar.gz,
    tgz, tar.bz2, tar.xz, zip; recognised by content) or an open binary stream holding an
    archive. Raises :class:`ReleaseError` when it cannot be a release."""
    if not isinstance(target, str | os.PathLike):
        label = str(getattr(target, "name", None) or "<stream>")
        return open_archive(target, label, limits=archive_limits)
    path = Path(target)
    label = str(target)
    if not path.exists() and not path.is_symlink():
        raise ReleaseError("release.not-found", f"{label}: no such file or folder", path=label)
    if path.is_dir():
        return FolderRelease(path, _find_manifest(path, label), label)
    if path.name in MANIFEST_NAMES or path.suffix in (".yaml", ".yml", ".json"):
        return FolderRelease(path.parent, path.name, label)
    if path.is_file():
        archive = open_archive_path(path, label, limits=archive_limits)
        if archive is not None:
            return archive
    elif path.is_fifo() or path.is_char_device():
        # A pipe named by path (/dev/stdin, a shell's <(...)): read it as a stream.
        try:
            stream = open(path, "rb")  # noqa: SIM115 - handed to the release
        except OSError as exc:
            raise ReleaseError("release.unreadable", f"{label}: {exc.strerror or exc}",
                               path=label) from exc
        return open_archive(stream, label, limits=archive_limits, owns_file=True)
    raise ReleaseError("release.unreadable",
                       f"{label}: not a folder, manifest or supported archive "
                       "(.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip)", path=label)


def _find_manifest(root: Path, label: str) -> str:
    present = [n for n in MANIFEST_NAMES if (root / n).exists() or (root / n).is_symlink()]
    if not present:
        raise ReleaseError("release.no-manifest",
                           f"{label}: no {', '.join(MANIFEST_NAMES)} in this folder", path=label)
    if len(present) > 1:
        raise ReleaseError("release.ambiguous-manifest",
                           f"{label}: more than one manifest ({', '.join(present)})", path=label)
    return present[0]
