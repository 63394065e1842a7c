"""The conformance tooling: refresh.py keeps digests fresh without touching the quirks a
vector is about; build_archives.py rebuilds the committed archives byte for byte."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.support.paths import ROOT

CONFORMANCE = ROOT / "spec" / "conformance"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, CONFORMANCE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CONFORMANCE / script), *args],
                          capture_output=True, text=True, check=False)


def test_committed_vectors_are_fresh() -> None:
    result = _run("refresh.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_committed_archives_are_reproducible() -> None:
    result = _run("build_archives.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_refresh_fixes_stale_values_and_keeps_quirks(tmp_path: Path) -> None:
    refresh = _module("refresh")
    (tmp_path / "a.txt").write_bytes(b"alpha\n")
    (tmp_path / "b.txt").write_bytes(b"beta\n")
    (tmp_path / "c.txt").write_bytes(b"gamma\n")
    zeros = "0" * 64
    text = (
        "\ufeffspec: rebuildable/0.1\nname: no\nversion: 1.10\nartifacts:\n"
        f'  - {{id: a, path: a.txt, kind: other, digest: {{sha256: "{zeros}"}}, size: 0}}\n'
        f"  - id: b\n    path: b.txt\n    kind: other\n    digest: {{sha256: {'1' * 64}}}\n"
        "    size: 0\n    x-conformance-keep: true\n"
        f'  - id: c\n    path: c.txt\n    kind: other\n    digest: {{sha256: "{zeros}"}}\n'
        "    size: 99\n    x-conformance-keep: [size]\n"
        f'  - id: up\n    path: ../a.txt\n    kind: other\n    digest: {{sha256: "{zeros}"}}\n'
        f'  - id: ext\n    uri: https://example.org/x\n    kind: other\n'
        f'    digest: {{sha256: "{zeros}", md5: "abc"}}\n'
    )
    manifest = tmp_path / "rebuild.yaml"
    manifest.write_bytes(text.encode())
    new, changes = refresh.refresh_manifest(tmp_path, manifest)
    assert sorted(changes) == ["a.txt: sha256", "a.txt: size", "c.txt: sha256"]
    out = new.decode("utf-8")
    assert out.startswith("\ufeff")  # the BOM a vector may be about stays
    assert "name: no\nversion: 1.10\n" in out  # unquoted scalars stay unquoted
    alpha = _sha(b"alpha\n")
    assert f'{{sha256: "{alpha}"}}, size: 6}}' in out  # flow style kept
    assert "1" * 64 in out  # kept artifact untouched
    assert _sha(b"gamma\n") in out
    assert "size: 99" in out  # kept field untouched
    assert out.count(zeros) == 2  # the unsafe path and the external artifact


def test_refresh_never_reads_outside_the_release(tmp_path: Path) -> None:
    refresh = _module("refresh")
    release = tmp_path / "release"
    release.mkdir()
    (tmp_path / "secret.txt").write_bytes(b"secret\n")
    assert refresh._read_inside(release, "../secret.txt") is None
    assert refresh._read_inside(release, "/etc/passwd") is None
    assert refresh._read_inside(release, "x" * 300) is None
    (release / "link").symlink_to(tmp_path / "secret.txt")
    assert refresh._read_inside(release, "link") is None


def test_build_archives_is_deterministic() -> None:
    build = _module("build_archives")
    for _name, (_filename, make) in build.ARCHIVES.items():
        assert make() == make()
