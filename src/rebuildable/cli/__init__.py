"""The command line: a thin shell over the engine. One module per command."""

from __future__ import annotations

import click

from rebuildable import __version__
from rebuildable.cli import export as _export
from rebuildable.cli import hash as _hash
from rebuildable.cli import init as _init
from rebuildable.cli import keygen as _keygen
from rebuildable.cli import rebuild as _rebuild
from rebuildable.cli import sign as _sign
from rebuildable.cli import validate as _validate
from rebuildable.cli import verify as _verify
from rebuildable.cli.common import RebuildableGroup


@click.group(cls=RebuildableGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rebuildable")
def cli() -> None:
    """Prove that a release includes everything needed to rebuild it."""


cli.add_command(_validate.command)
cli.add_command(_init.command)
cli.add_command(_hash.command)
cli.add_command(_rebuild.command)
cli.add_command(_keygen.command)
cli.add_command(_sign.command)
cli.add_command(_verify.command)
cli.add_command(_export.command)


def main() -> None:
    cli()
