"""The conformance harness: runs one vector (spec/conformance/README.md) against rebuildable.

What a vector says is defined by ``schemas/vector.schema.json`` and the README; this
module maps those names onto this implementation (``Options``, ``ArchiveLimits``,
``RebuildOptions``) and brings about the vector's ``setup`` and ``simulate`` conditions.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from jsonschema import Draft202012Validator

from rebuildable import digest
from rebuildable.archive import ArchiveLimits
from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.findings import Finding, Severity
from rebuildable.load import Limits
from rebuildable.release import FolderRelease, Release, open_release
from rebuildable.report import Report

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "conformance" / "vectors"
SPEC = ROOT / "spec"
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
VECTOR_SCHEMA = ROOT / "schemas" / "vector.schema.json"


def vector_dirs() -> list[Path]:
    if not VECTORS.is_dir():
        return []
    return sorted(p for p in VECTORS.iterdir() if (p / "vector.json").is_file())


def remote_vector_dirs() -> list[Path]:
    """The remote-integrity vectors (spec/remote.md), run by test_remote_vectors.py."""
    base = VECTORS.parent / "remote"
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if (p / "vector.json").is_file())


def load_vector(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "vector.json").read_text("utf-8"))
    return data


def format_problems(vector: dict[str, Any]) -> list[str]:
    schema = json.loads(VECTOR_SCHEMA.read_text("utf-8"))
    return [f"{'/'.join(map(str, e.absolute_path)) or '/'}: {e.message}"
            for e in Draft202012Validator(schema).iter_errors(vector)]


def release_target(folder: Path, vector: dict[str, Any] | None = None) -> Path:
    """What the validator is given: ``target``, else ``release/`` or the one archive."""
    if vector is not None and "target" in vector:
        return folder / str(vector["target"])
    candidates = [folder / "release"] if (folder / "release").is_dir() else []
    candidates += [p for p in folder.iterdir()
                   if p.is_file() and p.name.startswith("release.")
                   and p.name.endswith(ARCHIVE_SUFFIXES)]
    assert len(candidates) == 1, f"{folder.name}: need exactly one release/ or release.<archive>"
    return candidates[0]


# -- options: the spec's names to this implementation's -------------------------------

def _paths(folder: Path, value: list[str]) -> tuple[Path, ...]:
    return tuple(folder / v for v in value)


def build_options(folder: Path, raw: dict[str, Any]) -> Options:
    """Options from a vector's ``options`` (already checked against the vector schema)."""
    kwargs: dict[str, Any] = {}
    if "strict" in raw:
        kwargs["strict"] = raw["strict"]
    if "limits" in raw:
        kwargs["limits"] = Limits(**raw["limits"])
    if "archive_limits" in raw:
        kwargs["archive_limits"] = ArchiveLimits(**raw["archive_limits"])
    if "hash_files" in raw:
        kwargs["hash_files"] = raw["hash_files"]
    if "detail" in raw:
        kwargs["detail"] = raw["detail"]
    if "keys" in raw:
        kwargs["keys"] = tuple(p.read_bytes() for p in _paths(folder, raw["keys"]))
    if "threshold" in raw:
        kwargs["threshold"] = raw["threshold"]
    if "trust" in raw:
        kwargs["trust"] = folder / raw["trust"]
    if "require" in raw:
        kwargs["require"] = frozenset(raw["require"])
    if "upstream_dirs" in raw:
        kwargs["upstream_dirs"] = _paths(folder, raw["upstream_dirs"])
    for name in ("identity", "issuer", "sigstore_instance"):  # keyless (signatures.md §6a)
        if name in raw:
            kwargs[name] = raw[name]
    return Options(**kwargs)


# -- setup and simulate ---------------------------------------------------------------

