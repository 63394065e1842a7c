"""The README's signing section runs as written (issue 9): the securesystemslib recipe
verifies our envelopes, for every key type `keygen` makes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from tests.support.signing import key, release, signed_release

README = Path(__file__).resolve().parents[2] / "README.md"
pytest.importorskip("securesystemslib.dsse")


def _python_block_after(marker: str) -> str:
    text = README.read_text("utf-8")
    start = text.index(marker)
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no python block after {marker!r}"
    return match.group(1)


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256", "rsa-3072"])
def test_securesystemslib_recipe_verifies_our_envelope(tmp_path: Path, kind: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    code = _python_block_after("the securesystemslib convention")
    root = release(tmp_path / "rel")
    runner = CliRunner()
    monkeypatch.chdir(root)
    assert runner.invoke(cli, ["keygen", "alice", "--type", kind]).exit_code == 0
    assert runner.invoke(cli, ["sign", ".", "--key", "alice"]).exit_code == 0
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert os.path.isfile("rebuild.dsse.json")
    assert "envelope" in scope


def _yaml_block_after(marker: str) -> str:
    text = README.read_text("utf-8")
    match = re.compile(r"```yaml\n(.*?)```", re.S).search(text, text.index(marker))
    assert match is not None, f"no yaml block after {marker!r}"
    return match.group(1)


@pytest.mark.parametrize(("name", "verified"), [("acme-tokenizer", True), ("acme-model", False),
                                                ("other", False)])
def test_the_readme_trust_policy_works_as_described(tmp_path: Path, name: str,
                                                    verified: bool) -> None:
    """The policy format the README shows, with its inline key made real: alice and bob
    both sign; bob may sign only acme-tokenizer, and the policy needs two keys for acme-*
    names, so only acme-tokenizer is verified."""
    alice, bob = key("alice"), key("bob")
    text = _yaml_block_after("A trust policy")
    placeholder = re.search(r"-----BEGIN PUBLIC KEY-----\n(.*?)-----END PUBLIC KEY-----\n",
                            text, re.S)
    assert placeholder is not None
    pem = "".join(f"      {line}\n" for line in bob.public.pem().decode().splitlines())
    policy = text.replace(placeholder.group(0), pem.lstrip(), 1)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "alice.pub").write_bytes(alice.public.pem())
    (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
    root = signed_release(tmp_path / "rel", alice, bob, name=name)
    result = CliRunner().invoke(cli, ["verify", str(root), "--trust",
                                      str(tmp_path / "policy.yaml"), "--format", "json"])
    assert result.exit_code == (0 if verified else 1), result.output
