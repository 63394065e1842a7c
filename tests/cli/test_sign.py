"""The keygen, sign and verify commands: files, messages and exit codes per the contract."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from tests.support.signing import release

OPENSSL = shutil.which("openssl")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name in ("alice", "bob"):
        code, stdout, _ = run("keygen", str(tmp_path / name))
        assert code == 0
        assert len(stdout.strip()) == 64
        out[name] = tmp_path / name
    return out


def test_keygen_writes_a_private_0600_key_and_a_public_pem(tmp_path: Path) -> None:
    for kind in ("ed25519", "ecdsa-p256", "rsa-3072"):
        path = tmp_path / f"k-{kind}"
        code, _stdout, stderr = run("keygen", str(path), "--type", kind)
        assert code == 0, stderr
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        assert Path(f"{path}.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
        assert "keep it secret" in stderr


def test_keygen_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    run("keygen", str(tmp_path / "k"))
    before = (tmp_path / "k").read_bytes()
    code, _, stderr = run("keygen", str(tmp_path / "k"))
    assert code == 2
    assert "already exists" in stderr
    assert (tmp_path / "k").read_bytes() == before
    code, _, _ = run("keygen", str(tmp_path / "k"), "--force")
    assert code == 0
    assert (tmp_path / "k").read_bytes() != before


def test_sign_then_verify_with_threshold(tmp_path: Path, keys: dict[str, Path]) -> None:
    root = release(tmp_path / "r")
    code, stdout, stderr = run("sign", str(root), "--key", str(keys["alice"]))
    assert code == 0, stderr
    assert "signed" in stdout
    assert "1 signature" in stdout
    code, stdout, _ = run("verify", str(root), "--key", f"{keys['alice']}.pub")
    assert code == 0
    assert "sig.verified" in stdout
    code, stdout, _ = run("verify", str(root), "--key", f"{keys['alice']}.pub",
                          "--key", f"{keys['bob']}.pub", "--threshold", "2")
    assert code == 1
    assert "sig.below-threshold" in stdout
    assert "1 missing" in stdout
    code, stdout, _ = run("sign", str(root), "--key", str(keys["bob"]))
    assert code == 0
    assert "co-signed" in stdout
    assert "2 signature" in stdout
    code, stdout, _ = run("verify", str(root), "--key", f"{keys['alice']}.pub",
                          "--key", f"{keys['bob']}.pub", "--threshold", "2", "--format", "json")
    assert code == 0
    report = json.loads(stdout)
    assert report["ok"] is True
    assert report["signatures"]["missing"] == 0
    assert len(report["signatures"]["verified_keys"]) == 2


@pytest.mark.parametrize("threshold", ["0", "3"])
def test_verify_impossible_threshold_is_a_usage_error(tmp_path: Path, keys: dict[str, Path],
                                                      threshold: str) -> None:
    root = release(tmp_path / "r")
    run("sign", str(root), "--key", str(keys["alice"]))
    code, stdout, _ = run("verify", str(root), "--key", f"{keys['alice']}.pub",
                          "--key", f"{keys['bob']}.pub", "--threshold", threshold)
    assert code == 2
    assert stdout == ""


def test_verify_same_key_file_twice_cannot_meet_threshold_two(tmp_path: Path,
                                                              keys: dict[str, Path]) -> None:
    root = release(tmp_path / "r")
    run("sign", str(root), "--key", str(keys["alice"]))
    copy = tmp_path / "copy-of-alice.pub"
    copy.write_bytes(Path(f"{keys['alice']}.pub").read_bytes())
    code, _, stderr = run("verify", str(root), "--key", f"{keys['alice']}.pub",
                          "--key", str(copy), "--threshold", "2")
    assert code == 2
    assert "distinct" in stderr


def test_verify_usage_errors(tmp_path: Path, keys: dict[str, Path]) -> None:
    root = release(tmp_path / "r")
    assert run("verify", str(root))[0] == 2  # no keys
    code, _, stderr = run("verify", str(root), "--key", str(keys["alice"]))  # private key
    assert code == 2
    assert "PRIVATE key" in stderr
    assert run("verify", str(tmp_path / "missing"), "--key", f"{keys['alice']}.pub")[0] == 2


def test_verify_unsigned_and_tampered_releases_exit_1(tmp_path: Path,
                                                      keys: dict[str, Path]) -> None:
    root = release(tmp_path / "r")
    pub = f"{keys['alice']}.pub"
    code, stdout, _ = run("verify", str(root), "--key", pub)
    assert code == 1
    assert "sig.missing-envelope" in stdout
    run("sign", str(root), "--key", str(keys["alice"]))
    text = (root / "rebuild.yaml").read_text().replace("license: Apache-2.0", "license: MIT")
    (root / "rebuild.yaml").write_text(text)
    code, stdout, _ = run("verify", str(root), "--key", pub)
    assert code == 1
    assert "sig.payload-mismatch" in stdout


def test_sign_refuses_a_broken_release_with_its_report_and_exit_1(
        tmp_path: Path, keys: dict[str, Path]) -> None:
    root = release(tmp_path / "r")
    (root / "config.yaml").write_bytes(b"tampered")
    code, stdout, stderr = run("sign", str(root), "--key", str(keys["alice"]))
    assert code == 1
    assert "--force" in stderr
    assert "FAIL" in stdout
    assert not (root / "rebuild.dsse.json").exists()
    assert run("sign", str(root), "--key", str(keys["alice"]), "--force")[0] == 0


@pytest.mark.parametrize("edit", [
    ("name: ", "name: evil\nname: "),             # duplicate key: readers keep either
    ("license: Apache-2.0", "License: MIT\nlicense: Apache-2.0"),  # case-colliding keys
    ("spec: ", "x-a: &a 1\nx-b: *a\nspec: "),   # an alias
], ids=["duplicate-key", "case-colliding-keys", "alias"])
def test_force_never_signs_a_manifest_readers_may_read_differently(
        tmp_path: Path, keys: dict[str, Path], edit: tuple[str, str]) -> None:
    root = release(tmp_path / "r")
    manifest = root / "rebuild.yaml"
    text = manifest.read_text()
    assert edit[0] in text
    manifest.write_text(text.replace(edit[0], edit[1], 1))
    code, _, stderr = run("sign", str(root), "--key", str(keys["alice"]), "--force")
    assert code == 1
    assert "never signed, even when forced" in stderr
    assert not (root / "rebuild.dsse.json").exists()


def test_sign_an_archive_is_a_clear_usage_error(tmp_path: Path, keys: dict[str, Path]) -> None:
    archive = tmp_path / "r.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    code, _, stderr = run("sign", str(archive), "--key", str(keys["alice"]))
    assert code == 2
    assert "folder releases only" in stderr


def test_sign_with_a_public_key_is_a_usage_error(tmp_path: Path, keys: dict[str, Path]) -> None:
    root = release(tmp_path / "r")
    code, _, stderr = run("sign", str(root), "--key", f"{keys['alice']}.pub")
    assert code == 2
    assert "private key" in stderr


def test_validate_key_makes_the_signature_part_of_validation(tmp_path: Path,
                                                            keys: dict[str, Path]) -> None:
    root = release(tmp_path / "r")
    pub = f"{keys['alice']}.pub"
    assert run("validate", str(root), "--key", pub)[0] == 1
    run("sign", str(root), "--key", str(keys["alice"]))
    code, stdout, _ = run("validate", str(root), "--key", pub, "--format", "json")
    assert code == 0
    assert json.loads(stdout)["signatures"]["verified"] is True


@pytest.mark.skipif(OPENSSL is None, reason="openssl command not installed")
def test_release_signed_with_an_openssl_rsa_key_verifies(tmp_path: Path) -> None:
    assert OPENSSL is not None
    priv, pub = tmp_path / "rsa.pem", tmp_path / "rsa.pub"
    subprocess.run([OPENSSL, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(priv)], check=True, capture_output=True)
    subprocess.run([OPENSSL, "pkey", "-in", str(priv), "-pubout", "-out", str(pub)], check=True,
                   capture_output=True)
    root = release(tmp_path / "r")
    assert run("sign", str(root), "--key", str(priv))[0] == 0
    assert run("verify", str(root), "--key", str(pub))[0] == 0


@pytest.mark.skipif(OPENSSL is None, reason="openssl command not installed")
def test_encrypted_openssl_key_signs_with_the_password_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert OPENSSL is not None
    priv = tmp_path / "enc.pem"
    subprocess.run([OPENSSL, "genpkey", "-algorithm", "ED25519", "-aes256", "-pass",
                    "pass:correct horse", "-out", str(priv)], check=True, capture_output=True)
    root = release(tmp_path / "r")
    monkeypatch.delenv("REBUILDABLE_KEY_PASSWORD", raising=False)
    code, _, stderr = run("sign", str(root), "--key", str(priv))
    assert code == 2
    assert "REBUILDABLE_KEY_PASSWORD" in stderr
    monkeypatch.setenv("REBUILDABLE_KEY_PASSWORD", "wrong")
    assert run("sign", str(root), "--key", str(priv))[0] == 2
    monkeypatch.setenv("REBUILDABLE_KEY_PASSWORD", "correct horse")
    assert run("sign", str(root), "--key", str(priv))[0] == 0
    assert (root / "rebuild.dsse.json").exists()
