"""The core of ``rebuildable init``: scan a folder, hash every file, guess each file's
kind, and build a draft manifest that validates.

Nothing here prints or exits: :func:`build_draft` returns a :class:`Draft` (the
manifest data, its YAML text, and what was skipped and why), and
:func:`write_manifest` writes it, refusing to overwrite without ``force``. Only
regular files count; links and special files are skipped and reported, as are files
whose names could never validate (not NFC, backslashes, control characters).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec

from rebuildable._version import __version__
from rebuildable.atomic import write_atomic
from rebuildable.checks.unlisted import VCS_FOLDERS
from rebuildable.defaults import DEFAULT_ALGORITHM, DEFAULT_VERSION, MANIFEST_NAME
from rebuildable.digest import ALGORITHMS, HashJob, HashResult, available, hash_members
from rebuildable.draft_kinds import guess_kind
from rebuildable.dump import dump_yaml
from rebuildable.errors import MemberError, RebuildableError, UsageError
from rebuildable.formats import FormatInfo, sniff
from rebuildable.ignore import MAX_IGNORE_BYTES, parse_ignore
from rebuildable.kinds import flat_vector
from rebuildable.model import (
    ENVELOPE_NAME,
    IGNORE_FILE,
    KEYLESS_BUNDLE_NAME,
    MANIFEST_NAMES,
    SPEC_VERSION,
)
from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.release import EntryType, FolderRelease

__all__ = [
    "DEFAULT_VERSION",
    "Draft",
    "DraftError",
    "DraftUsageError",
    "Skipped",
    "build_draft",
    "guess_kind",
    "slugify",
    "unique_ids",
    "write_manifest",
]


#: how much of each file is read to recognise its format
HEAD_BYTES = 4096
_ID_MAX = 128

HEADER = f"""\
Draft provenance manifest written by `rebuildable init` (rebuildable {__version__}).

Every file below was hashed. Before you publish:
  1. check each artifact's `kind` (a guess from its name and content) and `license`;
  2. add `steps:` saying how the outputs are made from the sources, for example
       steps:
         - id: build
           run: make
           inputs: [makefile, src-main.c]
           outputs: [dist-hello]
  3. run `rebuildable validate` until it reports no errors, then
     `rebuildable sign --key KEYFILE`.
Spec: {SPEC_VERSION}."""


class DraftError(RebuildableError):
    """No draft can be made of the folder: a file cannot be read, or nothing to list."""


class DraftUsageError(DraftError, UsageError):
    """The caller asked for a draft that cannot be: a bad algorithm or version, an
    unreadable ignore file, or a manifest already in the way."""


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Draft:
    data: dict[str, Any]
    text: str
    skipped: list[Skipped] = field(default_factory=list)
    #: listed files whose bytes are a damaged instance of a known format
    damaged: list[Skipped] = field(default_factory=list)
    total_bytes: int = 0

    @property
    def artifact_count(self) -> int:
        return len(self.data["artifacts"])

    def kind_counts(self) -> dict[str, int]:
        """Artifacts per kind, most common first."""
        return kind_counts(self.data)


# -- ids ----------------------------------------------------------------------------------

_NOT_ID = re.compile(r"[^a-z0-9._-]+")


def slugify(path: str) -> str:
    """An artifact id from a path: ``src/Train Model.py`` -> ``src-train-model.py``."""
    ascii_text = path if path.isascii() else (
        unicodedata.normalize("NFKD", path).encode("ascii", "ignore").decode("ascii"))
    slug = _NOT_ID.sub("-", ascii_text.lower().replace("/", "-"))
    slug = re.sub(r"-*\.-*", ".", re.sub(r"-{2,}", "-", slug))
    slug = slug.lstrip("._-").rstrip("-")
    if len(slug) > _ID_MAX:
        slug = slug[:_ID_MAX].rstrip("._-")
    return slug or "artifact"


def unique_ids(paths: Iterable[str]) -> dict[str, str]:
    """Slug ids for ``paths`` (in order), made unique with ``-2``, ``-3``... suffixes."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for path in paths:
        base = slugify(path)
        ident = base
        n = 2
        while ident in taken:
            tail = f"-{n}"
            ident = base[:_ID_MAX - len(tail)] + tail
            n += 1
        taken.add(ident)
        out[path] = ident
    return out


# -- scanning -------------------------------------------------------------------------------

