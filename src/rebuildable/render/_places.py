"""How renderers name the file a finding points at."""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote

from rebuildable.findings import Location

#: a Windows drive path as ``Path.as_posix()`` writes it (``C:/work/rel``)
_DRIVE = re.compile(r"[A-Za-z]:/")


@dataclass(frozen=True, slots=True)
class ArchivePlace:
    """The archive a release was read from: ``given`` as the user named it (the file of
    the findings about the archive itself), ``path`` as seen from the working folder
    (relative below it, absolute elsewhere)."""

    given: str
    path: str


def shown_path(loc: Location, manifest: str | None, base: str | None) -> str:
    """``loc.file`` as seen from the working folder.

    ``base`` is the release folder's path from the working folder (``releases/model/``,
    ``""`` for the working folder itself, an absolute path when the release is not below
    it, None when unknown: an archive, a stream). Every place inside the release (the
    manifest, the envelope, a listed or unlisted file) gets it; a path the user gave
    (``loc.from_cwd``), and every place of a report whose release could not be read at
    all (no manifest), is shown as given.
    """
    if not base or manifest is None or loc.from_cwd:
        return loc.file
    return base + loc.file


def uri_reference(path: str) -> str:
    """A POSIX path from the working folder, or an absolute one, as an RFC 3986 URI
    reference: percent-encoded (a space, ``#``, ``%`` or ``é`` in a file name would
    otherwise make the SARIF log invalid), an absolute path as a ``file:`` URI (which
    code scanning maps back into the repository by its checkout folder)."""
    if not path.startswith("/") and not _DRIVE.match(path):
        norm = posixpath.normpath(path)
        if norm == ".." or norm.startswith("../"):
            # A place above the working folder (``--trust ../policy.yaml``): code scanning
            # resolves relative URIs against the repository root, where ``../`` names
            # nothing, so it is given absolutely, as a release outside the folder is.
            path = os.path.abspath(path).replace(os.sep, "/")
    if path.startswith("/"):
        return "file://" + _quote(path)
    if _DRIVE.match(path):
        return "file:///" + path[:2] + _quote(path[2:])
    return _quote(path)


def _quote(path: str) -> str:
    try:  # a file name that is not UTF-8 reaches us with its bytes as lone surrogates
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate from the manifest's own text
        raw = path.encode("utf-8", "surrogatepass")
    return quote(raw, safe="/")
