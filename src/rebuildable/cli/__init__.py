"""The command line: a thin shell over the engine. One module per command
(:mod:`rebuildable.cli.group` lists them).

``rebuildable --version`` answers before click is imported: scripts and package
managers call it to probe for the tool, and it should cost no more than Python's start.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from rebuildable._version import __version__

if TYPE_CHECKING:
    from rebuildable.cli.group import COMMANDS, cli

__all__ = ["COMMANDS", "cli", "main"]


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(f"rebuildable, version {__version__}\n")  # as click prints it
        return
    from rebuildable.cli.group import cli  # noqa: PLC0415 - see the module's docstring

    cli()


def __getattr__(name: str) -> Any:
    if name in ("cli", "COMMANDS"):
        from rebuildable.cli import group  # noqa: PLC0415

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
