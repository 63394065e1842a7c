"""Reading a Python lock strictly ([REB-24]): every package a name, an ``==`` version and
hashes of the strong algorithms pip checks, nothing else.

The lock comes from the release, so it is hostile until read: pip is never handed its
text. Each requirement is parsed here and written back from the parts that passed, so
that what pip sees holds no option (``-r ../other.txt``, ``--index-url``,
``--find-links``, ``-e``), no URL or path in place of a name (which pip would fetch or
read, whatever ``--no-index`` says), and no line a continuation or a newline inside a
TOML string smuggles in.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LOCK_MAX_BYTES", "Lock", "LockError", "parse_lock"]

#: the largest lock read; real ones are kilobytes, a few megabytes at most
LOCK_MAX_BYTES = 16 * 1024 * 1024

#: PEP 508 names (case-insensitive), with optional extras
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_EXTRAS = re.compile(r"\[\s*(?:[A-Za-z0-9._-]+\s*(?:,\s*[A-Za-z0-9._-]+\s*)*)?\]")
#: a PEP 440 version's characters; pip itself decides whether it is a valid one
_VERSION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.!+_-]*[A-Za-z0-9])?")
_REQUIREMENT = re.compile(
    rf"(?P<name>{_NAME.pattern})\s*(?P<extras>{_EXTRAS.pattern})?\s*==\s*"
    rf"(?P<version>{_VERSION.pattern})\s*(?:;\s*(?P<marker>.*))?", re.DOTALL)
#: an environment marker's characters: names, operators, quoted values; no option,
#: URL, path, comment or escape
_MARKER = re.compile(r"[A-Za-z0-9_.<>=!~'\"() \t*+-]+")
#: pip's hash-checking algorithms and their hex lengths
HASH_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}
#: pip's comment rule: ``#`` at the start or after white space
_COMMENT = re.compile(r"(^|\s+)#.*$")


class LockError(ValueError):
    """A lock file that cannot be turned into hash-checked requirements."""


@dataclass(frozen=True, slots=True)
class Lock:
    kind: str  # "pylock" | "requirements"
    requirements: str  # pip requirements, every one with --hash
    #: what the lock pins: name, version, hashes (for the report)
    packages: tuple[dict[str, Any], ...] = field(default=())


def parse_lock(kind: str, data: bytes) -> Lock:
    """The lock ``data`` of ``kind`` ("pylock" or "requirements"), or :class:`LockError`
    saying what is wrong and where (line numbers are 1-based)."""
    if len(data) > LOCK_MAX_BYTES:
        raise LockError(f"the lock is larger than {LOCK_MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise LockError(f"line {line}: not UTF-8 (byte {exc.start})") from None
    if "\0" in text:
        raise LockError(f"line {text[:text.index(chr(0))].count(chr(10)) + 1}: a NUL byte")
    packages = _from_pylock(text) if kind == "pylock" else _from_requirements(text)
    lines = [_line(p) for p in packages]
    return Lock(kind, "".join(line + "\n" for line in lines), tuple(packages))


def _line(pkg: dict[str, Any]) -> str:
    marker = f" ; {pkg['marker']}" if pkg.get("marker") else ""
    hashes = " ".join(f"--hash={h}" for h in pkg["hashes"])
    return f"{pkg['name']}{pkg.get('extras', '')}=={pkg['version']}{marker} {hashes}"


def _hash(value: str, where: str) -> str:
    alg, sep, hexdigest = value.partition(":")
    if not sep or alg not in HASH_HEX:
        raise LockError(f"{where}: hash {_short(value)} is not sha256:, sha384: or sha512: "
                        "followed by hex (what pip checks)")
    if len(hexdigest) != HASH_HEX[alg] or not re.fullmatch(r"[0-9a-fA-F]+", hexdigest):
        raise LockError(f"{where}: {alg} hash {_short(hexdigest)} is not "
                        f"{HASH_HEX[alg]} hex digits")
    return f"{alg}:{hexdigest.lower()}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _requirement(spec: str, where: str) -> dict[str, Any]:
    match = _REQUIREMENT.fullmatch(spec.strip())
    if match is None:
        first = spec.split(maxsplit=1)[0] if spec.split() else spec
        if "==" not in spec:
            raise LockError(f"{where}: requirement not pinned with ==: {_short(first)}")
        raise LockError(f"{where}: {_short(spec.strip())} is not NAME==VERSION (a URL, a "
                        "path or other syntax in a lock would be fetched or read by pip)")
    marker = (match.group("marker") or "").strip()
    if marker and (not _MARKER.fullmatch(marker)
                   or any(word.startswith("-") for word in marker.split())):
        raise LockError(f"{where}: environment marker {_short(marker)} holds characters "
                        "no marker has")
    out: dict[str, Any] = {"name": match.group("name"), "version": match.group("version")}
    if match.group("extras"):
        out["extras"] = re.sub(r"\s+", "", match.group("extras"))
    if marker:
        out["marker"] = marker
    return out


# -- requirements files ----------------------------------------------------------------


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """pip's reading: physical lines (``str.splitlines``), a trailing backslash joins the
    next one unless the line is a comment, then comments go."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.endswith("\\") and not _COMMENT.match(line):
            if not pending:
                start = number
            pending.append(line.strip("\\"))
            continue
        if pending:
            pending.append(" " + line if _COMMENT.match(line) else line)
            out.append((start, "".join(pending)))
            pending = []
        else:
            out.append((number, line))
    if pending:
        out.append((start, "".join(pending)))
    return [(n, _COMMENT.sub("", line).strip()) for n, line in out]


