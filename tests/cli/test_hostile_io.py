"""The commands around validate (init, update, hash, sign, keygen, verify, export, import)
given hostile names, devices and places to write, as an outside reviewer tries them:
no crash, no forged output line, no write outside the place named, nothing replaced
that is not a regular file."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import tarfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rebuildable.cli import cli
from tests.support.paths import ROOT

EXAMPLE = ROOT / "examples" / "generic-notes"
NEEDS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")


def run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def release(where: Path) -> Path:
    shutil.copytree(EXAMPLE, where)
    return where


def keypair(tmp_path: Path) -> Path:
    key = tmp_path / "signing" / "k"
    key.parent.mkdir()
    assert run("keygen", str(key)).exit_code == 0
    return key


def null_device(path: Path) -> Path:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the null device's numbers
    return path


def forged(text: str) -> bool:
    """Whether a name's line break made a line of its own (it starts with INJ)."""
    return any(line.startswith("INJ") for line in text.splitlines())


# -- names that try to forge output -------------------------------------------------------

def test_a_line_break_in_a_name_never_starts_a_line_of_its_own(tmp_path: Path) -> None:
    rel = release(tmp_path / "x\nINJ forged")
    key = keypair(tmp_path)
    for args in (["hash", str(rel)], ["update", str(rel), "--check"],
                 ["sign", str(rel), "--key", str(key)], ["update", str(rel)]):
        result = run(*args)
        assert "Traceback" not in result.stderr
        assert not forged(result.stdout), (args, result.stdout)
        assert not forged(result.stderr), (args, result.stderr)


