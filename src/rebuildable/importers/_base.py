"""What every importer shares: the result type, turning paths into artifacts with ids
and guessed kinds, hashing the files that are there, and the draft's text.

An importer reads what a publisher already has (a checksum list, a DVC pipeline, a model
card, a model-signing bundle) and drafts a manifest from it. It never invents what it
cannot know: an external dataset with no digest is written without one, so that
validation says so, and the header lists what is left to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from rebuildable.defaults import DEFAULT_VERSION
from rebuildable.digest import HashJob, hash_members
from rebuildable.draft import HEAD_BYTES, DraftError, editor_schema_line, guess_kind, unique_ids
from rebuildable.dump import dump_yaml
from rebuildable.errors import MemberError
from rebuildable.model import SPEC_VERSION
from rebuildable.release import EntryType, FolderRelease, safe_relative

#: the largest pipeline file or model card read (a device named as the source never ends)
MAX_SOURCE_BYTES = 16 * 1024 * 1024

__all__ = ["MAX_SOURCE_BYTES", "ImportSourceError", "Imported", "artifacts_for", "draft_text",
           "normalise_path"]


class ImportSourceError(DraftError):
    """The source cannot be imported (unreadable, not the format it claims to be)."""


@dataclass
class Imported:
    """A drafted manifest and what the user should know about it."""

    data: dict[str, Any]
    text: str
    #: things the importer could not carry over or had to guess, one line each
    notes: list[str] = field(default_factory=list)


def normalise_path(raw: str) -> str | None:
    """A checksum list's or pipeline's path as a release path (``./a`` -> ``a``), or
    None when it can never be one (absolute, ``..``, backslashes)."""
    path = raw.replace(os.sep, "/") if os.sep != "/" else raw
    while path.startswith("./"):
        path = path[2:]
    path = path.rstrip("/")
    return path if path and safe_relative(path) else None


def _head(release: FolderRelease, path: str) -> bytes:
    try:
        with release.open(path) as fh:
            return fh.read(HEAD_BYTES)
    except (OSError, MemberError):
        return b""


def artifacts_for(root: Path, paths: Sequence[str], *,
                  known: Mapping[str, Mapping[str, str]] | None = None,
                  kinds: Mapping[str, str] | None = None, algorithms: Iterable[str] = ("sha256",),
                  notes: list[str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Artifacts for ``paths`` (release paths under ``root``) and their ids by path.

    A file that is there is hashed with ``algorithms``. A digest in ``known`` is kept as
    the source states it, even when the file does not match (a note says so, and
    validation will report the mismatch: an import never hides one). A file that is not
    there keeps the ``known`` digests (or none)."""
    known = known or {}
    kinds = kinds or {}
    release = FolderRelease(root, "rebuild.yaml", str(root))
    entries = release.entries()
    present = [p for p in paths if p in entries and entries[p].type is EntryType.FILE]
    wanted = tuple(dict.fromkeys(algorithms))
    jobs = [HashJob(p, tuple(dict.fromkeys([*wanted, *(a for a in known.get(p, {})
                                                        if a in ("md5", "sha1", "sha256",
                                                                 "sha384", "sha512"))])))
            for p in present]
    results = hash_members(release.open, jobs)
    ids = unique_ids(paths)
    out: list[dict[str, Any]] = []
    for path in paths:
        art: dict[str, Any] = {"id": ids[path], "path": path}
        digest = dict(known.get(path, {}))
        result = results.get(path)
        size = None
        if result is not None and result.error is None:
            for alg, value in digest.items():
                if alg in result.digests and result.digests[alg] != value:
                    notes.append(f"{path}: the {alg} digest in the source does not match the "
                                 "file (validate will report it)")
            digest = {**{a: result.digests[a] for a in wanted}, **digest}
            size = result.size
            head = _head(release, path)
        else:
            head = b""
            if path not in entries:
                notes.append(f"{path}: not in {root}; kept with the source's digest "
                             "(validate reports it missing until it is there)")
        art["kind"] = kinds.get(path) or guess_kind(path, head)
        if digest:
            art["digest"] = digest
        if size is not None:
            art["size"] = size
        out.append(art)
    return out, {p: ids[p] for p in paths}


def draft_text(data: Mapping[str, Any], source: str, todo: Sequence[str]) -> str:
    """The manifest's text: the editor schema line, a header naming the source and what
    is left to do, then the data."""
    lines = [f"Draft provenance manifest imported from {PurePosixPath(source).name}.", ""]
    if todo:
        lines.append("Before you publish:")
        lines.extend(f"  - {item}" for item in todo)
        lines.append("")
    lines.append("Then run `rebuildable validate` until it reports no errors.")
    lines.append(f"Spec: {SPEC_VERSION}.")
    header = "".join(f"# {line}".rstrip() + "\n" for line in lines)
    return editor_schema_line() + header + "\n" + dump_yaml(dict(data))


def base_data(name: str, version: str | None, license: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"spec": SPEC_VERSION, "name": name,
                            "version": version or DEFAULT_VERSION}
    if license:
        data["license"] = license
    return data
