"""The first program inside the namespaces that ``unshare`` made for a step ([REB-3]).

It runs as root of a fresh user namespace, in fresh mount, network and PID namespaces,
and builds the step's view of the file system before the step starts:

1. the places a step must not see (the release, ``/root``, ``/home``, ``/tmp``, ``/run``,
   the rebuilder's own folders, ...) are covered by empty tmpfs mounts, and a file among
   them (a release shipped as an archive) by ``/dev/null``;
2. ``/dev`` is replaced by a tmpfs holding only ``null``, ``zero``, ``full``, ``random``,
   ``urandom`` and ``tty`` (a step mapped to root must not reach the disks);
3. the work folder (and the toolchain folders the caller's PATH needs) are bound back;
4. every mount but the work folder and ``/proc`` is made read-only (``/proc/sys``,
   ``/proc/sysrq-trigger`` and their like too);
5. the step is started in one more user and mount namespace, so that every mount above
   is locked: the step can neither unmount a cover nor make a mount writable again.

It is started by path with ``python -I -S`` and imports only the standard library, so it
works whatever the rebuilder's own installation is. Any failure stops it with exit status
125 and a line on standard error: a step never runs in a half-built sandbox.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import sys
from typing import Any

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
SETUP_FAILED = 125
PROC_READONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")

_LIBC: Any = None
_OCTAL = re.compile(r"\\([0-7]{3})")


class SetupError(RuntimeError):
    pass


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    global _LIBC  # noqa: PLW0603 - loaded once, only inside the sandbox
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    if _LIBC.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        err = ctypes.get_errno()
        raise SetupError(f"mount {source or fstype or ''} on {target}: {os.strerror(err)}")


def _mount_points() -> list[str]:
    """The mount points a process here can reach: not covered by a mount stacked on the
    same point, and below a reachable mount."""
    mounts: dict[str, tuple[str, str]] = {}
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            fields = line.split(" ")
            # mountinfo escapes space, tab, newline and backslash as \ooo
            point = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), fields[4])
            mounts[fields[0]] = (fields[1], point)
    covered = {parent for parent, point in mounts.values()
               if parent in mounts and mounts[parent][1] == point}

    def placed(mount_id: str, depth: int) -> bool:
        """Whether the place ``mount_id`` is mounted on can be reached."""
        parent, point = mounts[mount_id]
        if parent not in mounts or parent == mount_id or depth > len(mounts):
            return parent not in mounts or parent == mount_id
        if mounts[parent][1] == point:  # stacked on its parent: it takes its place
            return placed(parent, depth + 1)
        return reachable(parent, depth + 1)

    def reachable(mount_id: str, depth: int = 0) -> bool:
        return mount_id not in covered and placed(mount_id, depth)

    return [point for mount_id, (_, point) in mounts.items() if reachable(mount_id)]


def _preserved_flags(path: str) -> int:
    """The per-mount flags a remount must repeat (the kernel refuses to drop locked ones)."""
    st = os.statvfs(path)
    flags = 0
    for st_flag, ms_flag in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV),
                             (os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME),
                             (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)):
        if st.f_flag & st_flag:
            flags |= ms_flag
    return flags


def _bind_from_fd(fd: int, target: str, *, is_dir: bool) -> None:
    if is_dir:
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        with open(target, "wb"):
            pass
    _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)


def build(spec: dict[str, Any]) -> None:
    work: str = spec["work"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # hold what is bound back before covering the places it lives in
    binds = [(os.open(p, os.O_PATH | os.O_DIRECTORY), p) for p in [work, *spec["keep"]]]
    devices = [(os.open(f"/dev/{d}", os.O_PATH), f"/dev/{d}") for d in DEVICES
               if os.path.exists(f"/dev/{d}")]
    for place in sorted(spec["hide"], key=len):
        if os.path.islink(place):
            continue
        if os.path.isdir(place):
            _mount("tmpfs", place, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
        elif os.path.exists(place):  # a release shipped as an archive: read as empty
            _mount("/dev/null", place, None, MS_BIND)
    _mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=0755,size=1m")
    for fd, target in devices:
        _bind_from_fd(fd, target, is_dir=False)
    for name, dest in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(dest, f"/dev/{name}")
    os.mkdir("/dev/shm")  # noqa: S108 - an empty folder in the fresh /dev
    for fd, target in binds:
        _bind_from_fd(fd, target, is_dir=True)
    for fd, _ in binds + devices:
        os.close(fd)
    # /proc stays writable for the inner namespace's uid_map; its dangerous files
    # (sysrq-trigger: a mapped root could reboot the host) become read-only mounts
    for place in PROC_READONLY:
        if os.path.exists(place):
            _mount(place, place, None, MS_BIND | MS_REC)
    for point in _mount_points():
        if point in (work, "/proc"):
            continue
        try:
            flags = _preserved_flags(point)
        except OSError:  # covered by a later mount: not reachable, nothing to protect
            continue
        _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
    os.chdir(work)


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    lock = spec["lock"]
    try:
        # held before the covers go up: unshare may live in a place they hide (a PATH
        # folder under /home or /tmp); it is started through this descriptor
        program = os.open(lock[0], os.O_PATH)
        build(spec)
    except (SetupError, OSError) as exc:
        sys.stderr.write(f"rebuildable sandbox: {exc}\n")
        return SETUP_FAILED
    os.execv(f"/proc/self/fd/{program}",  # noqa: S606
             [*lock, "--", "/bin/sh", "-c", spec["command"]])
    return SETUP_FAILED  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv))
