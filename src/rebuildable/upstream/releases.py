"""An upstream seen as a release: a folder inside this release, or a manifest fetched by
digest with none of its files."""

from __future__ import annotations

import dataclasses
import io
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from rebuildable.errors import MemberError
from rebuildable.model import Manifest
from rebuildable.release import Entry, EntryType, Release, safe_relative


class SubRelease(Release):
    """A folder inside another release, seen as a release of its own."""

    def __init__(self, parent: Release, folder: str, manifest_name: str) -> None:
        self.parent = parent
        #: the folder inside the parent release ("" for the parent's root)
        self.folder = folder
        self.prefix = f"{parent.prefix}{folder}/" if folder else parent.prefix
        self.manifest_name = manifest_name
        self.label = f"{parent.label}/{folder}" if folder else parent.label
        self.findings = []
        self._entries: dict[str, Entry] | None = None

    def _full(self, path: str) -> str:
        return f"{self.folder}/{path}" if self.folder else path

    def entries(self) -> Mapping[str, Entry]:
        if self._entries is None:
            if not self.folder:
                self._entries = dict(self.parent.entries())
            else:
                head = self.folder + "/"
                self._entries = {
                    p[len(head):]: dataclasses.replace(e, path=p[len(head):])
                    for p, e in self.parent.entries().items() if p.startswith(head)
                }
        return self._entries

    def open(self, path: str) -> BinaryIO:
        return self.parent.open(self._full(path))

    def local_root(self) -> Path | None:
        root = self.parent.local_root()
        if root is None:
            return None
        return root / self.folder if self.folder else root


class FetchedManifest(Release):
    """An upstream manifest fetched by digest: the manifest alone, none of its files."""

    def __init__(self, data: bytes, label: str) -> None:
        self.data = data
        self.label = label
        # The bytes come without a file name: a JSON document is read as JSON.
        self.manifest_name = "rebuild.json" if data.lstrip()[:1] == b"{" else "rebuild.yaml"
        self.findings = []

    def entries(self) -> Mapping[str, Entry]:
        return {self.manifest_name: Entry(self.manifest_name, EntryType.FILE, len(self.data))}

    def open(self, path: str) -> BinaryIO:
        if path != self.manifest_name:
            raise MemberError("integrity.missing",
                              "not here: only the manifest was fetched from the registry")
        return io.BytesIO(self.data)


def inner_prefixes(manifest: Manifest) -> list[str]:
    """Folders of the release that hold an upstream release shipped inside it.

    The files below them belong to that upstream (its own manifest lists them), so the
    unlisted-file check should not ask the outer manifest to list them again.
    """
    out: list[str] = []
    for ref in manifest.upstream:
        if ref.path and safe_relative(ref.path):
            folder = posixpath.dirname(ref.path)
            if folder:
                out.append(folder)
    return out
