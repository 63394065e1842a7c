"""`verify` exits 0 only for a verified release (issue 9, item 5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rebuildable import digest
from rebuildable.cli import cli
from tests.support.hostile_releases import (
    blake3_only_tampered,
    external_subject_signed,
    path_listed_twice_signed,
    weak_only_subject_signed,
)
from tests.support.signing import key, signed_release


def _hide_blake3(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, this machine as one without the blake3 extra sees it."""
    monkeypatch.setitem(digest.ALGORITHMS, "blake3", digest.Algorithm("blake3", 64, True, None))


def _run(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, [*args, "--format", "json"], catch_exceptions=False)
    report: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, report


@pytest.mark.parametrize("command", ["verify", "validate"])
def test_uncheckable_tampered_subject_is_not_verified(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      command: str) -> None:
    pytest.importorskip("blake3")
    root = blake3_only_tampered(tmp_path / "rel", key("alice"))
    _hide_blake3(monkeypatch)
    pub = tmp_path / "alice.pub"
    pub.write_bytes(key("alice").public.pem())
    code, report = _run(command, str(root), "--key", str(pub))
    assert code == 1
    assert report["ok"] is False
    sig = report["signatures"]
    assert isinstance(sig, dict)
    assert sig["verified"] is False
    findings = report["findings"]
    assert isinstance(findings, list)
    uncheckable = [f for f in findings if f["code"] == "sig.uncheckable-subject"]
    assert uncheckable
    assert uncheckable[0]["severity"] == "error"
    assert uncheckable[0]["artifact"] == "data-train.csv"


def test_the_same_release_with_blake3_is_caught_as_tampered(tmp_path: Path) -> None:
    pytest.importorskip("blake3")
    root = blake3_only_tampered(tmp_path / "rel", key("alice"))
    pub = tmp_path / "alice.pub"
    pub.write_bytes(key("alice").public.pem())
    code, report = _run("verify", str(root), "--key", str(pub))
    assert code == 1
    codes = {f["code"] for f in report["findings"]}
    assert "sig.subject-mismatch" in codes


def test_verify_exit_code_follows_the_verified_flag(tmp_path: Path) -> None:
    """Whatever the findings say, exit 0 means ``signatures.verified`` is true."""
    root = signed_release(tmp_path / "ok")
    pub = tmp_path / "alice.pub"
    pub.write_bytes(key("alice").public.pem())
    code, report = _run("verify", str(root), "--key", str(pub))
    assert code == 0
    assert report["signatures"]["verified"] is True


def _pub(tmp_path: Path) -> str:
    pub = tmp_path / "alice.pub"
    pub.write_bytes(key("alice").public.pem())
    return str(pub)


def _with_unknown_algorithm(root: Path) -> Path:
    from tests.support.releases import read_manifest, write_manifest

    signed_release(root)
    data = read_manifest(root)
    data["artifacts"][0]["digest"] = {"sha999": "ab" * 32}
    write_manifest(root / "rebuild.yaml", data)
    from rebuildable.api import sign

    (root / "rebuild.dsse.json").unlink()
    sign(root, key("alice"), force=True)
    return root


def _signed_then_removed(root: Path) -> Path:
    signed_release(root)
    victim = next(p for p in sorted(root.rglob("*")) if p.is_file()
                  and p.name not in ("rebuild.yaml", "rebuild.dsse.json"))
    victim.unlink()
    return root


def _signed_then_made_a_folder(root: Path) -> Path:
    signed_release(root)
    victim = next(p for p in sorted(root.rglob("*")) if p.is_file()
                  and p.name not in ("rebuild.yaml", "rebuild.dsse.json"))
    victim.unlink()
    victim.mkdir()
    return root


def _md5_only(root: Path) -> Path:
    return weak_only_subject_signed(root, key("alice"), "md5")


def _sha1_only(root: Path) -> Path:
    return weak_only_subject_signed(root, key("alice"), "sha1")


def _path_listed_twice(root: Path) -> Path:
    return path_listed_twice_signed(root, key("alice"))


UNVERIFIABLE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "md5-only": (_md5_only, "sig.uncheckable-subject"),
    "sha1-only": (_sha1_only, "sig.uncheckable-subject"),
    "unknown-algorithm": (_with_unknown_algorithm, "sig.uncheckable-subject"),
    "signed-file-missing": (_signed_then_removed, "sig.subject-mismatch"),
    "signed-file-now-a-folder": (_signed_then_made_a_folder, "sig.subject-mismatch"),
    "path-listed-twice": (_path_listed_twice, "sig.subject-mismatch"),
}


@pytest.mark.parametrize("shape", UNVERIFIABLE)
def test_a_subject_that_cannot_be_checked_is_not_verified(tmp_path: Path, shape: str) -> None:
    build, code = UNVERIFIABLE[shape]
    root = build(tmp_path / "rel")
    exit_code, report = _run("verify", str(root), "--key", _pub(tmp_path))
    assert exit_code == 1
    assert report["signatures"]["verified"] is False
    errors = {f["code"] for f in report["findings"] if f["severity"] == "error"}
    assert code in errors


def test_an_external_subject_is_said_to_be_unfetched(tmp_path: Path) -> None:
    """verify checks the shipped files, never the bytes behind a uri: a pass says so, and
    --strict makes that a failure."""
    root = external_subject_signed(tmp_path / "rel", key("alice"))
    exit_code, report = _run("verify", str(root), "--key", _pub(tmp_path))
    assert exit_code == 0
    assert report["signatures"]["verified"] is True
    warned = [f for f in report["findings"] if f["code"] == "sig.external-not-fetched"]
    assert [f["severity"] for f in warned] == ["warning"]
    assert "https://data.example.org/c.txt" in warned[0]["message"]
    strict_code, _ = _run("verify", str(root), "--key", _pub(tmp_path), "--strict")
    assert strict_code == 1
