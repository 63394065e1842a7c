"""Small things that make the tool pleasant in a shell and an editor: shell completion,
`validate --quiet`, and the editor schema line that `init` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from rebuildable.schema import load_schema
from tests.support import make_release


def complete(words: str, cword: int) -> list[str]:
    env = {"_REBUILDABLE_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(cword)}
    result = CliRunner().invoke(cli, [], env=env, prog_name="rebuildable")
    assert result.exit_code == 0
    return result.stdout.splitlines()


def test_bash_completion_script_and_answers() -> None:
    script = CliRunner().invoke(cli, [], env={"_REBUILDABLE_COMPLETE": "bash_source"},
                                prog_name="rebuildable")
    assert script.exit_code == 0
    assert "_rebuildable_completion()" in script.stdout
    assert "plain,validate" in complete("rebuildable val", 1)
    assert "plain,update" in complete("rebuildable up", 1)
    assert "plain,--strict" in complete("rebuildable validate --str", 2)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_shells(shell: str) -> None:
    script = CliRunner().invoke(cli, [], env={"_REBUILDABLE_COMPLETE": f"{shell}_source"},
                                prog_name="rebuildable")
    assert script.exit_code == 0
    assert "rebuildable" in script.stdout


def test_readme_documents_completion() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_REBUILDABLE_COMPLETE={shell}_source rebuildable" in readme


def test_validate_quiet(tmp_path: Path) -> None:
    good = make_release(tmp_path / "good", {"a.txt": b"a"})
    result = CliRunner().invoke(cli, ["validate", "--quiet", str(good)])
    assert (result.exit_code, result.stdout) == (0, "")
    (good / "a.txt").write_bytes(b"b")
    failed = CliRunner().invoke(cli, ["validate", "-q", str(good)])
    assert failed.exit_code == 1
    assert "integrity" in failed.stdout
    as_json = CliRunner().invoke(cli, ["validate", "-q", "--format", "json", str(good)])
    assert json.loads(as_json.stdout)["ok"] is False


def test_init_writes_the_editor_schema_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0
    first = (tmp_path / "rebuild.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# yaml-language-server: $schema={load_schema('manifest')['$id']}"


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    """``python -m rebuildable`` is the ``rebuildable`` script, exit codes included."""
    import subprocess
    import sys

    from tests.support import make_release

    version = subprocess.run([sys.executable, "-m", "rebuildable", "--version"],
                             capture_output=True, text=True, check=False)
    assert version.returncode == 0
    assert version.stdout.startswith("rebuildable, version ")
    root = make_release(tmp_path / "r", {"a.txt": b"a\n"})
    (root / "a.txt").write_bytes(b"b\n")
    tampered = subprocess.run([sys.executable, "-m", "rebuildable", "validate", str(root)],
                              capture_output=True, text=True, check=False)
    assert tampered.returncode == 1
    assert "integrity.digest-mismatch" in tampered.stdout


@pytest.mark.parametrize(("args", "typo", "meant"), [
    (["valdate", "."], "valdate", "validate"),
    (["registry", "add-nmespace", "x"], "add-nmespace", "add-namespace"),
    (["validate", ".", "--format", "sarf"], "sarf", "sarif"),
    (["validate", ".", "--require", "open_source"], "open_source", "open-source"),
    (["rebuild", ".", "--isolation", "bwarp"], "bwarp", "bwrap"),
    (["export", ".", "--to", "cylonedx"], "cylonedx", "cyclonedx"),
    (["keygen", "k", "--type", "ed2559"], "ed2559", "ed25519"),
    (["hash", "--alg", "sha-256", "x"], "sha-256", "sha256"),  # not sha3-256 (difflib's pick)
    (["init", ".", "--alg", "SHA_512"], "SHA_512", "sha512"),
    (["update", ".", "--format", "jsn"], "jsn", "json"),
])
def test_a_mistyped_command_or_option_value_names_the_one_meant(args: list[str], typo: str,
                                                                meant: str) -> None:
    """click lists the choices; the one meant is named, as for misspelt option names, and
    nothing is named for a word like none of them."""
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"Did you mean {meant!r}?" in result.stderr
    far = CliRunner().invoke(cli, ["zzzzzz" if a == typo else a for a in args])
    assert far.exit_code == 2
    assert "Did you mean" not in far.stderr
