"""`rebuildable validate` (placeholder shell; the full command is being written)."""

from __future__ import annotations

import json
import sys

import click

from rebuildable.engine import Options, validate


@click.command("validate")
@click.argument("release", default=".")
@click.option("--strict", is_flag=True)
def command(release: str, strict: bool) -> None:
    report = validate(release, Options(strict=strict))
    click.echo(json.dumps(report.to_dict(), indent=2))
    sys.exit(2 if report.fatal else (0 if report.ok else 1))