def _name_problem(path: str) -> str | None:
    """Why a path could never validate as an artifact path, or None."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not valid UTF-8"
    if unicodedata.normalize("NFC", path) != path:
        return "its name is not in Unicode NFC (rename it)"
    if "\\" in path:
        return "its name holds a backslash (rename it)"
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        return "its name holds a control character (rename it)"
    return None


def _load_ignore(release: FolderRelease) -> pathspec.GitIgnoreSpec | None:
    """``.rebuildignore`` read as the ``unlisted`` check reads it (rebuildable.ignore);
    a bad line is an error here."""
    entry = release.entries().get(IGNORE_FILE)
    if entry is None or entry.type is not EntryType.FILE:
        return None
    try:
        with release.open(IGNORE_FILE) as fh:
            raw = fh.read(MAX_IGNORE_BYTES + 1)
    except (OSError, MemberError) as exc:
        detail = exc.message if isinstance(exc, MemberError) else str(exc)
        raise DraftUsageError(f"{IGNORE_FILE} cannot be read: {detail}") from exc
    parsed = parse_ignore(raw)
    for number, message in parsed.problems:
        where = f" line {number}:" if number is not None else ""
        raise DraftUsageError(f"{IGNORE_FILE}{where} {message}")  # the first problem
    return parsed.spec


def scan(release: FolderRelease) -> tuple[list[tuple[str, int]], list[Skipped]]:
    """The regular files to list, as (path, size) sorted by path, and what was skipped."""
    ignore = _load_ignore(release)
    reserved = {*MANIFEST_NAMES, ENVELOPE_NAME, KEYLESS_BUNDLE_NAME, IGNORE_FILE}
    files: list[tuple[str, int]] = []
    skipped: list[Skipped] = []
    folded: dict[str, str] = {}
    vcs_noted: set[str] = set()
    for path, entry in sorted(release.entries().items()):
        top = path.split("/", 1)[0]
        if top in VCS_FOLDERS:
            if top not in vcs_noted:
                vcs_noted.add(top)
                skipped.append(Skipped(top + "/", "version-control folder"))
            continue
        if path in reserved or entry.type is EntryType.DIR:
            continue
        if ignore is not None and ignore.match_file(path):
            continue
        if entry.type is EntryType.SYMLINK:
            skipped.append(Skipped(path, "symbolic link (links never count as shipped files)"))
            continue
        if entry.type is not EntryType.FILE:
            skipped.append(Skipped(path, "not a regular file (FIFO, device or socket)"))
            continue
        problem = _name_problem(path)
        if problem is not None:
            skipped.append(Skipped(path, problem))
            continue
        key = path.casefold()
        if key in folded:
            skipped.append(Skipped(path, f"differs from {folded[key]} only by letter case"))
            continue
        folded[key] = path
        files.append((path, entry.size))
    return files, skipped


def _head(release: FolderRelease, path: str) -> bytes:
    try:
        with release.open(path) as fh:
            return fh.read(HEAD_BYTES)
    except (OSError, MemberError):
        return b""  # the hashing pass reports unreadable files


def _sniff(release: FolderRelease, path: str, size: int) -> FormatInfo:
    return sniff(partial(release.open, path), PurePosixPath(path).name, size)


# -- the draft --------------------------------------------------------------------------------

def build_draft(root: Path, *, name: str | None = None, version: str = DEFAULT_VERSION,
                license: str | None = None, algorithms: Sequence[str] = (DEFAULT_ALGORITHM,),
                workers: int = 2, progress: Progress = NO_PROGRESS) -> Draft:
    """Scan ``root``, hash every regular file and return the draft manifest.

    Raises :class:`DraftError` when a file cannot be read or there is nothing to list,
    and :class:`DraftUsageError` for a bad argument.
    """
    _check_arguments(algorithms, version)
    release = FolderRelease(root, MANIFEST_NAME, str(root))
    files, skipped = scan(release)
    if not files:
        raise DraftError(f"{root}: no files to list (a manifest needs at least one artifact)")
    ids = unique_ids(path for path, _ in files)
    results = _hash_every_file(release, files, algorithms, workers=workers, progress=progress)
    artifacts: list[dict[str, Any]] = []
    damaged: list[Skipped] = []
    total = 0
    for path, _ in files:
        result = results[path]
        size = result.size or 0
        total += size
        info = _sniff(release, path, size)
        family = info.family if info.recognised and not info.malformed else None
        if info.malformed:
            damaged.append(Skipped(path, f"looks like {info.format or 'a known format'} but "
                                         f"is damaged: {info.problems[0]}"))
        kind = guess_kind(path, _head(release, path), family)
        if kind == "vector-image" and flat_vector(info):
            # An SVG that draws nothing but embedded rasters is no vector source (CON-11):
            # drafting it as one would make the draft fail its own validation.
            kind = "raster-image" if info.details.get("raster_images") else "other"
        artifacts.append({
            "id": ids[path],
            "path": path,
            "kind": kind,
            "digest": {alg: result.digests[alg] for alg in algorithms},
            "size": size,
        })
    data: dict[str, Any] = {
        "spec": SPEC_VERSION,
        "name": name or _default_name(root),
        "version": version,
    }
    if license:
        data["license"] = license
    data["artifacts"] = artifacts
    text = editor_schema_line() + "".join(f"# {line}".rstrip() + "\n"
                                          for line in HEADER.splitlines())
    return Draft(data=data, text=text + "\n" + dump_yaml(data), skipped=skipped,
                 damaged=damaged, total_bytes=total)


def _check_arguments(algorithms: Sequence[str], version: str) -> None:
    for alg in algorithms:
        if alg not in ALGORITHMS:
            raise DraftUsageError(f"unknown digest algorithm {alg!r}")
        if not available(alg):
            raise DraftUsageError(f"digest algorithm {alg!r} is not available here "
                            f"(pip install 'rebuildable[{alg}]')")
    if not any(ALGORITHMS[alg].strong for alg in algorithms):
        raise DraftUsageError("md5 and sha1 never pin an artifact on their own; add a strong "
                              "algorithm (`algorithms` sha256)", field="algorithms")
    if not version:
        raise DraftUsageError("the version must not be empty")


def _hash_every_file(release: FolderRelease, files: Sequence[tuple[str, int]],
                     algorithms: Sequence[str], *, workers: int,
                     progress: Progress) -> Mapping[str, HashResult]:
    """Every file's digests; a :class:`DraftError` naming each file that could not be
    hashed (a draft that silently left files out would not be a draft of the folder)."""
    jobs = [HashJob(path, tuple(algorithms), size) for path, size in files]
    results = hash_members(release.open, jobs, workers=workers, progress=progress)
    problems = []
    for path, _ in files:
        result = results[path]
        if result.error is not None:
            problems.append(f"{path}: {result.error.message}")
        elif result.changed:
            problems.append(f"{path}: the file changed while it was being hashed")
    if problems:
        raise DraftError("cannot hash every file:\n  " + "\n  ".join(problems))
    return results


def editor_schema_line() -> str:
    """The comment that tells editors (the YAML language server: VS Code, Neovim, Helix,
    JetBrains) which JSON Schema completes and checks this file: the schema's ``$id``."""
    from rebuildable.schema import load_schema  # noqa: PLC0415 - only drafts need it

    return f"# yaml-language-server: $schema={load_schema('manifest')['$id']}\n"


