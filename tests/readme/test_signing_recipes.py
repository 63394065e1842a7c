"""The README's signing section runs as written (issue 9): the securesystemslib recipe
verifies our envelopes, for every key type `keygen` makes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from tests.support.signing import release

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
