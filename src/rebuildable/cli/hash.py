"""`rebuildable hash PATH...`: print digests the way `sha256sum` does.

One line ``<hex>  <path>`` per file, or with several algorithms (or ``--tag``) one
BSD-style line ``SHA256 (path) = <hex>`` per file and algorithm, so that no line is
ambiguous; ``--format json`` gives one JSON object keyed by path. Folders are
hashed only with ``--recursive``; inside them, links and special files are skipped
with a note, as they never count as shipped files. ``-`` reads standard input.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from rebuildable import api
from rebuildable.cli.common import EXIT_FINDINGS, EXIT_OK, fail, note, progress_for

_TAGS = {"sha256": "SHA256", "sha384": "SHA384", "sha512": "SHA512", "sha3-256": "SHA3-256",
         "sha3-512": "SHA3-512", "blake2b": "BLAKE2b", "blake3": "BLAKE3", "md5": "MD5",
         "sha1": "SHA1"}


def _escape(label: str) -> tuple[str, str]:
    """Escape like coreutils: a leading backslash marks a name holding \\ or a newline."""
    if "\\" in label or "\n" in label or "\r" in label:
        return "\\", label.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return "", label


@click.command("hash")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--alg", "algorithms", multiple=True, type=click.Choice(api.hash_algorithms()),
              help=f"Digest algorithm; repeatable (default: {api.DEFAULT_ALGORITHM}).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="text: like sha256sum; json: one object keyed by path.")
@click.option("--tag", is_flag=True,
              help="BSD-style lines 'SHA256 (path) = <hex>' (always, with several --alg).")
@click.option("-r", "--recursive", is_flag=True, help="Hash every regular file in folders.")
def command(*, paths: tuple[str, ...], algorithms: tuple[str, ...], fmt: str, tag: bool,
            recursive: bool) -> None:
    """Print the digests of files (- reads standard input)."""
    algs = tuple(dict.fromkeys(algorithms)) or (api.DEFAULT_ALGORITHM,)
    for alg in algs:
        if not api.algorithm_available(alg):
            fail(f"digest algorithm {alg!r} is not available here "
                 f"(pip install 'rebuildable[{alg}]')")
    failed = False
    results: dict[str, dict[str, Any]] = {}
    with progress_for(fmt) as progress:
        for outcome in api.hash_paths(paths, algs, recursive=recursive, stdin=sys.stdin.buffer,
                                      progress=progress):
            label = outcome.label
            if outcome.error is not None:
                if outcome.skipped:
                    note(f"skipped {label}: {outcome.error}")
                    continue
                message = outcome.error
                if not recursive and message.endswith("recursively)"):
                    message = f"{label}: is a folder (pass --recursive to hash every file in it)"
                note(message)
                failed = True
                continue
            digests = outcome.digests
            if fmt == "json":
                results[label] = {"size": outcome.size, "digest": digests}
                continue
            prefix, shown = _escape(label)
            for alg in algs:
                if tag or len(algs) > 1:
                    click.echo(f"{prefix}{_TAGS[alg]} ({shown}) = {digests[alg]}")
                else:
                    click.echo(f"{prefix}{digests[alg]}  {shown}")
    if fmt == "json":
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)
