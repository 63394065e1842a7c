"""`rebuildable registry ...`: the operator's commands (run beside the service, on the
same database).

``add-namespace`` prints the new namespace's admin token alone on one line of stdout: it
is shown once and stored only as a hash.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from rebuildable import api
from rebuildable.cli.common import Choice, fail, note

F = TypeVar("F", bound=Callable[..., Any])

def data_options(func: F) -> F:
    func = click.option("--db", metavar="URL", default=None,
                        help="Database URL (default sqlite:///DATA/registry.db; "
                             "postgresql://... for scale).")(func)
    return click.option("--data", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("registry"), show_default=True,
                        help="The registry's data folder.")(func)


def _run(data: Path, db: str | None, action: Callable[[Any], Any], *,
         store: str | None = None, whole: bool = False) -> Any:
    try:
        registry = api.registry(api.RegistryConfig(data=data, db=db, store=store))
    except api.UsageError as exc:
        fail(str(exc))
    try:
        return action(registry if whole else registry.admin)
    except api.RebuildableError as exc:
        fail(str(exc))
    finally:
        registry.close()


@click.group("registry")
def command() -> None:
    """Manage a registry's namespaces, keys and tokens."""


@command.command("add-namespace")
@click.argument("name")
@click.option("--threshold", type=click.IntRange(1), default=1, show_default=True,
              help="Valid signatures by the namespace's keys each release needs.")
@data_options
def add_namespace(*, name: str, threshold: int, data: Path, db: str | None) -> None:
    """Create namespace NAME and print its owner (admin) token, once."""
    token = _run(data, db, lambda admin: admin.add_namespace(name, threshold))
    click.echo(token)


@command.command("add-key")
@click.argument("namespace")
@click.argument("pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_options
def add_key(*, namespace: str, pubkey: Path, data: Path, db: str | None) -> None:
    """Register the public key PUBKEY (PEM) as a publisher of NAMESPACE."""
    try:
        pem = api.read_input(pubkey, "key")  # the bound every key file is read with
    except OSError as exc:
        fail(f"{pubkey}: {exc.strerror or exc}")
    keyid = _run(data, db, lambda admin: admin.add_key(namespace, pem, str(pubkey)))
    note(f"registered key {keyid} for {namespace}")


@command.command("set-threshold")
@click.argument("namespace")
@click.argument("threshold", type=click.IntRange(1))
@data_options
def set_threshold(*, namespace: str, threshold: int, data: Path, db: str | None) -> None:
    """Require THRESHOLD valid signatures by NAMESPACE's keys on each release."""
    _run(data, db, lambda admin: admin.set_threshold(namespace, threshold))
    note(f"{namespace}: threshold {threshold}")


@command.command("add-token")
@click.argument("namespace")
@click.option("--scope", type=Choice(["publish", "admin"]), default="publish",
              show_default=True)
@data_options
def add_token(*, namespace: str, scope: str, data: Path, db: str | None) -> None:
    """Create another token for NAMESPACE and print it, once."""
    click.echo(_run(data, db, lambda admin: admin.add_token(namespace, scope)))


@command.command("revoke-token")
@click.argument("namespace")
@click.argument("token_id", metavar="TOKEN_ID")
@data_options
def revoke_token(*, namespace: str, token_id: str, data: Path, db: str | None) -> None:
    """Revoke a token (TOKEN_ID is the hex part after rbl_ in the token)."""
    _run(data, db, lambda admin: admin.revoke_token(namespace, token_id))
    note(f"revoked token {token_id}")


@command.command("gc")
@click.option("--grace", type=click.FloatRange(0), default=3600.0, show_default=True,
              metavar="SECONDS", help="Leave blobs younger than this alone.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@click.option("--store", metavar="URL", default=None,
              help="Blob store: a folder or s3://bucket/prefix (default DATA/blobs).")
@data_options
def gc(*, grace: float, dry_run: bool, store: str | None, data: Path, db: str | None) -> None:
    """Remove stored blobs that no release refers to (left by a server killed between
    writing them and committing the release), once older than the grace period. Safe
    while servers run. Prints each removed blob's digest."""
    done = _run(data, db, lambda registry: registry.collect_garbage(grace, dry_run=dry_run),
                store=store, whole=True)
    for sha256 in done.removed:
        click.echo(f"sha256:{sha256}")
    verb = "would remove" if dry_run else "removed"
    note(f"{verb} {len(done.removed)} unreferenced blob(s) (left {done.young} younger than "
         f"{grace:g}s), {done.partials} half-written blob(s) and {done.uploads} abandoned "
         "upload folder(s)")
