"""`rebuildable validate [RELEASE]`: every static check, every problem at once.

RELEASE is a folder, a manifest file or an archive (``.tar``, ``.tar.gz``, ``.tgz``,
``.zip``; ``-`` reads an archive from standard input); the default is the current
folder. Exit codes: 0 no errors (warnings allowed), 1 errors (or warnings with
``--strict``), 2 usage error or unreadable input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

import click

from rebuildable import api
from rebuildable.cli.common import (
    Choice,
    check_keyless_options,
    exit_code,
    fail,
    finish,
    format_option,
    key_option,
    keyless_options,
    no_color_option,
    progress_for,
    strict_option,
    threshold_option,
    trust_option,
    workers_option,
)

#: [LOAD-9]'s default bound on a manifest's size
DEFAULT_MAX_MANIFEST = 128 << 20

#: verdicts that ``--require`` can turn into errors
REQUIREMENTS = api.requirements()


@click.command("validate")
@click.argument("release", default=".", metavar="[RELEASE]")
@format_option
@strict_option
@key_option
@threshold_option
@trust_option
@keyless_options
@click.option("--require", "require", multiple=True, type=Choice(REQUIREMENTS),
              help="A verdict that must hold; when it does not, that is an error. Repeatable.")
@click.option("--upstream-dir", "upstream_dirs", multiple=True, metavar="DIR",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder holding upstream releases' manifests. Repeatable.")
@click.option("--registry", "registry", metavar="URL", default=None,
              help="A registry to fetch upstream manifests from, by digest (after "
                   "--upstream-dir).")
@click.option("--fetch", is_flag=True,
              help="Stream external (uri) artifacts and check their digests and sizes "
                   "(https, http, file, s3 and other fsspec schemes); nothing is stored.")
@click.option("--fetch-concurrency", type=click.IntRange(min=1, max=64), default=4,
              show_default=True, metavar="N", help="With --fetch: transfers at once.")
@click.option("--fetch-retries", type=click.IntRange(min=0, max=20), default=3,
              show_default=True, metavar="N",
              help="With --fetch: further attempts after a transient failure (resumed).")
@click.option("--dask", "dask", default=None, metavar="ADDRESS",
              help="Fetch and hash external artifacts as tasks on this Dask scheduler "
                   "(tcp://host:port); implies --fetch.")
@click.option("--cache", "use_cache", is_flag=True,
              help="Re-use the digests of files unchanged (device, inode, size, mtime, "
                   "ctime) since a previous run with --cache; kept in the user's cache "
                   "folder ($XDG_CACHE_HOME or ~/.cache, then rebuildable/).")
@click.option("--cache-dir", "cache_dir", metavar="DIR", default=None,
              type=click.Path(file_okay=False, path_type=Path),
              help="Like --cache, with the cache kept in DIR.")
@click.option("--detail", is_flag=True,
              help="Report every finding and every per-artifact entry; by default infos "
                   "that repeat more than 20 times are folded into one, with a count "
                   "and examples, and per-artifact sections list 100 entries.")
@click.option("--max-manifest-size", "max_manifest_size", metavar="BYTES",
              type=click.IntRange(min=1), default=DEFAULT_MAX_MANIFEST, show_default=True,
              help="Refuse a manifest larger than this (load.too-large). The whole manifest "
                   "is held in memory: raise it only for one you expect to be this large.")
@workers_option
@no_color_option
@click.option("-q", "--quiet", is_flag=True,
              help="text: print the report only when the release fails (for hooks and CI).")
def command(*, release: str, fmt: str, strict: bool, keys: tuple[bytes, ...],
            threshold: int | None, trust: Path | None, identity: str | None,
            issuer: str | None, sigstore_instance: str, require: tuple[str, ...],
            upstream_dirs: tuple[Path, ...], registry: str | None, fetch: bool,
            fetch_concurrency: int, fetch_retries: int, dask: str | None, use_cache: bool,
            cache_dir: Path | None, detail: bool, max_manifest_size: int,
            workers: int,
            no_color: bool, quiet: bool) -> None:
    """Check that RELEASE (folder, manifest or archive; - reads an archive from standard
    input; default .) is complete and intact.

    Reports every problem at once, each with its code, the artifact or step it is
    about and its place in the manifest. Exit code 0: no errors; 1: errors found (or
    warnings, with --strict); 2: usage error or unreadable input.
    """
    check_keyless_options(identity, issuer)
    if keys or trust is not None or threshold is not None:
        # A key that is no key, or a threshold no set of keys can meet, is the caller's
        # mistake (exit 2), not a property of the release.
        try:
            api.check_signature_options(api.Options(keys=keys, threshold=threshold,
                                                    trust=trust))
        except api.UsageError as exc:
            fail(str(exc))
    try:
        resolver = api.registry_resolver(registry) if registry else None
    except api.UsageError as exc:
        fail(str(exc))
    with progress_for(fmt) as progress:
        options = api.Options(strict=strict, workers=workers, progress=progress, detail=detail,
                          upstream_dirs=tuple(upstream_dirs), keys=keys, threshold=threshold,
                          trust=trust, require=frozenset(require), identity=identity,
                          issuer=issuer, sigstore_instance=sigstore_instance,
                          fetch=fetch or bool(dask),
                          fetch_options=api.FetchOptions(concurrency=fetch_concurrency,
                                                         retries=fetch_retries),
                          dask=dask, upstream_resolver=resolver,
                          limits=api.Limits(max_bytes=max_manifest_size),
                          cache_dir=cache_dir or (api.default_cache_dir() if use_cache else None))
        target: str | BinaryIO = sys.stdin.buffer if release == "-" else release
        report = api.validate(target, options)
    if quiet and fmt == "text" and report.ok:
        sys.exit(exit_code(report))
    finish(report, fmt, no_color=no_color, target=release)
