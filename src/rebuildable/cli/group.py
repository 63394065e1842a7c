"""The click group of all commands. Commands are imported only when they run (or when
help lists them), so that `rebuildable validate` does not pay for the rebuild runner or
key handling it never uses: start-up time matters in CI loops and registry hooks."""

from __future__ import annotations

import importlib
from typing import Any

import click

from rebuildable._version import __version__
from rebuildable.cli.common import RebuildableGroup

#: command name -> module under rebuildable.cli that defines `command`
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "init": "init",
    "hash": "hash",
    "rebuild": "rebuild",
    "keygen": "keygen",
    "sign": "sign",
    "verify": "verify",
    "export": "export",
    "publish": "publish",
    "serve": "serve",
    "registry": "registry",
    "update": "update",
    "import": "import_",
}


class _LazyGroup(RebuildableGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command: Any = importlib.import_module(f"rebuildable.cli.{module}").command
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rebuildable")
def cli() -> None:
    """Prove that a release includes everything needed to rebuild it."""