def _default_name(root: Path) -> str:
    # a folder name that is not UTF-8 holds lone surrogates, which no YAML writer can
    # write: its undecodable bytes become U+FFFD
    name = os.fsencode(root.resolve().name).decode("utf-8", "replace")
    return name if name else "release"


def existing_manifests(root: Path) -> list[str]:
    return [n for n in MANIFEST_NAMES if (root / n).exists() or (root / n).is_symlink()]


def check_writable(root: Path, *, force: bool = False) -> None:
    """Raise :class:`DraftUsageError` when writing the draft would clobber a manifest."""
    present = existing_manifests(root)
    others = [n for n in present if n != MANIFEST_NAME]
    if others:
        raise DraftUsageError(f"{root / others[0]} already exists; remove it to write a new "
                        f"{MANIFEST_NAME}")
    if present and not force:
        raise DraftUsageError(f"{root / MANIFEST_NAME} already exists; pass `force` to "
                              "overwrite it", field="force")


def write_manifest(root: Path, text: str, *, force: bool = False) -> Path:
    """Write ``text`` as ``root/rebuild.yaml`` atomically; never overwrite without ``force``.

    A manifest under another accepted name (``rebuild.yml``, ``rebuild.json``) is never
    replaced: a second manifest would make the release ambiguous.
    """
    check_writable(root, force=force)
    target = root / MANIFEST_NAME
    # through write_atomic: flushed to disk before the rename (a crash never leaves an
    # empty manifest), and a device or folder planted as rebuild.yaml is never replaced
    write_atomic(target, text.encode("utf-8"), 0o666 & ~_umask())
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def kind_counts(data: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for artifact in data["artifacts"]:
        counts[artifact["kind"]] = counts.get(artifact["kind"], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
