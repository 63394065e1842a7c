"""`rebuildable export [RELEASE] --to FORMAT [-o FILE]`: the manifest as an in-toto
Statement, as SLSA Provenance v1 (signed with ``--key KEYFILE``: a DSSE envelope), the
signed envelope as a Sigstore bundle, a CycloneDX 1.6 ML-BOM or an SPDX 3.0.1 JSON-LD
document, as JSON on stdout or in FILE.

``--key`` is a private key for ``in-toto`` and ``slsa`` (encrypted keys open with
``REBUILDABLE_KEY_PASSWORD``) and a public key for ``sigstore-bundle``.

Exit 0 written, 1 the manifest has errors (listed on stderr) or nothing to export,
2 usage error or unreadable input.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from rebuildable import api
from rebuildable.cli.common import EXIT_FINDINGS, Choice, fail, note


@click.command("export")
@click.argument("release", default=".", metavar="[RELEASE]")
@click.option("--to", "to", type=Choice(api.export_formats()), required=True,
              help="in-toto: the Statement that signing signs; slsa: SLSA Provenance v1; "
                   "cyclonedx: CycloneDX 1.6 ML-BOM; spdx3: SPDX 3.0.1 JSON-LD.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Write to FILE instead of stdout.")
@click.option("--builder-id", default=api.DEFAULT_BUILDER_ID, show_default=True, metavar="URI",
              help="slsa: runDetails.builder.id, the builder that ran the steps.")
@click.option("--key", "keyfile", default=None, metavar="KEY",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="in-toto, slsa: sign with this private key (a DSSE envelope); "
                   "sigstore-bundle: the public key whose signature goes in the bundle.")
@click.option("--canonical", is_flag=True,
              help="Write RFC 8785 canonical JSON (the bytes a signature covers: give this "
                   "file to `sigstore sign` for a keyless signature).")
def command(*, release: str, to: str, output: Path | None, builder_id: str,
            keyfile: Path | None, canonical: bool) -> None:
    """Export RELEASE (default .) as an in-toto Statement, SLSA provenance or, for a
    signed release, a Sigstore bundle."""
    signing = keyfile is not None and to in api.signable_exports()
    if keyfile is not None and not signing and to != "sigstore-bundle":
        fail(f"--key goes with --to {', '.join(api.signable_exports())} or sigstore-bundle")
    try:
        key = signing_key = None
        if signing and keyfile is not None:
            password = os.environ.get("REBUILDABLE_KEY_PASSWORD")
            signing_key = api.read_private_key(keyfile, password.encode() if password else None)
        elif keyfile is not None:
            key = api.read_public_key(keyfile)
        result = api.export(release, to, builder_id=builder_id, key=key,
                            signing_key=signing_key)
    except api.ReleaseError as exc:
        fail(exc.message)
    except (api.BadKeyError, api.UsageError) as exc:
        fail(str(exc))
    if result.document is None:
        for f in result.findings:
            where = ""
            if f.location is not None and f.location.line is not None:
                where = f" (line {f.location.line})"
            note(f"{f.code}: {f.message}{where}")
        fail(result.error or "nothing to export", EXIT_FINDINGS)
    if canonical:
        data = api.canonical_json(result.document)
    else:
        data = (json.dumps(result.document, indent=2, ensure_ascii=False) + "\n").encode()
    if output is None:
        click.echo(data, nl=False)
        return
    try:
        api.write_file(output, data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    note(f"wrote {output}")
