"""A step's environment, materialised ([REB-24]): a Python lock becomes a fresh virtual
environment, built inside the step's sandbox with hash-checked installs, first on the
step's PATH.

Locks recognised: ``pylock.toml`` / ``pylock.NAME.toml`` (PEP 751) and requirements
files whose every requirement carries ``--hash`` (pip's ``--require-hashes`` mode). Any
other ``environment`` artifact is an input like the others, as before.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from typing import Any

from rebuildable.locks import python_lock_kind

#: the virtual environment, inside the work folder (never counted as an undeclared write)
ENV_DIR = ".rebuild/env"
REQUIREMENTS = ".rebuild/requirements.txt"
REPORT = ".rebuild/environment.json"
_HASH = re.compile(r"--hash[= ]\s*\S+")


class LockError(ValueError):
    """A lock file that cannot be turned into hash-checked requirements."""


@dataclass(frozen=True, slots=True)
class Lock:
    kind: str  # "pylock" | "requirements"
    requirements: str  # pip requirements, every one with --hash
    #: what the lock pins: name, version, hashes (for the report)
    packages: tuple[dict[str, Any], ...] = field(default=())


def lock_kind(path: str, head: bytes) -> str | None:
    """"pylock", "requirements" or None (not a lock this rebuilder materialises)."""
    return python_lock_kind(path, head)


def parse_lock(kind: str, data: bytes) -> Lock:
    text = data.decode("utf-8")
    if kind == "pylock":
        return _from_pylock(text)
    return _from_requirements(text)


def _from_requirements(text: str) -> Lock:
    packages = []
    joined = re.sub(r"\\\n", " ", text)
    for raw in joined.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            raise LockError(f"option lines are not allowed in a lock: {line.split()[0]}")
        hashes = [h.split("=", 1)[-1].strip() for h in _HASH.findall(line)]
        if not hashes:
            raise LockError(f"requirement without --hash: {line.split()[0]}")
        spec = _HASH.sub("", line).strip()
        name, _, version = spec.partition("==")
        if not version:
            raise LockError(f"requirement not pinned with ==: {spec}")
        packages.append({"name": name.strip(), "version": version.strip(), "hashes": hashes})
    return Lock("requirements", text, tuple(packages))


def _from_pylock(text: str) -> Lock:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"not TOML: {exc}") from exc
    if not str(doc.get("lock-version", "")).startswith("1"):
        raise LockError("lock-version 1.x is required (PEP 751)")
    lines, packages = [], []
    for pkg in doc.get("packages", []):
        name, version = pkg.get("name"), pkg.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            raise LockError("every package needs a name and a version")
        hashes = [f"{alg}:{value}" for wheel in pkg.get("wheels", [])
                  for alg, value in (wheel.get("hashes") or {}).items()]
        sdist = pkg.get("sdist") or {}
        hashes += [f"{alg}:{value}" for alg, value in (sdist.get("hashes") or {}).items()]
        if not hashes:
            raise LockError(f"package {name} has no hashes")
        lines.append(f"{name}=={version} " + " ".join(f"--hash={h}" for h in hashes))
        packages.append({"name": name, "version": version, "hashes": hashes})
    return Lock("pylock", "".join(line + "\n" for line in lines), tuple(packages))


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
        parts.append('"$py" ' + shlex.join(pip))
    parts.append(shlex.join([f"{ENV_DIR}/bin/python", "-c", probe]))
    return " && ".join(parts)
