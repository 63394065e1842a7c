"""`rebuildable verify [RELEASE] --key PUB [--key PUB ...] [--threshold N] [--trust FILE]`.

The signature check alone: who signed, which trusted keys verified, how many are
missing, and whether the signed manifest data and subjects match the release.
Exit 0 verified, 1 not verified, 2 usage error (no keys, a bad key, an impossible
threshold, an unusable policy) or unreadable input.
"""

from __future__ import annotations

from pathlib import Path

import click

from rebuildable import api
from rebuildable.cli.common import (
    fail,
    finish,
    format_option,
    key_option,
    no_color_option,
    strict_option,
    trust_option,
)


@click.command("verify")
@click.argument("release", default=".", metavar="[RELEASE]")
@key_option
@click.option("--threshold", type=click.IntRange(min=1), default=None, metavar="N",
              help="How many distinct --key keys must have signed (default 1; the same key "
                   "given twice counts once).")
@trust_option
@click.option("--bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, metavar="FILE",
              help="Verify FILE (a Sigstore bundle, e.g. from `export --to sigstore-bundle`, "
                   "or a bare DSSE envelope) instead of the release's rebuild.dsse.json.")
@format_option
@strict_option
@no_color_option
def command(*, release: str, keys: tuple[bytes, ...], threshold: int | None,
            trust: Path | None, bundle: Path | None, fmt: str, strict: bool,
            no_color: bool) -> None:
    """Check RELEASE's signature envelope (rebuild.dsse.json) against trusted keys.

    Every --key (or the keys of the --trust policy) is tried against every signature;
    at least --threshold distinct keys (default 1) must have signed the manifest's
    current data. The envelope may also be a Sigstore bundle holding one (recognised by
    its mediaType), in rebuild.dsse.json or given with --bundle.
    """
    options = api.Options(strict=strict, keys=keys, threshold=threshold, trust=trust,
                          bundle=bundle)
    try:
        api.check_signature_options(options)  # usage problems exit 2 before any work
    except api.UsageError as exc:
        fail(str(exc))
    finish(api.verify(release, options), fmt, no_color=no_color, target=release)