def test_sign_escapes_terminal_sequences_in_the_folder_name(tmp_path: Path) -> None:
    rel = release(tmp_path / "esc\x1b[2Jclear")
    result = run("sign", str(rel), "--key", str(keypair(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "\\x1b[2J" in result.stdout


def test_json_from_a_folder_whose_name_is_not_utf8_is_valid_utf8(tmp_path: Path) -> None:
    rel = release(tmp_path / os.fsdecode(b"bad\xff"))
    for args in (["update", str(rel), "--check", "--format", "json"],
                 ["hash", "-r", str(rel), "--format", "json"]):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout_bytes.decode("utf-8")), args


def test_init_drafts_a_folder_whose_name_is_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / os.fsdecode(b"bad\xff")
    folder.mkdir()
    (folder / "a.txt").write_text("a\n")
    result = run("init", str(folder))
    assert result.exit_code == 0, result.stderr
    assert "name: bad\ufffd" in (folder / "rebuild.yaml").read_text(encoding="utf-8")


def test_names_too_long_for_the_system_are_usage_errors(tmp_path: Path) -> None:
    long = str(tmp_path / ("n" * 300))
    key = keypair(tmp_path)
    for args in (["validate", long], ["update", long], ["sign", long, "--key", str(key)],
                 ["export", long, "--to", "in-toto"], ["verify", long, "--key", f"{key}.pub"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert "internal error" not in result.stderr
        assert "File name too long" in result.stderr


# -- sign ------------------------------------------------------------------------------------

def test_sign_format_sarif_writes_a_sarif_log(tmp_path: Path) -> None:
    rel = release(tmp_path / "rel")
    result = run("sign", str(rel), "--key", str(keypair(tmp_path)), "--format", "sarif")
    assert result.exit_code == 0, result.stderr
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    assert log["runs"][0]["tool"]["driver"]["name"] == "rebuildable"
    assert "signed" in result.stderr


# -- update ----------------------------------------------------------------------------------

def test_update_shows_a_size_that_was_not_an_integer(tmp_path: Path) -> None:
    rel = tmp_path / "rel"
    rel.mkdir()
    (rel / "a.txt").write_bytes(b"hello\n")
    (rel / "rebuild.yaml").write_text(
        "spec: rebuildable/0.1\nname: d\nversion: '1'\nartifacts:\n"
        f"  - id: a\n    path: a.txt\n    digest: {{sha256: {'0' * 64}}}\n    size: 1.5\n")
    result = run("update", str(rel))
    assert result.exit_code == 0, result.stderr
    assert "size: 1.5 -> 6" in result.stdout


def test_update_refreshes_a_digest_written_as_a_block_scalar(tmp_path: Path) -> None:
    rel = tmp_path / "rel"
    rel.mkdir()
    (rel / "a.txt").write_bytes(b"hello\n")
    (rel / "rebuild.yaml").write_text(
        "spec: rebuildable/0.1\nname: d\nversion: '1'\nartifacts:\n"
        f"  - id: a\n    path: a.txt\n    digest:\n      sha256: >-\n        {'0' * 64}\n"
        "    size: 6\n")
    result = run("update", str(rel))
    assert result.exit_code == 0, result.stderr
    assert run("update", str(rel), "--check").exit_code == 0
    assert "    size: 6\n" in (rel / "rebuild.yaml").read_text()


# -- export -o -------------------------------------------------------------------------------

def test_export_never_overwrites_what_it_reads(tmp_path: Path) -> None:
    rel = release(tmp_path / "rel")
    manifest = (rel / "rebuild.yaml").read_bytes()
    archive = tmp_path / "rel.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(rel, ".")
    packed = archive.read_bytes()
    manifest_path = rel / "rebuild.yaml"
    for target, output in ((rel, manifest_path), (manifest_path, manifest_path),
                           (archive, archive)):
        result = run("export", str(target), "--to", "in-toto", "-o", str(output))
        assert result.exit_code == 2, result.stderr
        assert "own" in result.stderr
    assert (rel / "rebuild.yaml").read_bytes() == manifest
    assert archive.read_bytes() == packed


def test_export_to_dash_is_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("export", str(release(tmp_path / "rel")), "--to", "in-toto", "-o", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["_type"] == "https://in-toto.io/Statement/v1"
    assert not (tmp_path / "-").exists()


def test_export_writes_into_a_pipe_without_replacing_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("export", str(release(tmp_path / "rel")), "--to", "in-toto", "-o", str(fifo))
    reader.join(30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])["_type"] == "https://in-toto.io/Statement/v1"


@NEEDS_ROOT
def test_export_into_a_device_leaves_the_device(tmp_path: Path) -> None:
    device = null_device(tmp_path / "null")
    result = run("export", str(release(tmp_path / "rel")), "--to", "in-toto", "-o", str(device))
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)


# -- keygen ----------------------------------------------------------------------------------

@NEEDS_ROOT
def test_keygen_force_never_replaces_a_device(tmp_path: Path) -> None:
    device = null_device(tmp_path / "null")
    result = run("keygen", str(device), "--force")
    assert result.exit_code == 2
    assert "not a regular file" in result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert not (tmp_path / "null.pub").exists()


def test_keygen_force_writes_neither_key_when_one_place_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "k"
    (tmp_path / "k.pub").mkdir()
    result = run("keygen", str(key), "--force")
    assert result.exit_code == 2
    assert "k.pub: a folder" in result.stderr
    assert not key.exists()
    assert not list(tmp_path.glob(".k*"))


# -- inputs that never end -------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["verify", ".", "--key", "/dev/zero"],
    ["hash", "--check", "/dev/zero"],
    ["import", "sha256sums", "/dev/zero", "--dry-run"],
    ["import", "model-card", "/dev/zero", "--dry-run"],
    ["import", "model-signing", "/dev/zero", "--dry-run"],
])
def test_a_device_named_as_an_input_is_read_bounded(args: list[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(release(tmp_path / "rel"))
    result = run(*args)
    assert result.exit_code in (1, 2)
    assert "larger than" in result.stderr


def test_a_trust_policy_key_path_to_a_device_is_read_bounded(tmp_path: Path) -> None:
    rel = release(tmp_path / "rel")
    policy = tmp_path / "trust.yaml"
    policy.write_text("policy: rebuildable-policy/0.1\nthreshold: 1\n"
                      "keys: [{id: z, path: /dev/zero}]\n")
    result = run("verify", str(rel), "--trust", str(policy))
    assert result.exit_code == 2
    assert "larger than" in result.stderr


def test_import_model_signing_nested_too_deep_is_refused(tmp_path: Path) -> None:
    rel = release(tmp_path / "rel")
    source = rel / "model.sig"
    source.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    result = run("import", "model-signing", str(source), "--dry-run")
    assert result.exit_code == 1
    assert "not a model-signing bundle" in result.stderr
    payload = base64.b64encode(b"[" * 100_000 + b"]" * 100_000).decode()
    source.write_text(json.dumps({"dsseEnvelope": {"payload": payload}}))
    assert run("import", "model-signing", str(source), "--dry-run").exit_code == 1
