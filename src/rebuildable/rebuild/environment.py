"""A step's environment, materialised ([REB-24]): a Python lock becomes a fresh virtual
environment, built inside the step's sandbox with hash-checked installs, first on the
step's PATH.

Locks recognised: ``pylock.toml`` / ``pylock.NAME.toml`` (PEP 751) and requirements
files whose every requirement carries ``--hash`` (pip's ``--require-hashes`` mode). Any
other ``environment`` artifact is an input like the others, as before.
"""

from __future__ import annotations

import shlex

from rebuildable.locks import python_lock_kind
from rebuildable.rebuild.environment_lock import LOCK_MAX_BYTES, Lock, LockError, parse_lock

__all__ = ["ENV_DIR", "LOCK_MAX_BYTES", "REPORT", "REQUIREMENTS", "Lock", "LockError",
           "lock_kind", "parse_lock", "setup_command"]

#: the virtual environment, inside the work folder (never counted as an undeclared write)
ENV_DIR = ".rebuild/env"
REQUIREMENTS = ".rebuild/requirements.txt"
REPORT = ".rebuild/environment.json"


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
    probe = ("import json, platform, sys, importlib.metadata as m; "
             "json.dump({'interpreter': platform.python_implementation() + ' ' + "
             "platform.python_version(), 'executable': sys.executable, "
             "'base': sys.base_prefix, 'platform': platform.platform(), "
             "'installed': sorted(({'name': d.metadata['Name'], 'version': d.version} "
             "for d in m.distributions()), key=lambda d: d['name'].lower())}, "
             f"open({REPORT!r}, 'w'))")
    # the real interpreter, not a version manager's shim (pyenv's would rehash its
    # read-only shims folder after an install)
    parts = [f"py=$({shlex.quote(python)} -c 'import sys; print(sys.executable)')",
             '"$py" -m venv --without-pip ' + shlex.quote(ENV_DIR)]
    if install:
        # no pip.conf of the machine or the caller's Python either: one that names an
        # index or find-links URL would be fetched whatever --no-index says of indexes
        parts.append('PIP_CONFIG_FILE=/dev/null "$py" ' + shlex.join(pip))
    parts.append(shlex.join([f"{ENV_DIR}/bin/python", "-c", probe]))
    return " && ".join(parts)
