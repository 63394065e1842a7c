"""A step's environment, materialised ([REB-24]): a Python lock becomes a fresh virtual
environment, built inside the step's sandbox with hash-checked installs, first on the
step's PATH.

Locks recognised: ``pylock.toml`` / ``pylock.NAME.toml`` (PEP 751) and requirements
files whose every requirement carries ``--hash`` (pip's ``--require-hashes`` mode). Any
other ``environment`` artifact is an input like the others, as before.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
from pathlib import Path
from typing import Any

from rebuildable.locks import python_lock_kind
from rebuildable.rebuild.environment_lock import LOCK_MAX_BYTES, Lock, LockError, parse_lock

__all__ = ["ENV_DIR", "LOCK_MAX_BYTES", "REPORT", "REQUIREMENTS", "Lock", "LockError",
           "lock_kind", "parse_lock", "read_probe", "setup_command"]

#: the virtual environment, inside the work folder (never counted as an undeclared write)
ENV_DIR = ".rebuild/env"
REQUIREMENTS = ".rebuild/requirements.txt"
REPORT = ".rebuild/environment.json"
#: the most bytes of the probe's file read (its honest size is a few kilobytes)
PROBE_MAX_BYTES = 4 * 1024 * 1024
_PROBE_TEXT = ("interpreter", "executable", "base", "platform")


def lock_kind(path: str, head: bytes) -> str | None:
    """"pylock", "requirements" or None (not a lock this rebuilder materialises)."""
    return python_lock_kind(path, head)


def setup_command(python: str, *, wheels: str | None, network: bool, install: bool) -> str:
    """The shell command that builds the environment in the work folder."""
    source = (["--no-index", "--find-links", wheels] if wheels and not network
              else ["--find-links", wheels] if wheels else [] if network else ["--no-index"])
    # the caller's pip installs into the new environment (pip --python): no ensurepip run
    pip = ["-m", "pip", "--python", f"{ENV_DIR}/bin/python", "install", "--quiet",
           "--require-hashes",
           "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
           "--no-cache-dir", *source, "-r", REQUIREMENTS]
    # -I -S: no site module, so no installed package's .pth or sitecustomize runs before
    # the probe (one could rewrite its file); the packages are read from site-packages
    # the packages are read from the environment's site-packages, which without site
    # is not on sys.path (nor is sys.prefix the environment's)
    probe = ("import glob, json, os, platform, sys, importlib.metadata as m; "
             f"site = sorted({{os.path.realpath(p) for p in glob.glob(os.path.abspath("
             f"{ENV_DIR!r}) + '/lib*/python*/site-packages')}}); "
             "json.dump({'interpreter': platform.python_implementation() + ' ' + "
             "platform.python_version(), 'executable': sys.executable, "
             "'base': sys.base_prefix, 'platform': platform.platform(), "
             "'installed': sorted(({'name': d.metadata['Name'], 'version': d.version} "
             "for d in m.distributions(path=site)), key=lambda d: d['name'].lower())}, "
             f"open({REPORT!r}, 'w'))")
    # the real interpreter, not a version manager's shim (pyenv's would rehash its
    # read-only shims folder after an install)
    parts = [f"py=$({shlex.quote(python)} -c 'import sys; print(sys.executable)')",
             '"$py" -m venv --without-pip ' + shlex.quote(ENV_DIR)]
    if install:
        # no pip.conf of the machine or the caller's Python either: one that names an
        # index or find-links URL would be fetched whatever --no-index says of indexes
        parts.append('PIP_CONFIG_FILE=/dev/null "$py" ' + shlex.join(pip))
    parts.append(shlex.join([f"{ENV_DIR}/bin/python", "-I", "-S", "-c", probe]))
    return " && ".join(parts)


def read_probe(path: Path) -> dict[str, Any]:
    """What the environment's Python wrote of itself (``REPORT``), kept to the report's
    fields and types; {} when it is not a small regular file of JSON.

    That Python runs the installed packages' code first (a wheel's ``.pth`` file), so
    the file is the lock author's word: it may be a FIFO, a link, megabytes, deeply
    nested, or name keys (``lock``, ``packages``) the rebuilder records itself."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    flags = os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0)
    try:
        # its folder (.rebuild) is the step's to replace with a link too
        folder = os.open(path.parent, os.O_RDONLY | nofollow | getattr(os, "O_DIRECTORY", 0))
        try:
            fd = os.open(path.name, flags, dir_fd=folder)
        finally:
            os.close(folder)
    except OSError:
        return {}
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return {}
        raw = fh.read(PROBE_MAX_BYTES + 1)
    try:
        data = json.loads(raw) if len(raw) <= PROBE_MAX_BYTES else None
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {k: data[k] for k in _PROBE_TEXT if isinstance(data.get(k), str)}
    installed = data.get("installed")
    if isinstance(installed, list):
        out["installed"] = [{"name": d["name"], "version": d["version"]} for d in installed
                            if isinstance(d, dict) and isinstance(d.get("name"), str)
                            and isinstance(d.get("version"), str)]
    return out
