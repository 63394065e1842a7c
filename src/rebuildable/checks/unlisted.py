"""Files the release ships but the manifest does not list.

A regular file no artifact names is a warning (``unlisted.file``): either it belongs in
the manifest or in ``.rebuildignore``. A link, FIFO, device or socket no artifact names
is ``unlisted.special-file``. Folders are never reported, only what is in them.

``.rebuildignore`` at the release root holds gitignore patterns (read with
``pathspec``); a line that is not a valid pattern is reported with its line number. The
manifest, ``rebuild.dsse.json``, ``.rebuildignore`` itself, upstream manifests shipped in
the release (and the files they list) and version-control folders (``.git`` ...) are
never unlisted.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rebuildable.checks.paths import collision_key
from rebuildable.context import Context
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, Location, finding
from rebuildable.model import ENVELOPE_NAME, IGNORE_FILE, KEYLESS_BUNDLE_NAME
from rebuildable.release import EntryType
from rebuildable.state import declare

if TYPE_CHECKING:
    import pathspec

#: folders of version-control systems, never part of a release's content
VCS_FOLDERS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", ".pijul", ".jj"})
#: individual findings before the rest are summed up in one
MAX_REPORTED = 500


def _printable(name: str) -> str:
    """A file-system name with undecodable bytes shown as escapes (safe to print)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _read_ignore(ctx: Context) -> tuple[pathspec.GitIgnoreSpec | None, list[Finding]]:
    entry = ctx.release.entries().get(IGNORE_FILE)
    if entry is None:
        return None, []
    # pathspec and RE2 load only for a release that has an ignore file.
    from rebuildable.ignore import MAX_IGNORE_BYTES, parse_ignore  # noqa: PLC0415

    try:
        with ctx.release.open(IGNORE_FILE) as fh:
            raw = fh.read(MAX_IGNORE_BYTES + 1)
    except (MemberError, OSError) as exc:
        message = exc.message if isinstance(exc, MemberError) else str(exc)
        return None, [finding("unlisted.bad-ignore-pattern",
                              f"{IGNORE_FILE} cannot be read ({message}); it is not used",
                              location=Location(IGNORE_FILE))]
    parsed = parse_ignore(raw)
    findings = [
        finding("unlisted.bad-ignore-pattern",
                f"{IGNORE_FILE} {message}; it is not used" if number is None else
                f"{IGNORE_FILE} line {number}: {message}; the line is skipped",
                location=Location(IGNORE_FILE, number, 1 if number else None))
        for number, message in parsed.problems]
    return parsed.spec, findings


def _listed(ctx: Context) -> set[str]:
    manifest = ctx.manifest
    listed = {a.path for a in manifest.artifacts if a.path is not None}
    listed.update(u.path for u in manifest.upstream if u.path is not None)
    listed.update((ctx.release.manifest_name, ENVELOPE_NAME, KEYLESS_BUNDLE_NAME, IGNORE_FILE))
    # Upstream releases shipped inside this one list their own files.
    for resolved in (ctx.state.upstream or {}).values():
        source = resolved.source
        upstream_manifest = resolved.manifest
        if source is None or upstream_manifest is None:
            continue
        if source not in ctx.release.entries():
            continue  # found outside the release
        folder = posixpath.dirname(source)
        covered = getattr(resolved, "covered_paths", None)
        if callable(covered):
            paths = set(covered())  # its artifacts, envelope and nested upstreams
        else:
            paths = {a.path for a in upstream_manifest.artifacts if a.path is not None}
            paths.add(ENVELOPE_NAME)
        listed.update(posixpath.join(folder, p) if folder else p for p in paths)
    return listed


@declare(needs=["upstream"])
def check(ctx: Context) -> Iterator[Finding]:
    spec, found = _read_ignore(ctx)
    yield from found
    listed = _listed(ctx)
    # Members the container already reported (archive links) are not reported again.
    prefix = ctx.release.prefix
    reported = {str(f.data.get("path"))[len(prefix):] for f in ctx.release.findings
                if f.data and str(f.data.get("path", "")).startswith(prefix)}
    unlisted: list[str] = []
    special: list[tuple[str, str]] = []
    twins = {collision_key(p): p for p in listed}
    collisions: list[tuple[str, str]] = []
    for path, entry in sorted(ctx.release.entries().items()):
        if path in listed:
            continue
        if path.split("/", 1)[0] in VCS_FOLDERS:
            continue
        twin = twins.get(collision_key(path))
        if twin is not None:
            # Ignored or not, and whatever it is: extracted on a case-insensitive or
            # normalising file system, a link there replaces the listed file, and a folder
            # there cannot be made beside it (or it cannot be made beside the folder).
            collisions.append((path, twin))
            continue
        if entry.type is EntryType.DIR or path in reported:
            continue
        if spec is not None and spec.match_file(path):
            continue
        if entry.type is EntryType.FILE:
            unlisted.append(path)
        else:
            what = {EntryType.SYMLINK: "a symbolic link", EntryType.HARDLINK: "a hard link"}.get(
                entry.type, "a FIFO, device or socket")
            if entry.target:
                what += f" to {entry.target!r}"
            special.append((path, what))
    yield from _collisions(ctx, collisions)
    for path in unlisted[:MAX_REPORTED]:
        shown = _printable(path)
        yield finding("unlisted.file", f"{shown} is in the release but no artifact lists it",
                      location=Location(shown), data={"path": shown})
    if len(unlisted) > MAX_REPORTED:
        rest = unlisted[MAX_REPORTED:]
        yield finding("unlisted.file",
                      f"{len(rest)} more files are in the release but no artifact lists them "
                      f"(first: {_printable(rest[0])})",
                      data={"count": len(rest), "paths": [_printable(p) for p in rest[:100]]})
    for path, what in special[:MAX_REPORTED]:
        shown = _printable(path)
        yield finding("unlisted.special-file",
                      f"{shown} is {_printable(what)}; no artifact names it and it never "
                      "counts as a shipped file", location=Location(shown), data={"path": shown})
    if len(special) > MAX_REPORTED:
        yield finding("unlisted.special-file",
                      f"{len(special) - MAX_REPORTED} more links or special files",
                      data={"count": len(special) - MAX_REPORTED})


def _collisions(ctx: Context, collisions: list[tuple[str, str]]) -> Iterator[Finding]:
    """Unlisted files that a case-insensitive or normalising file system (or an
    extraction there) makes one with a listed path: which bytes a reader gets depends on
    the machine, so it is an error, not an unlisted file."""
    ids = {a.path: a.id for a in ctx.manifest.artifacts if a.path is not None}
    entries = ctx.release.entries()
    for path, twin in collisions[:MAX_REPORTED]:
        shown = _printable(path)
        entry = entries.get(path)
        what = {EntryType.DIR: "a folder", EntryType.SYMLINK: "a symbolic link",
                EntryType.HARDLINK: "a hard link", EntryType.OTHER: "a special file"}.get(
                    entry.type if entry is not None else EntryType.FILE, "")
        yield finding("path.collision",
                      f"{shown}{f' ({what})' if what else ''} differs from the listed "
                      f"{_printable(twin)} only by letter case or Unicode normalisation: on a "
                      "case-insensitive or normalising file system the two are one file",
                      artifact=ids.get(twin),
                      location=Location(shown), data={"path": shown, "other": twin})
    if len(collisions) > MAX_REPORTED:
        yield finding("path.collision",
                      f"{len(collisions) - MAX_REPORTED} more files differ from listed paths "
                      "only by letter case or Unicode normalisation",
                      data={"count": len(collisions) - MAX_REPORTED})
