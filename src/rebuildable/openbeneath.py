"""Open a file below a directory in one system call, following no link: Linux ``openat2``.

``openat2(dirfd, path, {flags, resolve: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
RESOLVE_NO_MAGICLINKS})`` (Linux 5.6+) resolves every component of ``path`` in the
kernel and fails with ``ELOOP`` at the first symbolic link anywhere along it, and with
``EXDEV`` on anything that would leave ``dirfd``: the guarantee of a walk that opens each
component with ``O_NOFOLLOW``, in one atomic call instead of one per component.

Python has no binding for it, so it is called through ``ctypes``; :func:`open_beneath`
returns None wherever that is not possible (another OS, an architecture whose system
call number is not known here, a kernel without it, a seccomp filter refusing it), and
the caller then walks the components itself.
"""

from __future__ import annotations

import errno
import os
import platform
import sys
import threading
from typing import Any

__all__ = ["open_beneath"]

#: openat2's number where the system call table is the shared one (all but alpha,
#: ia64 and mips among Linux's); nowhere else is it tried
_SYSCALL_OPENAT2 = 437
_MACHINES = frozenset({"x86_64", "amd64", "i386", "i486", "i586", "i686", "aarch64",
                       "arm64", "armv6l", "armv7l", "armv8l", "riscv64", "ppc64", "ppc64le",
                       "s390x", "loongarch64"})
_RESOLVE = 0x02 | 0x04 | 0x08  # RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH
#: errors that say openat2 itself cannot be used here, not that the path is bad
_UNUSABLE = frozenset({errno.ENOSYS, errno.EPERM, errno.EINVAL, errno.E2BIG})

_lock = threading.Lock()


class _Calls:
    """The ctypes pieces, set up once on first use (no ctypes import at start-up)."""

    def __init__(self) -> None:
        import ctypes  # noqa: PLC0415 - only where openat2 may exist

        libc = ctypes.CDLL(None, use_errno=True)  # CDLL: the GIL is released during calls
        self.syscall = libc.syscall
        self.syscall.restype = ctypes.c_long
        self.syscall.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_char_p,
                                 ctypes.c_void_p, ctypes.c_size_t]
        self.get_errno = ctypes.get_errno

        class OpenHow(ctypes.Structure):
            _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                        ("resolve", ctypes.c_uint64)]

        self._struct = OpenHow
        self._sizeof = ctypes.sizeof
        self._addressof = ctypes.addressof
        self._hows: dict[int, tuple[Any, int, int]] = {}

    def how(self, flags: int) -> tuple[Any, int, int]:
        """(struct open_how, its address, its size) for ``flags``, kept alive here: the
        kernel only reads it, so threads share it."""
        found = self._hows.get(flags)
        if found is None:
            how = self._struct(flags, 0, _RESOLVE)
            # setdefault is atomic: racing threads all use the one struct kept here
            found = self._hows.setdefault(flags, (how, self._addressof(how),
                                                  self._sizeof(how)))
        return found


class _State:
    """Whether openat2 is usable here: not known yet (None), no (False), or how to call it."""

    calls: _Calls | bool | None = None


_state = _State()


def _setup() -> _Calls | bool:
    with _lock:
        if _state.calls is None:
            _state.calls = False
            # A system call filter that kills the process on a call it does not know
            # (systemd's SystemCallFilter= without SystemCallErrorNumber=) gives no error
            # to fall back on: REBUILDABLE_NO_OPENAT2=1 lets such a host opt out.
            if os.environ.get("REBUILDABLE_NO_OPENAT2", "") not in ("", "0"):
                return False
            if sys.platform.startswith("linux") and platform.machine().lower() in _MACHINES:
                try:
                    _state.calls = _Calls()
                except (ImportError, OSError, AttributeError):
                    _state.calls = False
        return _state.calls


def disable() -> None:
    """Never use openat2 again in this process (also for tests of the fallback)."""
    with _lock:
        _state.calls = False


def enable() -> None:
    """Try openat2 again on the next call (tests)."""
    with _lock:
        _state.calls = None


def open_beneath(dir_fd: int, path: str, flags: int) -> int | None:
    """A descriptor of ``path`` opened with ``flags`` below ``dir_fd``, no link followed
    anywhere along it; None when openat2 cannot be used here (the caller walks instead).

    Raises :class:`OSError` for a path that cannot be opened that way (``ELOOP``: a link
    along it; ``ENOENT``, ``ENOTDIR``, ``EACCES``, ``ENXIO``, ...).
    """
    if "\x00" in path:
        raise ValueError("embedded null character in path")
    calls = _state.calls
    if calls is None:
        calls = _setup()
    if not isinstance(calls, _Calls):
        return None
    _, address, size = calls.how(flags)
    encoded = os.fsencode(path)
    while True:
        fd = int(calls.syscall(_SYSCALL_OPENAT2, dir_fd, encoded, address, size))
        if fd >= 0:
            return fd
        err = calls.get_errno()
        if err != errno.EINTR:
            break
    if err in _UNUSABLE:
        # No such system call, a filter refusing it, or flags this kernel does not know
        # (a relative, NUL-free path opened read-only gives none of these otherwise; a
        # file-access policy answering EPERM only costs the fast path).
        disable()
        return None
    raise OSError(err, os.strerror(err), path)
