"""Artifact paths: safe, portable, unique, and naming a regular file of the release.

A path is checked as text first (absolute, ``..``, backslash, empty or ``.`` segment,
control characters, length, NFC, reserved names), then against the other paths
(duplicates, case or normalisation collisions), then against the release itself
(links anywhere along it, non-regular files, hard links). External ``uri`` values must
be absolute URIs.

Artifacts whose path is unusable are recorded in ``ctx.state.unusable_paths``
(artifact pointers) so that the integrity check does not report them a second time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

from rebuildable.context import Context
from rebuildable.findings import Finding, Location, finding
from rebuildable.model import ENVELOPE_NAME, KEYLESS_BUNDLE_NAME, MANIFEST_NAMES, Artifact
from rebuildable.release import EntryType
from rebuildable.state import declare
from rebuildable.uris import uri_problem

MAX_PATH_BYTES = 4096
MAX_SEGMENT_BYTES = 255

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DRIVE = re.compile(r"[A-Za-z]:")
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
_RESERVED = frozenset(n.casefold()
                      for n in (*MANIFEST_NAMES, ENVELOPE_NAME, KEYLESS_BUNDLE_NAME))
_WINDOWS_CHARS = re.compile(r'[<>:"|?*]')
#: the common case, checked in one match: segments of printable ASCII (always NFC) with
#: no space, backslash or character Windows forbids (<>:"|?*), none empty and none ending
#: with a dot (so none is '.' or '..'); in 255 characters, nothing is too long
_SEGMENT = r"[!#-)+-.0-9;=@-\[\]-{}~]*[!#-)+-\-0-9;=@-\[\]-{}~]"
_PLAIN = re.compile(f"{_SEGMENT}(?:/{_SEGMENT})*")
#: Windows device names as a segment's stem, in a path that matched :data:`_PLAIN`
_PLAIN_RESERVED = re.compile(r"(?:\A|/)(?:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:\.|/|\Z)",
                             re.IGNORECASE)


def syntax_problems(path: str) -> list[tuple[str, str]]:
    """(code, reason) for every way ``path`` breaks the path rules, as text alone."""
    if len(path) <= MAX_SEGMENT_BYTES and _PLAIN.fullmatch(path):
        return []
    out: list[tuple[str, str]] = []
    if _CONTROL.search(path):
        out.append(("path.control-character", "holds NUL or another control character"))
    if "\\" in path:
        out.append(("path.backslash", "holds a backslash"))
    if path.startswith("/") or _DRIVE.match(path):
        out.append(("path.absolute", "is absolute" if path.startswith("/")
                    else "starts with a drive letter"))
    parts = path.split("/")
    if ".." in parts:
        out.append(("path.escapes", "has a '..' segment"))
    inner = parts[1:] if path.startswith("/") else parts
    if any(p in ("", ".") for p in inner):
        what = "ends with '/'" if path.endswith("/") else "has an empty or '.' segment"
        out.append(("path.empty-segment", what))
    encoded = path.encode("utf-8", "surrogatepass")
    if len(encoded) > MAX_PATH_BYTES:
        out.append(("path.too-long", f"is {len(encoded)} bytes long (limit {MAX_PATH_BYTES})"))
    elif any(len(p.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES for p in parts):
        out.append(("path.too-long", f"has a segment longer than {MAX_SEGMENT_BYTES} bytes"))
    if unicodedata.normalize("NFC", path) != path:
        out.append(("path.not-nfc", "is not in Unicode NFC"))
    return out


def text_problem(path: str) -> bool:
    """Does ``path`` break a rule that judges it as text (PATH-1 to PATH-7, PATH-10)?"""
    return bool(syntax_problems(path)) or path.casefold() in _RESERVED


def portability_problem(path: str) -> str | None:
    """Why ``path`` cannot be created on Windows (reserved names, characters, trailing
    dot or space), or None."""
    if (len(path) <= MAX_SEGMENT_BYTES and _PLAIN.fullmatch(path)
            and not _PLAIN_RESERVED.search(path)):
        return None
    for part in path.split("/"):
        if not part or part in (".", ".."):
            continue
        stem = part.split(".", 1)[0].rstrip(" ").casefold()
        if stem in _WINDOWS_RESERVED:
            return f"segment {part!r} is a reserved device name on Windows"
        if _WINDOWS_CHARS.search(part):
            return f"segment {part!r} holds a character Windows does not allow (<>:\"|?*)"
        if part.endswith((".", " ")):
            return f"segment {part!r} ends with a dot or space"
    return None


def collision_key(path: str) -> str:
    """Paths with equal keys name the same file on a case-insensitive or normalising
    file system."""
    return unicodedata.normalize("NFC", path).casefold()


def _upstream_uris(ctx: Context) -> Iterator[Finding]:
    # An upstream's uri is shown to people (reports, registry pages) and used to find a
    # local copy, so it obeys the same rule as an artifact's: markup or spaces are never
    # passed on as if they were an address.
    for up in ctx.manifest.upstream:
        if up.uri is None or up.path is not None:
            continue
        problem = uri_problem(up.uri)
        if problem is not None:
            yield finding("path.bad-uri", f"upstream {up.id}: uri {up.uri!r} {problem}",
                          upstream=up.id,
                          location=ctx.locate(f"{up.pointer}/manifest/uri"))


def _locator(ctx: Context, pointer: str) -> Callable[[], Location]:
    """Locating is not free on big manifests: only do it for a finding."""
    return lambda: ctx.locate(pointer)


@declare(provides=["unusable_paths"])
def check(ctx: Context) -> Iterator[Finding]:
    unusable: set[str] = set()
    ctx.state.unusable_paths = unusable
    first_by_path: dict[str, Artifact] = {}
    first_by_key: dict[str, Artifact] = {}
    folders: set[str] = set()
    yield from _upstream_uris(ctx)
    for artifact in ctx.manifest.artifacts:
        if artifact.uri is not None and artifact.path is None:
            problem = uri_problem(artifact.uri)
            if problem is not None:
                yield finding("path.bad-uri",
                              f"artifact {artifact.id}: uri {artifact.uri!r} {problem}",
                              artifact=artifact.id,
                              location=ctx.locate(f"{artifact.pointer}/uri"))
            continue
        path = artifact.path
        if path is None:
            continue
        where = _locator(ctx, f"{artifact.pointer}/path")
        problems = syntax_problems(path)
        for code, reason in problems:
            yield finding(code, f"artifact {artifact.id}: path {path!r} {reason}",
                          artifact=artifact.id, location=where())
        if problems:
            unusable.add(artifact.pointer)
            continue
        if path.casefold() in _RESERVED:
            yield finding("path.reserved",
                          f"artifact {artifact.id}: {path!r} is the manifest or signature "
                          "envelope, which describe the release and cannot be part of it",
                          artifact=artifact.id, location=where())
            unusable.add(artifact.pointer)
            continue
        portability = portability_problem(path)
        if portability is not None:
            yield finding("path.not-portable", f"artifact {artifact.id}: {portability}",
                          artifact=artifact.id, location=where())
        first = first_by_path.get(path)
        if first is not None:
            yield finding("path.duplicate",
                          f"artifact {artifact.id}: path {path!r} is already the path of "
                          f"artifact {first.id}", artifact=artifact.id, location=where(),
                          data={"other": first.id})
            continue
        first_by_path[path] = artifact
        key = collision_key(path)
        other = first_by_key.get(key)
        if other is not None:
            yield finding("path.collision",
                          f"artifact {artifact.id}: path {path!r} and {other.path!r} (artifact "
                          f"{other.id}) name the same file on case-insensitive or "
                          "Unicode-normalising file systems", artifact=artifact.id,
                          location=where(), data={"other": other.id})
        else:
            first_by_key[key] = artifact
        yield from _on_disk(ctx, artifact, path, unusable, folders)


def _on_disk(ctx: Context, artifact: Artifact, path: str, unusable: set[str],
             folders: set[str]) -> Iterator[Finding]:
    """``folders``: parents already seen to be folders all the way down from the root
    (files of one folder share the walk)."""
    entries = ctx.release.entries()
    where = _locator(ctx, f"{artifact.pointer}/path")
    folder = path.rpartition("/")[0]
    if folder and folder not in folders:
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = entries.get("/".join(parts[:i]))
            if parent is None:
                return  # missing: the integrity check reports it
            if parent.type in (EntryType.SYMLINK, EntryType.HARDLINK):
                to = f" (to {parent.target!r})" if parent.target else ""
                yield finding("path.symlink",
                              f"artifact {artifact.id}: path {path!r} passes through the link "
                              f"{parent.path!r}{to}", artifact=artifact.id, location=where())
                unusable.add(artifact.pointer)
                return
            if parent.type is not EntryType.DIR:
                return  # a file where a folder should be: missing, for the integrity check
        folders.add(folder)
    entry = entries.get(path)
    if entry is None:
        return
    if entry.type is EntryType.SYMLINK:
        yield finding("path.symlink",
                      f"artifact {artifact.id}: {path!r} is a symbolic link"
                      + (f" to {entry.target!r}" if entry.target else "")
                      + "; links never count as shipped files",
                      artifact=artifact.id, location=where())
        unusable.add(artifact.pointer)
    elif entry.type is EntryType.HARDLINK:
        yield finding("path.not-regular",
                      f"artifact {artifact.id}: {path!r} is a hard-link member of the archive "
                      f"(to {entry.target!r}); links never count as shipped files",
                      artifact=artifact.id, location=where())
        unusable.add(artifact.pointer)
    elif entry.type is not EntryType.FILE:
        what = "a folder" if entry.type is EntryType.DIR else "a FIFO, device or socket"
        yield finding("path.not-regular",
                      f"artifact {artifact.id}: {path!r} is {what}, not a regular file",
                      artifact=artifact.id, location=where())
        unusable.add(artifact.pointer)
    elif entry.nlink > 1:
        yield finding("path.hardlink",
                      f"artifact {artifact.id}: {path!r} has {entry.nlink} hard links; another "
                      "name can change its bytes", artifact=artifact.id, location=where())
