"""`rebuildable keygen KEYFILE`: a new signing key pair.

The private key is written as PKCS#8 PEM at KEYFILE with mode 0600 (created
exclusively: an existing file is never overwritten without ``--force``); the public
key as PEM at ``KEYFILE.pub``. The key id (SHA-256 of the public key) goes to stdout.
"""

from __future__ import annotations

from pathlib import Path

import click

from rebuildable import api
from rebuildable.cli.common import Choice, fail, note


@click.command("keygen")
@click.argument("keyfile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--type", "kind", type=Choice(api.key_types()), default="ed25519",
              show_default=True, help="Key type.")
@click.option("--force", is_flag=True, help="Replace an existing KEYFILE and KEYFILE.pub.")
def command(*, keyfile: Path, kind: str, force: bool) -> None:
    """Write a new private key to KEYFILE and its public key to KEYFILE.pub.

    Keep KEYFILE secret (it is created readable by you alone); hand out KEYFILE.pub
    to whoever verifies your releases.
    """
    key = api.generate_key(kind)
    try:
        paths = api.write_key_pair(keyfile, key, force=force)
    except api.UsageError as exc:
        fail(str(exc))
    note(f"wrote the private key {paths.private} ({key.type}; keep it secret) "
         f"and the public key {paths.public}")
    click.echo(key.keyid)
