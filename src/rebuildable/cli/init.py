"""`rebuildable init [DIR]`: hash every file of a folder and write a draft rebuild.yaml.

The draft lists every regular file (sorted by path, with its digest, size and a
guessed kind) and validates as written; the user then adds the steps. Links, special
files and files matched by ``.rebuildignore`` are left out (the first two with a note on
stderr). An existing manifest is never overwritten without ``--force``.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from rebuildable import api
from rebuildable.cli.common import (
    EXIT_FINDINGS,
    EXIT_USAGE,
    Choice,
    fail,
    note,
    progress_for,
    workers_option,
)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _fail(exc: Exception) -> NoReturn:
    fail(str(exc), EXIT_USAGE if isinstance(exc, api.UsageError) else EXIT_FINDINGS)


@click.command("init")
@click.argument("directory", default=".", metavar="[DIR]",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Release name (default: the folder's name).")
@click.option("--version", "version", default=api.DEFAULT_VERSION, show_default=True,
              help="Release version (always written as a string).")
@click.option("--license", "license_", default=None, metavar="SPDX",
              help="SPDX licence expression for the release as a whole.")
@click.option("--alg", "algorithms", multiple=True, type=Choice(api.hash_algorithms()),
              help=f"Digest algorithm; repeatable (default: {api.DEFAULT_ALGORITHM}).")
@click.option("--force", is_flag=True, help=f"Overwrite an existing {api.MANIFEST_NAME}.")
@click.option("--dry-run", is_flag=True,
              help="Print the draft on stdout instead of writing it.")
@click.option("--from-listing", "listing", default=None, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="List remote files instead of scanning DIR: one 'uri size sha256' per "
                   "line (an object store's inventory); nothing is downloaded.")
@click.option("--shard-index", "shard_index", default=None, metavar="NAME",
              help="With --from-listing: write the files to a shard index NAME in DIR "
                   "(sorted, one 'uri<TAB>size<TAB>sha256' per line) and list only it; for "
                   "listings too large for one artifact per file.")
@workers_option
def command(*, directory: Path, name: str | None, version: str, license_: str | None,
            algorithms: tuple[str, ...], force: bool, dry_run: bool, listing: Path | None,
            shard_index: str | None, workers: int) -> None:
    """Scan DIR (default .), hash every file and write a draft rebuild.yaml.

    Each file's kind is guessed from its name and content. Links, special files and
    files matched by .rebuildignore are left out. Add the steps, then run
    `rebuildable validate`.
    """
    if not directory.is_dir():  # click's file_okay=False lets a FIFO or a device through
        fail(f"{directory}: not a folder")
    if license_ is not None:
        problem, unknown = api.check_license(license_)
        if problem is not None:
            fail(f"--license {license_!r}: {problem}")
        for ident in unknown:
            note(f"--license: {ident!r} is not on the SPDX licence list "
                 "(use an SPDX id or LicenseRef-...)")
    if name is not None and not name.strip():
        fail("--name must not be empty")
    if shard_index is not None and listing is None:
        fail("--shard-index needs --from-listing")
    if not dry_run:
        # checked before hashing, so that a large folder is not hashed for nothing
        try:
            api.check_draft_target(directory, force=force)
        except api.DraftError as exc:
            _fail(exc)
    if listing is not None:
        _from_listing(directory, listing, name=name, version=version, license_=license_,
                      force=force, dry_run=dry_run, shard_index=shard_index)
        return
    algs = tuple(dict.fromkeys(algorithms)) or (api.DEFAULT_ALGORITHM,)
    try:
        with progress_for("text") as progress:
            draft = api.draft(directory, name=name, version=version, license=license_,
                              algorithms=algs, workers=workers, progress=progress)
    except api.DraftError as exc:
        _fail(exc)
    for skipped in draft.skipped:
        note(f"skipped {skipped.path}: {skipped.reason}")
    for damaged in draft.damaged:
        note(f"warning: {damaged.path} {damaged.reason}; `validate` will report it")
    target = _write(directory, draft.text, force=force, dry_run=dry_run)
    if target is None:
        return
    kinds = ", ".join(f"{n} {kind}" for kind, n in draft.kind_counts().items())
    note(f"wrote {target}: {draft.artifact_count} artifacts, {_size(draft.total_bytes)} "
         f"({kinds})")
    note("next: check the guessed kinds, add `steps:`, then run "
         f"`rebuildable validate {directory}`")


def _from_listing(directory: Path, listing: Path, *, name: str | None, version: str,
                  license_: str | None, force: bool, dry_run: bool,
                  shard_index: str | None) -> None:
    release = name or directory.resolve().name
    try:
        if shard_index is not None:
            draft = api.draft_shard_index(listing, directory, shard_index, name=release,
                                          version=version, license=license_, force=force,
                                          write=not dry_run)
        else:
            draft = api.draft_from_listing(listing, name=release, version=version,
                                           license=license_)
    except api.DraftError as exc:
        _fail(exc)
    target = _write(directory, draft.text, force=force, dry_run=dry_run)
    if target is None:
        return
    if shard_index is not None:
        note(f"wrote {directory / shard_index}: a shard index of {draft.artifact_count} "
             f"external files, {_size(draft.total_bytes)} listed")
        note(f"wrote {target}")
    else:
        note(f"wrote {target}: {draft.artifact_count} external artifacts, "
             f"{_size(draft.total_bytes)} listed")
    note(f"next: rebuildable validate --fetch {directory}")


def _write(directory: Path, text: str, *, force: bool, dry_run: bool) -> Path | None:
    """Print the draft (``dry_run``) or write it; the path written, or None when printed."""
    if dry_run:
        click.echo(text, nl=False)
        return None
    try:
        return api.write_draft(directory, text, force=force)
    except api.DraftError as exc:
        _fail(exc)
    except OSError as exc:
        fail(f"cannot write {directory / api.MANIFEST_NAME}: {exc.strerror or exc}")
