"""`verify` exits 0 only for a verified release (issue 9, item 5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rebuildable import digest
from rebuildable.cli import cli
from tests.support.hostile_releases import blake3_only_tampered
from tests.support.signing import key, signed_release

pytest.importorskip("blake3")


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
