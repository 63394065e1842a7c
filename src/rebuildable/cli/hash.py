"""`rebuildable hash PATH...`: print digests the way `sha256sum` does.

One line ``<hex>  <path>`` per file, or with several algorithms (or ``--tag``) one
BSD-style line ``SHA256 (path) = <hex>`` per file and algorithm, so that no line is
ambiguous; ``--format json`` gives one JSON object keyed by path. Folders are
hashed only with ``--recursive``; inside them, links and special files are skipped
with a note, as they never count as shipped files. ``-`` reads standard input.

``--check FILE...`` reads checksum lists and checks them the way ``sha256sum -c`` does:
``name: OK`` / ``name: FAILED`` / ``name: FAILED open or read`` lines on stdout, warnings
counting malformed lines, mismatches and unreadable files on stderr; exit 0 when every
listed file matched, 1 otherwise (``--quiet`` drops the OK lines, ``--status`` prints
nothing, ``--strict`` fails on malformed lines, ``--ignore-missing`` skips absent files).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from rebuildable import api
from rebuildable.cli.common import EXIT_FINDINGS, EXIT_OK, Choice, fail, note, progress_for

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
@click.option("--alg", "algorithms", multiple=True, type=Choice(api.hash_algorithms()),
              help=f"Digest algorithm; repeatable (default: {api.DEFAULT_ALGORITHM}).")
@click.option("--format", "fmt", type=Choice(("text", "json")), default="text",
              show_default=True, help="text: like sha256sum; json: one object keyed by path.")
@click.option("--tag", is_flag=True,
              help="BSD-style lines 'SHA256 (path) = <hex>' (always, with several --alg).")
@click.option("-r", "--recursive", is_flag=True, help="Hash every regular file in folders.")
@click.option("-c", "--check", is_flag=True,
              help="Read checksum lists (PATHs) and check the files they name.")
@click.option("--quiet", is_flag=True, help="--check: do not print OK for each good file.")
@click.option("--status", is_flag=True, help="--check: print nothing; the exit code tells.")
@click.option("--strict", is_flag=True, help="--check: exit 1 on improperly formatted lines.")
@click.option("-w", "--warn", is_flag=True,
              help="--check: warn about each improperly formatted line.")
@click.option("--ignore-missing", is_flag=True,
              help="--check: do not fail or report status for missing files.")
def command(*, paths: tuple[str, ...], algorithms: tuple[str, ...], fmt: str, tag: bool,
            recursive: bool, check: bool, quiet: bool, status: bool, strict: bool, warn: bool,
            ignore_missing: bool) -> None:
    """Print the digests of files (- reads standard input), or with --check verify the
    files named in checksum lists (sha256sum -c)."""
    algs = tuple(dict.fromkeys(algorithms)) or (api.DEFAULT_ALGORITHM,)
    for alg in algs:
        if not api.algorithm_available(alg):
            fail(f"digest algorithm {alg!r} is not available here "
                 f"(pip install 'rebuildable[{alg}]')")
    if check:
        if len(algs) > 1 or fmt != "text" or tag or recursive:
            fail("--check takes at most one --alg (for untagged lines) and no --format, "
                 "--tag or --recursive")
        flags = _CheckFlags(quiet=quiet, status=status, strict=strict, warn=warn,
                            ignore_missing=ignore_missing)
        sys.exit(max(_check_list(p, algs[0], flags) for p in paths))
    if quiet or status or strict or warn or ignore_missing:
        fail("--quiet, --status, --strict, --warn and --ignore-missing go with --check")
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


# -- hash --check -----------------------------------------------------------------------

class _CheckFlags:
    def __init__(self, *, quiet: bool, status: bool, strict: bool, warn: bool,
                 ignore_missing: bool) -> None:
        self.quiet = quiet or status
        self.status = status
        self.strict = strict
        self.warn = warn and not status
        self.ignore_missing = ignore_missing


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _read_list(source: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        fail(f"{source}: {exc.strerror or exc}", EXIT_FINDINGS)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{source}: not UTF-8 text (byte {exc.start})", EXIT_FINDINGS)


def _check_list(source: str, default_alg: str, flags: _CheckFlags) -> int:
    """Check one checksum list; the exit code it earns (0 or 1)."""
    listing = api.parse_checksums(_read_list(source), default_alg)
    label = "standard input" if source == "-" else source
    if flags.warn:
        for number in listing.malformed:
            note(f"{label}: {number}: improperly formatted {default_alg} checksum line")
    if not listing.entries:
        if not flags.status:
            note(f"{label}: no properly formatted checksum lines found")
        return EXIT_FINDINGS
    mismatched = unreadable = verified = 0
    for entry in listing.entries:
        outcome = next(iter(api.hash_paths([entry.path], (entry.algorithm,))))
        # coreutils escapes a checked name only when it holds a line break
        prefix, shown = (_escape(entry.path) if "\n" in entry.path or "\r" in entry.path
                         else ("", entry.path))
        if outcome.error is not None:
            if flags.ignore_missing and not Path(entry.path).exists():
                continue
            unreadable += 1
            if not flags.status:
                note(f"{shown}: {outcome.error}")
                click.echo(f"{prefix}{shown}: FAILED open or read")
            continue
        verified += 1
        if outcome.digests[entry.algorithm] == entry.digest:
            if not flags.quiet:
                click.echo(f"{prefix}{shown}: OK")
            continue
        mismatched += 1
        if not flags.status:
            click.echo(f"{prefix}{shown}: FAILED")
    if not flags.status:
        if listing.malformed:
            note("WARNING: " + _plural(len(listing.malformed), "line is", "lines are")
                 + " improperly formatted")
        if unreadable:
            note("WARNING: " + _plural(unreadable, "listed file", "listed files")
                 + " could not be read")
        if mismatched:
            note("WARNING: " + _plural(mismatched, "computed checksum", "computed checksums")
                 + " did NOT match")
        if flags.ignore_missing and verified == 0:
            note(f"{label}: no file was verified")
    failed = (mismatched or unreadable or (flags.strict and listing.malformed)
              or (flags.ignore_missing and verified == 0))
    return EXIT_FINDINGS if failed else EXIT_OK
