"""The golden-report cases: which release, which options, which exit code.

Shared by ``tests/test_cli_golden.py`` (which compares) and ``regenerate.py`` (which
rewrites ``expected/``). Every case runs ``rebuildable validate`` through click's
runner in a scratch copy of ``releases/`` (archives are built there, byte for byte
the same each time), with the scratch folder as the working directory so that
messages hold relative paths only.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from rebuildable.cli import cli

HERE = Path(__file__).resolve().parent
RELEASES = HERE / "releases"
EXPECTED = HERE / "expected"
#: what the tool's version is replaced with, so that a version bump keeps goldens fresh
VERSION_PLACEHOLDER = "<version>"

EXTENSIONS = {"json": "json", "text": "txt", "sarif": "sarif"}


@dataclass(frozen=True)
class Case:
    name: str
    target: str
    exit_code: int
    formats: tuple[str, ...] = ("json", "text")
    args: tuple[str, ...] = ()


CASES: tuple[Case, ...] = (
    Case("complete", "complete", 0, ("json", "text", "sarif")),
    Case("complete-manifest-path", "complete/rebuild.yaml", 0, ("json",)),
    Case("complete-tar-gz", "complete.tar.gz", 0, ("json",)),
    Case("complete-zip", "complete.zip", 0, ("json",)),
    Case("hostile-tar", "hostile.tar", 1, ("json", "text")),
    Case("broken", "broken", 1, ("json", "text", "sarif")),
    Case("yaml-surprises", "yaml-surprises", 1),
    Case("syntax-error", "syntax-error", 1),
    Case("warnings-only", "warnings-only", 0),
    Case("warnings-only-strict", "warnings-only", 1, args=("--strict",)),
    Case("no-manifest", "no-manifest", 2),
    Case("not-found", "does-not-exist", 2),
)


def expected_path(case: Case, fmt: str) -> Path:
    return EXPECTED / f"{case.name}.{EXTENSIONS[fmt]}"


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def build_archives(workdir: Path) -> None:
    """``complete.tar.gz``, ``complete.zip`` and ``hostile.tar`` from ``complete/``,
    reproducibly."""
    source = workdir / "complete"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in _files(source):
            info = tarfile.TarInfo(path.relative_to(source).as_posix())
            data = path.read_bytes()
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    with gzip.GzipFile(workdir / "complete.tar.gz", "wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    # The complete release plus a zip-slip member and a link out of the release.
    with tarfile.open(workdir / "hostile.tar", "w", format=tarfile.PAX_FORMAT) as tar:
        for path in _files(source):
            info = tarfile.TarInfo(path.relative_to(source).as_posix())
            data = path.read_bytes()
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
        evil = tarfile.TarInfo("../escaped.txt")
        evil.size, evil.mtime = 4, 0
        tar.addfile(evil, io.BytesIO(b"evil"))
        link = tarfile.TarInfo("passwd")
        link.type, link.linkname, link.mtime = tarfile.SYMTYPE, "/etc/passwd", 0
        tar.addfile(link)
    with zipfile.ZipFile(workdir / "complete.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for path in _files(source):
            info_z = zipfile.ZipInfo(path.relative_to(source).as_posix(), (1980, 1, 1, 0, 0, 0))
            zf.writestr(info_z, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)


@contextmanager
def scratch(parent: Path) -> Iterator[Path]:
    """A copy of ``releases/`` plus the archives, as the working directory."""
    workdir = parent / "releases"
    shutil.copytree(RELEASES, workdir, symlinks=True)
    build_archives(workdir)
    old = Path.cwd()
    os.chdir(workdir)
    try:
        yield workdir
    finally:
        os.chdir(old)


def normalize(text: str, fmt: str) -> str:
    """Replace the tool's version, the one value that changes with every release."""
    if fmt == "json":
        data = json.loads(text)
        data["tool"]["version"] = VERSION_PLACEHOLDER
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        data = json.loads(text)
        for run in data["runs"]:
            driver = run["tool"]["driver"]
            driver["version"] = driver["semanticVersion"] = VERSION_PLACEHOLDER
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return text


def run_case(case: Case, fmt: str) -> tuple[int, str, str]:
    """(exit code, normalised stdout, stderr) of one case in the current directory."""
    result = CliRunner().invoke(
        cli, ["validate", case.target, "--format", fmt, "--no-color", *case.args],
        catch_exceptions=False, env={"NO_COLOR": "1"})
    return result.exit_code, normalize(result.stdout, fmt), result.stderr
