"""`rebuildable hash`: sha256sum-compatible lines, JSON, folders, errors."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rebuildable.cli import cli


def invoke(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["hash", *args], input=stdin, catch_exceptions=False)


def files(tmp_path: Path) -> tuple[Path, Path]:
    a = tmp_path / "a.txt"
    a.write_bytes(b"hello\n")
    b = tmp_path / "sub" / "b.bin"
    b.parent.mkdir()
    b.write_bytes(b"\x00" * 3_000_000)
    return a, b


def test_lines_like_sha256sum(tmp_path: Path) -> None:
    a, b = files(tmp_path)
    result = invoke(str(a), str(b))
    assert result.exit_code == 0
    assert result.stdout == (f"{hashlib.sha256(a.read_bytes()).hexdigest()}  {a}\n"
                             f"{hashlib.sha256(b.read_bytes()).hexdigest()}  {b}\n")


def test_several_algorithms_and_tags(tmp_path: Path) -> None:
    a, _ = files(tmp_path)
    data = a.read_bytes()
    result = invoke(str(a), "--alg", "sha512", "--alg", "sha3-256", "--alg", "sha512")
    assert result.stdout.splitlines() == [f"SHA512 ({a}) = {hashlib.sha512(data).hexdigest()}",
                                          f"SHA3-256 ({a}) = {hashlib.sha3_256(data).hexdigest()}"]
    tagged = invoke(str(a), "--tag", "--alg", "blake2b")
    assert tagged.stdout == f"BLAKE2b ({a}) = {hashlib.blake2b(data).hexdigest()}\n"


def test_json_object(tmp_path: Path) -> None:
    a, b = files(tmp_path)
    result = invoke("--format", "json", str(a), str(b), "--alg", "sha256", "--alg", "md5")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == [str(a), str(b)]
    assert data[str(a)] == {"size": 6, "digest": {
        "sha256": hashlib.sha256(b"hello\n").hexdigest(),
        "md5": hashlib.md5(b"hello\n", usedforsecurity=False).hexdigest()}}


def test_folders_need_recursive(tmp_path: Path) -> None:
    a, b = files(tmp_path)
    (tmp_path / "link").symlink_to(a)
    os.mkfifo(tmp_path / "pipe")
    refused = invoke(str(tmp_path))
    assert refused.exit_code == 1
    assert "--recursive" in refused.stderr
    assert refused.stdout == ""
    result = invoke("-r", str(tmp_path))
    assert result.exit_code == 0
    assert [line.split("  ", 1)[1] for line in result.stdout.splitlines()] == [str(a), str(b)]
    assert "skipped" in result.stderr
    assert "link: symbolic link" in result.stderr
    assert "pipe: not a regular file" in result.stderr


def test_a_missing_file_is_an_error_but_the_others_are_hashed(tmp_path: Path) -> None:
    a, _ = files(tmp_path)
    result = invoke(str(tmp_path / "missing"), str(a))
    assert result.exit_code == 1
    assert "missing" in result.stderr
    assert result.stdout.endswith(f"  {a}\n")


def test_a_fifo_named_directly_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    result = invoke(str(tmp_path / "pipe"))
    assert result.exit_code == 1
    assert "not a regular file" in result.stderr


def test_unknown_algorithm_lists_the_supported_ones(tmp_path: Path) -> None:
    a, _ = files(tmp_path)
    result = invoke(str(a), "--alg", "crc32")
    assert result.exit_code == 2
    for name in ("sha256", "sha3-512", "blake2b", "blake3"):
        assert name in result.stderr


def test_unavailable_algorithm_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, _ = files(tmp_path)
    from rebuildable import digest

    monkeypatch.setattr(digest, "available", lambda name: name != "blake3")
    result = invoke(str(a), "--alg", "blake3")
    assert result.exit_code == 2
    assert "rebuildable[blake3]" in result.stderr


def test_standard_input() -> None:
    result = invoke("-", stdin=b"abc")
    assert result.stdout == f"{hashlib.sha256(b'abc').hexdigest()}  -\n"


def test_names_with_newlines_are_escaped_like_coreutils(tmp_path: Path) -> None:
    odd = tmp_path / "a\nb"
    odd.write_bytes(b"x")
    result = invoke(str(odd))
    digest = hashlib.sha256(b"x").hexdigest()
    assert result.stdout == f"\\{digest}  {str(odd).replace(chr(10), chr(92) + 'n')}\n"


def test_paths_are_required() -> None:
    assert invoke().exit_code == 2
