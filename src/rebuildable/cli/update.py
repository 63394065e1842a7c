"""`rebuildable update [RELEASE]`: re-hash the files an existing manifest lists and
refresh their digests and sizes, keeping everything else (steps, kinds, licences,
comments, formatting) as written.

Prints one line per changed value on stdout (``--format json``: one JSON object).
Exit 0 updated or already up to date; 1 some listed file could not be re-hashed (the
others are still refreshed), or with ``--check`` something would change; 2 usage
error, a signed manifest without ``--force``, or a manifest that does not load.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from rebuildable import api
from rebuildable.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Choice,
    fail,
    note,
    progress_for,
    workers_option,
)
from rebuildable.render.text import safe


def _short(value: str | int | None) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, int):
        return str(value)
    return value[:12] + "…" if len(value) > 12 else value


def _as_json(plan: api.Update, written: bool) -> dict[str, Any]:
    return {
        "manifest": str(plan.manifest),
        "written": written,
        "changes": [{"artifact": c.artifact, "path": c.path, "field": c.field,
                     "old": c.old, "new": c.new} for c in plan.changes],
        "problems": plan.problems,
        "skipped": plan.skipped,
    }


@click.command("update")
@click.argument("release", default=".", metavar="[RELEASE]")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when some digest or size is out of date (for CI).")
@click.option("--force", is_flag=True,
              help="Update a signed manifest too (its signature will then need renewing).")
@click.option("--format", "fmt", type=Choice(("text", "json")), default="text",
              show_default=True, help="text: one line per change; json: one object.")
@workers_option
def command(*, release: str, dry_run: bool, check: bool, force: bool, fmt: str,
            workers: int) -> None:
    """Re-hash the files listed in RELEASE's manifest (folder or manifest file, default .)
    and refresh their digests and sizes, keeping steps, kinds, licences and comments."""
    try:
        with progress_for(fmt) as progress:
            plan = api.plan_update(release, force=force or dry_run or check, workers=workers,
                                   progress=progress)
    except api.ReleaseError as exc:
        fail(exc.message)
    except api.UpdateError as exc:
        fail(str(exc))
    write = plan.changed and not (dry_run or check)
    if write:
        try:
            api.write_update(plan)
        except OSError as exc:
            fail(f"cannot write {plan.manifest}: {exc.strerror or exc}")
    if fmt == "json":
        click.echo(json.dumps(_as_json(plan, write), indent=2, ensure_ascii=False))
    else:
        for c in plan.changes:
            click.echo(safe(f"{c.artifact}  {c.path}  {c.field}: {_short(c.old)} -> "
                            f"{_short(c.new)}"))
    for problem in plan.problems:
        note(f"cannot re-hash {problem}")
    for skipped in plan.skipped:
        note(f"left alone {skipped}")
    if fmt != "json":
        verb = "would update" if (dry_run or check) else "updated"
        if plan.changes:
            note(f"{verb} {plan.manifest}: {len(plan.changes)} value(s) changed")
        else:
            note(f"{plan.manifest} is up to date")
        if write and plan.signed:
            note("the signature no longer matches: run `rebuildable sign` again")
    failed = bool(plan.problems) or (check and plan.changed)
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)
