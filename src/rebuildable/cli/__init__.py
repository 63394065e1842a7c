"""The command line: a thin shell over the engine. One module per command."""

from __future__ import annotations

import click

from rebuildable import __version__
from rebuildable.cli import validate as _validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rebuildable")
def cli() -> None:
    """Prove that a release includes everything needed to rebuild it."""


cli.add_command(_validate.command)


def main() -> None:
    cli()
