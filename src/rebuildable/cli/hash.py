"""`rebuildable hash PATH...`: print digests the way `sha256sum` does.

One line ``<hex>  <path>`` per file, or with several algorithms (or ``--tag``) one
BSD-style line ``SHA256 (path) = <hex>`` per file and algorithm, so that no line is
ambiguous; ``--format json`` gives one JSON object keyed by path. Folders are
hashed only with ``--recursive``; inside them, links and special files are skipped
with a note, as they never count as shipped files. ``-`` reads standard input.
"""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import click

from rebuildable.cli.common import EXIT_FINDINGS, EXIT_OK, fail, note, progress_for
from rebuildable.digest import ALGORITHMS, DEFAULT_ALGORITHM, available, hash_stream
from rebuildable.errors import MemberError
from rebuildable.release import EntryType, FolderRelease

Opener = Callable[[], BinaryIO]


def _open_file(path: Path) -> BinaryIO:
    return path.open("rb")


def _stdin() -> BinaryIO:
    return sys.stdin.buffer


_TAGS = {"sha256": "SHA256", "sha384": "SHA384", "sha512": "SHA512", "sha3-256": "SHA3-256",
         "sha3-512": "SHA3-512", "blake2b": "BLAKE2b", "blake3": "BLAKE3", "md5": "MD5",
         "sha1": "SHA1"}


def _targets(paths: tuple[str, ...], recursive: bool) -> Iterator[tuple[str, Opener | Exception]]:
    """(label, opener) pairs in order; an opener returns a binary stream or raises."""
    for raw in paths:
        if raw == "-":
            yield raw, _stdin
            continue
        path = Path(raw)
        try:
            st = path.stat()
        except OSError as exc:
            yield raw, exc
            continue
        if stat.S_ISDIR(st.st_mode):
            if not recursive:
                yield raw, IsADirectoryError(f"{raw}: is a folder (pass --recursive to hash "
                                             "every file in it)")
                continue
            release = FolderRelease(path, "", raw)
            for rel, entry in sorted(release.entries().items()):
                label = str(path / rel) if raw not in (".", "./") else rel
                if entry.type is EntryType.FILE:
                    yield label, partial(release.open, rel)
                elif entry.type is EntryType.SYMLINK:
                    note(f"skipped {label}: symbolic link")
                elif entry.type is EntryType.OTHER:
                    note(f"skipped {label}: not a regular file")
            continue
        if not stat.S_ISREG(st.st_mode):
            yield raw, OSError(f"{raw}: not a regular file")
            continue
        yield raw, partial(_open_file, path)


def _size_of(stream: BinaryIO) -> int:
    """The size of a regular file behind ``stream`` (0 when unknown: pipes, stdin)."""
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _escape(label: str) -> tuple[str, str]:
    """Escape like coreutils: a leading backslash marks a name holding \\ or a newline."""
    if "\\" in label or "\n" in label or "\r" in label:
        return "\\", label.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return "", label


@click.command("hash")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--alg", "algorithms", multiple=True, type=click.Choice(tuple(ALGORITHMS)),
              help=f"Digest algorithm; repeatable (default: {DEFAULT_ALGORITHM}).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="text: like sha256sum; json: one object keyed by path.")
@click.option("--tag", is_flag=True,
              help="BSD-style lines 'SHA256 (path) = <hex>' (always, with several --alg).")
@click.option("-r", "--recursive", is_flag=True, help="Hash every regular file in folders.")
def command(*, paths: tuple[str, ...], algorithms: tuple[str, ...], fmt: str, tag: bool,
            recursive: bool) -> None:
    """Print the digests of files (- reads standard input)."""
    algs = tuple(dict.fromkeys(algorithms)) or (DEFAULT_ALGORITHM,)
    for alg in algs:
        if not available(alg):
            fail(f"digest algorithm {alg!r} is not available here "
                 f"(pip install 'rebuildable[{alg}]')")
    failed = False
    results: dict[str, dict[str, Any]] = {}
    with progress_for(fmt) as progress:
        for label, opener in _targets(paths, recursive):
            if isinstance(opener, Exception):
                message = (opener.strerror if isinstance(opener, OSError) and opener.strerror
                           else str(opener))
                note(message if message.startswith(label) else f"{label}: {message}")
                failed = True
                continue
            try:
                stream: BinaryIO = opener()
                try:
                    progress.start(label, _size_of(stream))
                    digests, size = hash_stream(stream, algs, progress.advance)
                    progress.finish()
                finally:
                    if label != "-":
                        stream.close()
            except MemberError as exc:
                note(f"{label}: {exc.message}")
                failed = True
                continue
            except OSError as exc:
                note(f"{label}: {exc.strerror or exc}")
                failed = True
                continue
            if fmt == "json":
                results[label] = {"size": size, "digest": digests}
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
