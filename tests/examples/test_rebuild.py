"""Every example release that has steps rebuilds green, from its declared inputs alone.

Steps name ``python3``; like a user who activated the project's environment, the test
puts this interpreter's folder first on PATH so that the examples find the same
Python (and numpy, when an example needs it).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tomllib
from pathlib import Path

import pytest

from rebuildable.api import rebuild
from rebuildable.findings import Severity
from rebuildable.load import load_manifest
from rebuildable.model import MANIFEST_NAMES, Manifest
from rebuildable.rebuild import RebuildOptions
from rebuildable.rebuild.runner import probe_isolation
from tests.support.paths import EXAMPLES


def _with_steps() -> list[Path]:
    out = []
    for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()) if EXAMPLES.is_dir() else []:
        manifest = next((folder / n for n in MANIFEST_NAMES if (folder / n).is_file()), None)
        if manifest is None:
            continue
        loaded = load_manifest(manifest.read_bytes(), manifest.name)
        if loaded.document is not None and Manifest.from_data(loaded.document.data).steps:
            out.append(folder)
    return out


def _tree(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def test_there_are_examples_with_steps() -> None:
    assert len(_with_steps()) >= 4


@pytest.mark.parametrize("folder", _with_steps(), ids=lambda p: p.name)
def test_example_rebuilds(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", os.defpath))
    before = _tree(folder)
    report = rebuild(folder, RebuildOptions(timeout=120))
    problems = [f"{f.code}: {f.message}" for f in report.findings
                if f.severity is Severity.ERROR]
    assert report.ok, "\n".join(problems)
    outputs = [o for s in report.to_dict()["rebuild"]["steps"] for o in s["outputs"]]
    assert outputs
    assert all(o["status"] in ("reproduced", "equivalent") for o in outputs)
    assert _tree(folder) == before


def test_float_noise_passes_only_by_its_numeric_policy() -> None:
    folder = EXAMPLES / "ml-float-noise"
    if not folder.is_dir():
        pytest.skip("example not present")
    report = rebuild(folder, RebuildOptions(timeout=120))
    statuses = {o["id"]: o["status"] for s in report.to_dict()["rebuild"]["steps"]
                for o in s["outputs"]}
    assert "equivalent" in statuses.values(), statuses
    equivalent = next(f for f in report.findings if f.code == "rebuild.output-equivalent")
    assert equivalent.data["max_abs_diff"] > 0


LOCKED = ("software-hello", "ml-tiny-sentiment")


@pytest.mark.parametrize("name", LOCKED)
def test_locked_examples_rebuild_in_their_environment_under_bubblewrap(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step of these examples names a PEP 751 lock as its `environment`; the rebuild
    builds it in the sandbox from a wheel folder (no package index), and the steps run in
    a virtual environment that holds nothing but the interpreter ([REB-24])."""
    folder = EXAMPLES / name
    try:
        probe_isolation("bwrap")
    except ValueError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(str(exc))
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", os.defpath))
    loaded = load_manifest((folder / "rebuild.yaml").read_bytes(), "rebuild.yaml")
    assert loaded.document is not None
    manifest = Manifest.from_data(loaded.document.data)
    locks = {s.environment for s in manifest.steps}
    assert len(locks) == 1
    lock = manifest.artifact_index()[locks.pop() or ""]
    assert lock.kind == "environment"
    assert lock.path == "pylock.toml"
    assert tomllib.loads((folder / lock.path).read_text("utf-8"))["lock-version"] == "1.0"
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    report = rebuild(folder, RebuildOptions(timeout=120, isolation="bwrap", wheels=wheels))
    assert report.ok, [f"{f.code}: {f.message}" for f in report.findings
                       if f.severity is Severity.ERROR]
    for step in report.to_dict()["rebuild"]["steps"]:
        assert step["status"] == "reproduced"
        assert step["isolation"]["method"] == "bwrap"
        env = step["environment"]
        assert env["lock"] == "pylock"
        assert env["source"] == f"wheels:{wheels}"
        assert env["packages"] == []
        assert env["installed"] == []  # not even the caller's packages: a clean venv
        assert env["interpreter"].startswith("CPython ")
