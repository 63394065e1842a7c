"""Reading a whole file the user named, bounded: a key, a policy, a checksum list or an
import source may be a device (``/dev/zero``) or a pipe that never ends, and reading it
whole would take all memory or never return."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import BinaryIO

__all__ = ["TooLargeError", "read_limited"]


class TooLargeError(OSError):
    """The file holds more than the reader's bound (an ``OSError``, so that the callers'
    "cannot read FILE: why" messages say it without a case of their own)."""


def read_limited(source: Path | BinaryIO, limit: int) -> bytes:
    """The bytes of ``source`` (a path, or an open stream read from where it is);
    :class:`TooLargeError` when it holds more than ``limit``."""
    if isinstance(source, Path):
        with open(source, "rb") as fh:
            data = fh.read(limit + 1)
        label = str(source)
    else:
        data = source.read(limit + 1)
        label = str(getattr(source, "name", "<stream>"))
    if len(data) > limit:
        raise TooLargeError(errno.EFBIG, f"larger than {limit} bytes", label)
    return data