def _from_requirements(text: str) -> list[dict[str, Any]]:
    packages = []
    for number, line in _logical_lines(text):
        if not line:
            continue
        where = f"line {number}"
        words = line.split()
        at = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
        if at == 0:
            raise LockError(f"{where}: option lines are not allowed in a lock: "
                            f"{_short(words[0])}")
        found = _requirement(" ".join(words[:at]), where)
        hashes = []
        options = words[at:]
        i = 0
        while i < len(options):
            word = options[i]
            if word.startswith("--hash="):
                value = word[len("--hash="):]
            elif word == "--hash" and i + 1 < len(options):
                i += 1
                value = options[i]
            else:
                raise LockError(f"{where}: only --hash may follow a requirement in a lock, "
                                f"not {_short(word)}")
            hashes.append(_hash(value, where))
            i += 1
        if not hashes:
            raise LockError(f"{where}: requirement without --hash: {_short(words[0])}")
        packages.append({**found, "hashes": hashes})
    return packages


# -- PEP 751 ---------------------------------------------------------------------------


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LockError(f"{where} is not a table")
    return value


def _array(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise LockError(f"{where} is not an array")
    return value


def _from_pylock(text: str) -> list[dict[str, Any]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(f"not TOML: {exc}") from None
    except ValueError as exc:  # an integer of more digits than int() converts
        raise LockError(f"not TOML this reader takes: {exc}") from None
    except RecursionError:  # tomllib descends once per nested array or table
        raise LockError("not TOML this reader takes: nested too deeply") from None
    version = doc.get("lock-version")
    if not isinstance(version, str) or not re.fullmatch(r"1(?:\.[0-9]+)*", version):
        raise LockError("lock-version 1.x is required (PEP 751)")
    packages = []
    for n, raw in enumerate(_array(doc.get("packages", []), "packages"), start=1):
        where = f"packages[{n}]"
        pkg = _table(raw, where)
        name, version = pkg.get("name"), pkg.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            raise LockError(f"{where}: every package needs a name and a version")
        found = _requirement(f"{name}=={version}", f"{where} ({_short(name)})")
        marker = pkg.get("marker")
        if marker is not None:
            if not isinstance(marker, str):
                raise LockError(f"{where}.marker is not a string")
            found = _requirement(f"{name}=={version}; {marker}", f"{where} ({_short(name)})")
        found["hashes"] = _wheel_hashes(pkg, where, name)
        packages.append(found)
    return packages


def _wheel_hashes(pkg: dict[str, Any], where: str, name: str) -> list[str]:
    """The hashes of the package's wheels; a package with only a source distribution (or
    a VCS, directory or archive source) is refused: a rebuild installs wheels only, and
    building an sdist would run code the lock does not pin."""
    wheels = _array(pkg.get("wheels", []), f"{where}.wheels")
    if not wheels:
        source = next((k for k in ("sdist", "vcs", "directory", "archive") if k in pkg), None)
        raise LockError(f"{where}: package {_short(name)} has no wheel"
                        + (f", only a {source} source: a rebuild installs wheels only, "
                           "never builds one" if source else ""))
    hashes = []
    for m, raw in enumerate(wheels, start=1):
        wheel_at = f"{where}.wheels[{m}]"
        wheel = _table(raw, wheel_at)
        for key in ("name", "path"):
            value = wheel.get(key)
            if value is not None and not _plain_wheel(value, key):
                raise LockError(f"{wheel_at}.{key} {_short(value)} is not a wheel file name "
                                "inside the wheel folder")
        for alg, value in _table(wheel.get("hashes", {}), f"{wheel_at}.hashes").items():
            if alg not in HASH_HEX:  # PEP 751 allows any; pip checks these only
                continue
            if not isinstance(value, str):
                raise LockError(f"{wheel_at}.hashes.{alg} is not a string")
            hashes.append(_hash(f"{alg}:{value}", wheel_at))
    if not hashes:
        raise LockError(f"{where}: package {_short(name)} has no sha256, sha384 or sha512 "
                        "hash of a wheel")
    return hashes


def _plain_wheel(value: Any, key: str) -> bool:
    """A wheel's name (a file name) or path (relative, no ``..``, as PEP 751 allows)."""
    if not isinstance(value, str) or not value.endswith(".whl") or "\0" in value \
            or "\\" in value:
        return False
    parts = value.split("/")
    if key == "name":
        return len(parts) == 1
    return not value.startswith("/") and ".." not in parts and not re.match(r"[A-Za-z]:", value)
