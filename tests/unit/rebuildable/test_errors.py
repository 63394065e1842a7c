"""Core errors carry the option they are about; only the CLI spells options as flags."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from rebuildable.cli.common import FLAGS
from rebuildable.errors import UsageError
from rebuildable.signing.dsse import ThresholdError
from rebuildable.signing.trust import build_policy
from tests.support import make_release
from tests.support.paths import ROOT

SRC = ROOT / "src" / "rebuildable"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


#: raised values that are not errors for a caller but reasons that become finding messages
#: (the report is the CLI's output as it is the registry's: those still say what to pass)
NOT_CALLER_ERRORS = {"Unavailable"}


def _raised_text(node: ast.Raise) -> list[str]:
    texts: list[str] = []
    exc = node.exc
    if isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name) \
            and exc.func.id in NOT_CALLER_ERRORS:
        return texts
    if node.exc is not None:
        for sub in ast.walk(node.exc):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                texts.append(sub.value)
    return texts


def _our_flags() -> set[str]:
    """Every long option of every rebuildable command."""
    import click

    ctx = click.Context(cli)
    flags: set[str] = set()
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None
        for param in command.params:
            flags.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    return flags


def test_no_core_error_message_names_a_command_line_flag() -> None:
    ours = _our_flags()
    assert {"--force", "--key", "--threshold", "--work-dir"} <= ours
    offenders: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        if "cli" in path.relative_to(SRC).parts:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise):
                offenders.extend(f"{path.relative_to(ROOT)}:{node.lineno}: {t!r}"
                                 for t in _raised_text(node)
                                 if set(FLAG.findall(t)) & ours)
    assert offenders == []


def test_usage_errors_name_their_field_and_the_cli_spells_it() -> None:
    with pytest.raises(ThresholdError) as caught:
        build_policy([], threshold=2)
    assert caught.value.field == "threshold"
    assert str(caught.value).startswith("`threshold` applies to `keys` keys")
    assert caught.value.describe(FLAGS).startswith("--threshold applies to --key keys")
    plain = UsageError("no `such` option")
    assert plain.field is None
    assert plain.describe(FLAGS) == "no `such` option"


def test_the_cli_shows_flags_where_the_core_names_options(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"})
    out = CliRunner().invoke(cli, ["validate", str(root), "--threshold", "2"])
    assert out.exit_code == 2
    assert "--threshold applies to --key keys" in out.stderr
    key = tmp_path / "k"
    assert CliRunner().invoke(cli, ["keygen", str(key)]).exit_code == 0
    again = CliRunner().invoke(cli, ["keygen", str(key)])
    assert again.exit_code == 2
    assert "already exists; use --force to replace it" in again.stderr
    assert "`" not in again.stderr
