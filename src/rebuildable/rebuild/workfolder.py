"""A work folder after its step: what the step left there, and removing it.

A step leaves what it likes behind: links to anywhere, folders it made unreadable or
read-only, nesting thousands of levels deep, millions of files. Nothing here follows a
link (every name is opened, changed or removed relative to a descriptor of its folder,
with ``O_NOFOLLOW``; a folder's mode is changed only through a descriptor of that very
folder), nothing recurses once per level, and listing stops at a bound.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_PATH = getattr(os, "O_PATH", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
#: names read from a folder at a time while removing
BATCH = 1000
#: a rename onto a name the step took in the top folder
_NAME_TAKEN = (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR)


def _make_ours(name: str, dir_fd: int) -> None:
    """Give the folder ``name`` (in ``dir_fd``) mode 0700 without following a link."""
    if _PATH and os.path.isdir("/proc/self/fd"):
        fd = os.open(name, _PATH | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
        try:
            # the descriptor names that folder itself, whatever is swapped in since
            os.chmod(f"/proc/self/fd/{fd}", 0o700)
        finally:
            os.close(fd)
    elif os.chmod in os.supports_follow_symlinks:  # pragma: no cover - BSD, macOS
        os.chmod(name, 0o700, dir_fd=dir_fd, follow_symlinks=False)


def _open_folder(name: str, dir_fd: int) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        _make_ours(name, dir_fd)
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def _writable(op: Callable[[], None], *folders: int) -> None:
    """Run ``op``; when a folder it changes is read-only, make it writable, once."""
    try:
        op()
    except PermissionError:
        for fd in folders:
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o700)
        op()


def _names(fd: int, skip: set[str], limit: int) -> list[tuple[str, bool]]:
    """Up to ``limit`` entries of the folder ``fd`` not in ``skip``: (name, is a folder)."""
    out: list[tuple[str, bool]] = []
    with os.scandir(fd) as it:
        for entry in it:
            if entry.name in skip:
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            out.append((entry.name, is_dir))
            if len(out) >= limit:
                break
    return out


@dataclass
class _Remover:
    top: int
    moved: int = 0

    def empty(self) -> None:
        """Remove everything in the top folder that can be removed."""
        stuck: set[str] = set()
        while batch := _names(self.top, stuck, BATCH):
            for name, is_dir in batch:
                try:
                    if is_dir:
                        self._flatten(name)
                        _writable(partial(os.rmdir, name, dir_fd=self.top), self.top)
                    else:
                        _writable(partial(os.unlink, name, dir_fd=self.top), self.top)
                except OSError:
                    stuck.add(name)  # left behind, not tried again

    def _flatten(self, name: str) -> None:
        """Empty the folder ``name`` of the top folder: its files are removed, its
        folders moved up into the top folder (emptied in their turn)."""
        sub = _open_folder(name, self.top)
        stuck: set[str] = set()
        try:
            while batch := _names(sub, stuck, BATCH):
                for child, is_dir in batch:
                    try:
                        if is_dir:
                            self._move_up(sub, child)
                        else:
                            _writable(partial(os.unlink, child, dir_fd=sub), sub)
                    except OSError:
                        stuck.add(child)
        finally:
            os.close(sub)

    def _move_up(self, sub: int, child: str) -> None:
        for _ in range(100):
            self.moved += 1
            target = f".rebuildable-rm-{self.moved}"
            try:
                self._rename(sub, child, target)
                return
            except OSError as exc:
                if exc.errno not in _NAME_TAKEN:
                    raise
        raise OSError(errno.EEXIST, f"no free name to move {child!r} to")

    def _rename(self, sub: int, child: str, target: str) -> None:
        try:
            os.rename(child, target, src_dir_fd=sub, dst_dir_fd=self.top)
        except PermissionError:
            # both folders written, and the moved folder's '..' (its own mode counts)
            for fd in (sub, self.top):
                with contextlib.suppress(OSError):
                    os.fchmod(fd, 0o700)
            _make_ours(child, sub)
            os.rename(child, target, src_dir_fd=sub, dst_dir_fd=self.top)


def remove_tree(path: Path) -> None:
    """Remove the folder ``path`` and everything below it, as far as this process may
    (what cannot be removed is left, never an error)."""
    parent = os.open(path.parent, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        try:
            st = os.stat(path.name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(st.st_mode):
            with contextlib.suppress(OSError):
                os.unlink(path.name, dir_fd=parent)
            return
        with contextlib.suppress(OSError):
            top = _open_folder(path.name, parent)
            try:
                _Remover(top).empty()
            finally:
                os.close(top)
            _writable(partial(os.rmdir, path.name, dir_fd=parent), parent)
    finally:
        os.close(parent)


@dataclass
class Listing:
    """Regular files below a work folder, counted up to a bound."""

    #: the first names in sorted order (at most ``shown``)
    first: list[str]
    count: int
    #: True when the walk stopped at the bound: ``count`` is a lower bound
    truncated: bool


def list_files(root: Path, skip: Callable[[str], bool], *, shown: int,
               bound: int) -> Listing:
    """The regular files below ``root`` (relative POSIX paths) for which ``skip`` is
    false; at most ``bound`` entries (files, folders, anything) are looked at."""
    first: list[str] = []
    count = seen = 0
    stack = [("", str(root))]
    while stack:
        rel, absolute = stack.pop()
        try:
            it = os.scandir(absolute)
        except OSError:
            continue
        with it:
            for entry in it:
                seen += 1
                if seen > bound:
                    return Listing(first, count, True)
                name = f"{rel}{entry.name}"
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    stack.append((name + "/", entry.path))
                elif stat.S_ISREG(st.st_mode) and not skip(name):
                    count += 1
                    _keep_smallest(first, name, shown)
    return Listing(first, count, False)


def _keep_smallest(first: list[str], name: str, size: int) -> None:
    """Keep in ``first`` (sorted) the ``size`` smallest names seen."""
    if len(first) < size or name < first[-1]:
        bisect.insort(first, name)
        del first[size:]
