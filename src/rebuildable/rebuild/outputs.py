"""Taking bytes out of a place a step could write: into a file the rebuilder makes new,
never through a link, never more than a bound."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from rebuildable.defaults import DEFAULT_MAX_OUTPUT_SIZE

CHUNK = 1024 * 1024
__all__ = ["DEFAULT_MAX_OUTPUT_SIZE", "OutputTooLargeError", "copy_new"]


class OutputTooLargeError(ValueError):
    """More bytes than the bound."""


def copy_new(src: BinaryIO, dst: Path, bound: int | None) -> Path:
    """Copy ``src`` into ``dst``, which must not exist yet (O_EXCL, O_NOFOLLOW): a
    file or link someone made there in advance is an error, never written through."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(dst, flags, 0o600)
    copied = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(CHUNK):
                copied += len(chunk)
                if bound is not None and copied > bound:
                    raise OutputTooLargeError(f"more than {bound} bytes")
                out.write(chunk)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise
    return dst