def apply_setup(release: Path, ops: list[dict[str, str]]) -> None:
    for op in ops:
        path = release / op["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if op["op"] == "symlink":
            path.symlink_to(op["target"])
        elif op["op"] == "hardlink":
            os.link(release / op["target"], path)
        else:
            os.mkfifo(path)


@contextmanager
def algorithms_unavailable(names: list[str]) -> Iterator[None]:
    """As if the library behind each algorithm were not installed."""
    saved = {n: digest.ALGORITHMS[n] for n in names}
    try:
        for name, alg in saved.items():
            digest.ALGORITHMS[name] = digest.Algorithm(alg.name, alg.hex_len, alg.strong, None)
        yield
    finally:
        digest.ALGORITHMS.update(saved)


#: equivalence policy -> the optional libraries it needs (rebuild.md)
COMPARATOR_LIBRARIES = {"numeric": ("numpy",), "image": ("PIL", "numpy")}


@contextmanager
def comparators_unavailable(policies: list[str]) -> Iterator[None]:
    """As if the libraries behind these equivalence policies were not installed."""
    with modules_unavailable({m for p in policies for m in COMPARATOR_LIBRARIES[p]}):
        yield


@contextmanager
def modules_unavailable(names: set[str]) -> Iterator[None]:
    """An import of a module whose sys.modules entry is None raises ImportError."""
    saved = {n: m for n, m in sys.modules.items()
             if n in names or n.split(".")[0] in names}
    try:
        for name in names:
            sys.modules[name] = None  # type: ignore[assignment]
        yield
    finally:
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


#: optional capability (vector ``requires`` / ``simulate.unavailable_libraries``) -> the
#: modules behind it
CAPABILITY_LIBRARIES = {"c2pa": ("c2pa",)}


@contextmanager
def libraries_unavailable(capabilities: list[str]) -> Iterator[None]:
    """As if the libraries behind these optional capabilities were not installed."""
    with modules_unavailable({m for c in capabilities for m in CAPABILITY_LIBRARIES[c]}):
        yield


def missing_capabilities(vector: dict[str, Any]) -> list[str]:
    """The capabilities a vector ``requires`` whose libraries do not import here."""
    missing = []
    for capability in vector.get("requires", []):
        for module in CAPABILITY_LIBRARIES[capability]:
            try:
                importlib.import_module(module)
            except (ImportError, OSError):
                missing.append(capability)
                break
    return missing


class ChangingRelease(FolderRelease):
    """A folder release whose named files grow by one byte while they are read."""

    def __init__(self, root: Path, paths: list[str]) -> None:
        probe = open_release(root)
        assert isinstance(probe, FolderRelease), "change_while_reading needs a folder release"
        super().__init__(root, probe.manifest_name, str(root))
        probe.close()
        self._pending = set(paths)

    def open(self, path: str) -> BinaryIO:
        fh = super().open(path)
        if path not in self._pending:
            return fh
        self._pending.discard(path)
        return io.BufferedReader(_Growing(fh, self.root / path))


class _Growing(io.RawIOBase):
    def __init__(self, inner: BinaryIO, target: Path) -> None:
        super().__init__()
        self._inner = inner
        self._target = target
        self._grown = False

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._inner.fileno()

    def readinto(self, buffer: Any) -> int:
        if not self._grown:
            self._grown = True  # a writer appends once, after the open, mid-read
            with self._target.open("ab") as out:
                out.write(b"x")
        data = self._inner.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


# -- running ----------------------------------------------------------------------------

Runner = Callable[[Path | Release, Options, dict[str, Any]], Report]


def _run_validate(target: Path | Release, options: Options, vector: dict[str, Any]) -> Report:
    return validate(target, options)


def _run_rebuild(target: Path | Release, options: Options, vector: dict[str, Any]) -> Report:
    """``"command": "rebuild"``: the vector's ``"rebuild"`` object sets the rebuild options."""
    from rebuildable.api import rebuild
    from rebuildable.rebuild import RebuildOptions

    assert isinstance(target, Path), "rebuild vectors name a folder or archive"
    extra = dict(vector.get("rebuild", {}))
    # Vectors' steps are tiny shell commands; 60 s bounds a broken one.
    extra.setdefault("timeout", 60.0)
    return rebuild(target, RebuildOptions(strict=options.strict,
                                          upstream_dirs=options.upstream_dirs, **extra))


def _run_verify(target: Path | Release, options: Options, vector: dict[str, Any]) -> Report:
    """``"command": "verify"``: the signature check alone."""
    from rebuildable.api import verify

    assert isinstance(target, Path), "verify vectors name a folder or archive"
    return verify(target, options)


COMMANDS: dict[str, Runner] = {"validate": _run_validate, "rebuild": _run_rebuild,
                               "verify": _run_verify}


def run_vector(folder: Path, work: Path) -> Report:
    """Run the vector in ``folder``; ``work`` is an empty folder for setup copies."""
    vector = load_vector(folder)
    missing = missing_capabilities(vector)
    if missing:
        message = f"{folder.name} needs {', '.join(missing)}, which is not installed here"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # CI installs every extra: a skip there would hide a gap
        pytest.skip(message)
    runner = COMMANDS[vector.get("command", "validate")]
    options = build_options(folder, vector.get("options", {}))
    target: Path | Release = release_target(folder, vector)
    simulate = vector.get("simulate", {})
    if vector.get("setup") or simulate.get("change_while_reading"):
        assert isinstance(target, Path), "setup needs a release/ folder"
        assert target.is_dir(), "setup needs a release/ folder"
        copy = work / "release"
        shutil.copytree(target, copy, symlinks=True)
        apply_setup(copy, vector.get("setup", []))
        target = copy
    with ExitStack() as stack:
        stack.enter_context(algorithms_unavailable(simulate.get("unavailable_algorithms", [])))
        stack.enter_context(comparators_unavailable(simulate.get("unavailable_comparators", [])))
        stack.enter_context(libraries_unavailable(simulate.get("unavailable_libraries", [])))
        if simulate.get("change_while_reading"):
            assert isinstance(target, Path)
            target = stack.enter_context(ChangingRelease(target,
                                                         simulate["change_while_reading"]))
        return runner(target, options, vector)


# -- comparing --------------------------------------------------------------------------

def judged_codes(report: Report) -> list[str]:
    return sorted({f.code for f in report.findings
                   if f.severity in (Severity.ERROR, Severity.WARNING)})


_ABSENT = object()


def _selects(entry: dict[str, Any], f: Finding) -> bool:
    if f.code != entry["code"]:
        return False
    if "pointer" in entry and (f.location.pointer if f.location else None) != entry["pointer"]:
        return False
    if "severity" in entry and f.severity.value != entry["severity"]:
        return False
    if any(f.data.get(k, _ABSENT) != v for k, v in entry.get("data", {}).items()):
        return False
    return all(getattr(f, k) == entry[k] for k in ("artifact", "step", "upstream") if k in entry)


def findings_problems(report: Report, entries: list[dict[str, Any]]) -> list[str]:
    """Why ``expect.findings`` does not hold for ``report`` (empty when it does)."""
    problems = []
    for entry in entries:
        selected = sum(1 for f in report.findings if _selects(entry, f))
        want = entry.get("count")
        if (want is None and selected == 0) or (want is not None and selected != want):
            problems.append(f"{entry}: {selected} finding(s) selected, "
                            f"want {'at least 1' if want is None else want}")
    return problems
