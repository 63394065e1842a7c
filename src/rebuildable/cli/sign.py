"""`rebuildable sign [RELEASE] --key KEYFILE`: write or extend rebuild.dsse.json.

The release is validated first and a release with errors is refused (exit 1, with
the report) unless ``--force``. Exit 2 for usage errors: an archive, an unusable key,
an existing envelope that is not DSSE.

An encrypted private key (``openssl genpkey -aes256 ...``) is opened with the password
in the environment variable ``REBUILDABLE_KEY_PASSWORD``; passwords never go on the
command line, where other users of the machine could read them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from rebuildable import api
from rebuildable.cli.common import (
    EXIT_FINDINGS,
    emit,
    fail,
    format_option,
    no_color_option,
    note,
)
from rebuildable.render.text import safe

PASSWORD_ENV = "REBUILDABLE_KEY_PASSWORD"  # noqa: S105 - the variable's name, not a password


@click.command("sign")
@click.argument("release", default=".", metavar="[RELEASE]")
@click.option("--key", "keyfile", required=True, metavar="KEYFILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Private key (PEM): from `rebuildable keygen` or `openssl genpkey`.")
@click.option("--force", is_flag=True,
              help="Sign even when validation finds errors, or replace an envelope that "
                   "is not valid DSSE.")
@format_option
@no_color_option
def command(*, release: str, keyfile: Path, force: bool, fmt: str, no_color: bool) -> None:
    """Sign RELEASE (a folder or its manifest; default .) with the private key KEYFILE.

    Writes rebuild.dsse.json beside the manifest, or adds this key's signature to an
    envelope over the same manifest data (co-signing). Signing twice with one key
    changes nothing.
    """
    password = os.environ.get(PASSWORD_ENV)
    try:
        key = api.read_private_key(keyfile, password.encode("utf-8") if password else None)
    except (api.BadKeyError, api.UsageError) as exc:
        fail(str(exc))
    try:
        outcome = api.sign(release, key, force=force, options=api.Options())
    except api.SignRefusedError as exc:
        emit(exc.report, fmt, no_color=no_color, target=release)
        fail(str(exc), EXIT_FINDINGS)
    except (api.UsageError, api.ReleaseError) as exc:
        fail(str(exc))
    except OSError as exc:  # the envelope could not be written (a full disk, a device)
        fail(f"cannot write {exc.filename or 'the envelope'}: {exc.strerror or exc}")
    messages = {
        "created": "signed",
        "added": "co-signed",
        "unchanged": "already signed by this key; nothing changed in",
        "replaced": "signed (the manifest changed since the last signing; "
                    f"{outcome.dropped} old signature(s) dropped)",
    }
    line = (f"{messages[outcome.action]} {outcome.path} with key {outcome.keyid[:16]} "
            f"({key.type}); {outcome.signatures} signature(s)")
    if fmt == "text":
        click.echo(safe(line))
    elif fmt == "sarif":
        # SARIF readers want a log: the validation that signing ran, its findings
        note(line)
        emit(outcome.report, fmt, no_color=no_color, target=release)
    else:
        note(line)
        click.echo(json.dumps({"envelope": str(outcome.path), "action": outcome.action,
                               "keyid": outcome.keyid, "signatures": outcome.signatures,
                               "dropped": outcome.dropped}, indent=2))
    sys.exit(0)
