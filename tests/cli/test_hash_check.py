"""`rebuildable hash --check`: the same lines, warnings and exit codes as `sha256sum -c`."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rebuildable.cli import cli


def invoke(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["hash", *args], input=stdin, catch_exceptions=False)


@pytest.fixture
def listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("a").write_bytes(b"a\n")
    Path("b").write_bytes(b"b\n")
    sums = "".join(f"{hashlib.sha256(Path(n).read_bytes()).hexdigest()}  {n}\n" for n in "ab")
    Path("S").write_text(sums + "\n# a comment\nnonsense\n")
    Path("b").write_bytes(b"b changed\n")
    return tmp_path / "S"


def test_ok_failed_and_warnings(listing: Path) -> None:
    result = invoke("--check", "S")
    assert result.exit_code == 1
    assert result.stdout == "a: OK\nb: FAILED\n"
    assert result.stderr.splitlines() == [
        "rebuildable: WARNING: 1 line is improperly formatted",
        "rebuildable: WARNING: 1 computed checksum did NOT match"]


def test_quiet_status_and_strict(listing: Path) -> None:
    quiet = invoke("--check", "--quiet", "S")
    assert (quiet.exit_code, quiet.stdout) == (1, "b: FAILED\n")
    status = invoke("--check", "--status", "S")
    assert (status.exit_code, status.stdout, status.stderr) == (1, "", "")
    Path("b").write_bytes(b"b\n")
    assert invoke("--check", "--status", "S").exit_code == 0
    assert invoke("--check", "--strict", "--status", "S").exit_code == 1
    warned = invoke("--check", "--warn", "--quiet", "S")
    assert "S: 5: improperly formatted sha256 checksum line" in warned.stderr


def test_missing_files(listing: Path) -> None:
    digest = hashlib.sha256(b"a\n").hexdigest()
    Path("M").write_text(f"{digest}  missing\n")
    result = invoke("-c", "M")
    assert result.exit_code == 1
    assert result.stdout == "missing: FAILED open or read\n"
    assert "1 listed file could not be read" in result.stderr
    ignored = invoke("-c", "--ignore-missing", "M")
    assert ignored.exit_code == 1
    assert "M: no file was verified" in ignored.stderr
    Path("M").write_text(f"{digest}  missing\n{digest}  a\n")
    assert invoke("-c", "--ignore-missing", "M").stdout == "a: OK\n"


def test_no_lines_tags_stdin_and_other_algorithms(listing: Path) -> None:
    Path("J").write_text("junk\n")
    junk = invoke("-c", "J")
    assert junk.exit_code == 1
    assert "no properly formatted checksum lines" in junk.stderr
    data = Path("a").read_bytes()
    tagged = f"SHA512 (a) = {hashlib.sha512(data).hexdigest()}\n"
    assert invoke("-c", "-", stdin=tagged.encode()).stdout == "a: OK\n"
    b2 = f"{hashlib.blake2b(data).hexdigest()}  a\n"
    assert invoke("-c", "--alg", "blake2b", "-", stdin=b2.encode()).stdout == "a: OK\n"
    # a sha256-length line read as blake2b is malformed, as b2sum would say
    assert invoke("-c", "--alg", "blake2b", "S").exit_code == 1


def test_options_that_need_check(listing: Path) -> None:
    assert invoke("--quiet", "a").exit_code == 2
    assert invoke("-c", "--format", "json", "S").exit_code == 2


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not here")
def test_same_as_coreutils(listing: Path) -> None:
    Path("odd name\\x").write_bytes(b"odd")
    extra = subprocess.run(["sha256sum", "odd name\\x"], capture_output=True, check=True).stdout
    Path("S").write_bytes(Path("S").read_bytes() + extra)
    env = {**os.environ, "LC_ALL": "C"}
    for flags in ([], ["--quiet"], ["--status"], ["--strict"]):
        real = subprocess.run(["sha256sum", "-c", *flags, "S"], capture_output=True, env=env,
                              check=False)
        ours = invoke("--check", *flags, "S")
        assert ours.exit_code == real.returncode, flags
        assert ours.stdout == real.stdout.decode(), flags
        assert ours.stderr.replace("rebuildable:", "sha256sum:") == real.stderr.decode(), flags
