"""`rebuildable import dvc|sha256sums|model-card|model-signing SOURCE [DIR]`: draft a
rebuild.yaml from what a publisher already has.

DIR (default: SOURCE's folder) is the release; the draft lists its files with the
digests the source states, and is validated once written so that what is left to do
shows at once. An existing manifest is never overwritten without ``--force``.
Exit 0 written (findings may remain: they are listed), 1 the source cannot be imported,
2 usage error or a manifest in the way.
"""

from __future__ import annotations

from pathlib import Path

import click

from rebuildable import api
from rebuildable.cli.common import EXIT_FINDINGS, EXIT_USAGE, fail, note

_SOURCES = {
    "dvc": "a DVC pipeline: dvc.yaml or dvc.lock (both are read when both are there)",
    "sha256sums": "a checksum list as sha256sum writes it (GNU or BSD-tagged lines)",
    "model-card": "a Hugging Face model card (README.md with YAML front matter)",
    "model-signing": "an OpenSSF model-signing bundle (model.sig)",
}


@click.group("import")
def command() -> None:
    """Draft a rebuild.yaml from a DVC pipeline, a checksum list, a model card or a
    model-signing bundle."""


def _summary(root: Path) -> None:
    report = api.validate(root)
    errors = [f for f in report.findings if f.severity.value == "error"]
    if not errors:
        note(f"validate: no errors ({report.counts['warning']} warnings)")
        return
    codes: dict[str, int] = {}
    for f in errors:
        codes[f.code] = codes.get(f.code, 0) + 1
    listed = ", ".join(f"{c} x{n}" if n > 1 else c for c, n in codes.items())
    note(f"validate: {len(errors)} error(s) left to fix: {listed} "
         f"(run `rebuildable validate {root}`)")


def _make(kind: str) -> click.Command:
    @click.command(kind, help=f"Draft a rebuild.yaml from {_SOURCES[kind]}.")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.argument("directory", required=False, metavar="[DIR]",
                    type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--name", default=None, help="Release name (default: the folder's name).")
    @click.option("--version", "version", default=None, help="Release version.")
    @click.option("--license", "license_", default=None, metavar="SPDX",
                  help="SPDX licence expression for the release as a whole.")
    @click.option("--force", is_flag=True, help=f"Overwrite an existing {api.MANIFEST_NAME}.")
    @click.option("--dry-run", is_flag=True, help="Print the draft instead of writing it.")
    def run(*, source: Path, directory: Path | None, name: str | None, version: str | None,
            license_: str | None, force: bool, dry_run: bool) -> None:
        root = directory if directory is not None else source.parent
        if not dry_run:
            try:
                api.check_draft_target(root, force=force)
            except api.DraftError as exc:
                fail(str(exc), EXIT_USAGE)
        try:
            imported = api.import_draft(kind, source, root, name=name, version=version,
                                        license=license_)
        except api.ImportSourceError as exc:
            fail(str(exc), EXIT_FINDINGS)
        except api.DraftError as exc:
            fail(str(exc), EXIT_USAGE if isinstance(exc, api.UsageError) else EXIT_FINDINGS)
        for line in imported.notes:
            note(line)
        if dry_run:
            click.echo(imported.text, nl=False)
            return
        try:
            target = api.write_draft(root, imported.text, force=force)
        except api.DraftError as exc:
            fail(str(exc), EXIT_USAGE)
        except OSError as exc:
            fail(f"cannot write {root / api.MANIFEST_NAME}: {exc.strerror or exc}")
        steps = len(imported.data.get("steps", []))
        note(f"wrote {target}: {len(imported.data['artifacts'])} artifacts, {steps} steps")
        _summary(root)

    return run


for _kind in api.import_kinds():
    command.add_command(_make(_kind))
