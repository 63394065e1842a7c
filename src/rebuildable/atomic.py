"""Writing a file the user named, safely: through a temporary file in the same folder,
flushed to disk and renamed into place, so that an interrupted or full-disk write leaves
the old file (or none), never half of a new one.

Only a regular file (or a symbolic link, which is replaced, never followed) is ever
replaced: a device node, a pipe or a folder at the target is refused. Run as root,
``rebuildable keygen --force /dev/null`` would otherwise turn the machine's null device
into a key file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["NotReplaceableError", "check_replaceable", "stream_target", "write_atomic",
           "write_output"]


class NotReplaceableError(OSError):
    """The target exists and is not a regular file (nor a link): never replaced."""


def check_replaceable(target: Path) -> None:
    """Raise :class:`NotReplaceableError` when ``target`` exists and is neither a regular
    file nor a symbolic link."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
        return
    what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
    raise NotReplaceableError(errno.EEXIST, f"{what}; refusing to replace it", str(target))


def write_atomic(target: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder, fsync and
    a rename. A symbolic link at ``target`` is replaced, never followed; anything else
    that is not a regular file is refused (:class:`NotReplaceableError`)."""
    check_replaceable(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def stream_target(target: Path) -> bool:
    """Whether ``target`` (links followed) is a pipe or a character device: written into
    like a shell redirection (``-o /dev/stdout``, ``-o >(gpg ...)``), never replaced."""
    try:
        st = os.stat(target)
    except OSError:
        return False
    return stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)


def write_output(target: Path, data: bytes, mode: int = 0o644) -> None:
    """Write an output file the user named with ``-o``: into a pipe or terminal as it
    is, else atomically (an existing regular file is replaced, keeping its mode)."""
    if stream_target(target):
        with open(target, "wb") as fh:
            fh.write(data)
        return
    with contextlib.suppress(OSError):
        st = os.lstat(target)
        if stat.S_ISREG(st.st_mode):
            mode = stat.S_IMODE(st.st_mode)
    write_atomic(target, data, mode)
