"""What tar and zip releases share: member bookkeeping and manifest discovery."""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from rebuildable.archive.limits import ArchiveLimits
from rebuildable.archive.names import normalise, printable, unsafe_reason
from rebuildable.container import Entry, EntryType, Release
from rebuildable.errors import MemberError, ReleaseError
from rebuildable.findings import Location, finding
from rebuildable.model import MANIFEST_NAMES


@dataclass
class Member:
    name: str  # normalised, relative to the archive root
    type: EntryType
    size: int
    handle: Any  # TarInfo or ZipInfo
    target: str | None = None
    problem: MemberError | None = None


class ArchiveRelease(Release):
    """What tar and zip releases share: member bookkeeping and manifest discovery."""

    #: the folder inside the archive that holds the manifest ("" or "name-1.0/")
    prefix: str

    def __init__(self, fileobj: BinaryIO, label: str, limits: ArchiveLimits,
                 owns_file: bool) -> None:
        self.label = label
        self.limits = limits
        self.findings = []
        self._file = fileobj
        self._owns_file = owns_file
        self._members: dict[str, Member] = {}
        self._entries: dict[str, Entry] = {}
        #: entries the archive listed so far, refused ones included ([ARC-5] counts them all)
        self._listed = 0
        self.prefix = ""
        self.manifest_name = ""

    # -- building ---------------------------------------------------------------------

    def _finding(self, code: str, message: str, member: str) -> None:
        self.findings.append(finding(code, f"{self.label}: {message}",
                                     location=Location(self.label), data={"path": member}))

    def _add(self, raw: str, type_: EntryType, size: int, handle: Any,
             target: str | None = None, *, ambiguous: str | None = None) -> Member | None:
        """Record one member. ``ambiguous`` says how its name sources disagree (other
        extractors would write it under another name): the member is then refused."""
        name = normalise(raw, type_ is EntryType.DIR)
        if name in ("", "."):
            return None  # the archive root itself
        reason = unsafe_reason(name)
        if reason is not None:
            shown = printable(raw)
            self._finding("release.archive-unsafe-member",
                          f"member {shown!r} {reason}; it is ignored", shown)
            return None
        member = Member(name, type_, size, handle, target)
        previous = self._members.get(name)
        if previous is not None:
            if previous.type is EntryType.DIR and type_ is EntryType.DIR:
                return previous
            self._finding("release.archive-duplicate-member",
                          f"member {name!r} appears more than once; readers disagree on "
                          "which copy counts, so neither does", name)
            problem = MemberError("release.archive-duplicate-member",
                                  f"{name} appears more than once in the archive")
            previous.problem = member.problem = problem
            return previous
        if type_ in (EntryType.SYMLINK, EntryType.HARDLINK):
            kind = "symbolic" if type_ is EntryType.SYMLINK else "hard"
            self._finding("release.archive-link",
                          f"member {name!r} is a {kind} link to {target!r}; links never count "
                          "as shipped files", name)
        if ambiguous is not None:
            self._finding("release.archive-ambiguous-name",
                          f"member {name!r}: {ambiguous}; extractors disagree on its name, "
                          "so it does not count as shipped", name)
            member.problem = MemberError("release.archive-ambiguous-name",
                                         f"{name}: {ambiguous}")
        elif size > self.limits.max_member_bytes:
            self._finding("release.archive-too-large",
                          f"member {name!r} declares {size} bytes, more than the limit of "
                          f"{self.limits.max_member_bytes}", name)
            member.problem = MemberError("release.archive-too-large",
                                         f"{name} is larger than the member size limit")
        self._members[name] = member
        return member

    def _one_too_many(self) -> bool:
        """Count one more listed entry; True (and the one finding) for the first entry
        past ``max_members``. Called before the entry is recorded: an archive of exactly
        ``max_members`` entries is within the bound ([ARC-5])."""
        self._listed += 1
        if self._listed <= self.limits.max_members:
            return False
        self._finding("release.archive-too-large",
                      f"more than {self.limits.max_members} members; the rest are ignored", "")
        return True

    def _finish(self) -> None:
        """Add implied folders, refuse members below a non-folder, find the manifest and
        build the entries below it."""
        for name in sorted(self._members):
            parts = name.split("/")
            for i in range(1, len(parts)):
                parent = "/".join(parts[:i])
                above = self._members.get(parent)
                if above is None:
                    self._members[parent] = Member(parent, EntryType.DIR, 0, None)
                elif above.type is not EntryType.DIR:
                    # e.g. 'lib' -> /etc, then 'lib/passwd': extracting it writes through
                    # the link. Read in place it would be one thing, extracted another.
                    what = "the link" if above.type in (EntryType.SYMLINK,
                                                       EntryType.HARDLINK) else "the file"
                    self._finding("release.archive-unsafe-member",
                                  f"member {name!r} lies below {what} {parent!r}; it is "
                                  "ignored", name)
                    del self._members[name]
                    break
        self.prefix = self._find_prefix()
        cut = len(self.prefix)
        for name, m in self._members.items():
            if name.startswith(self.prefix) and len(name) > cut:
                rel = name[cut:]
                self._entries[rel] = Entry(rel, m.type, m.size, 1, m.target)

    def _find_prefix(self) -> str:
        def manifests(prefix: str) -> list[str]:
            return [n for n in MANIFEST_NAMES if prefix + n in self._members]

        prefix = ""
        present = manifests("")
        if not present:
            tops = {n.split("/", 1)[0] for n in self._members if not n.startswith("__MACOSX")}
            if len(tops) == 1:
                (top,) = tops
                if self._members[top].type is EntryType.DIR:
                    prefix = top + "/"
                    present = manifests(prefix)
        if not present:
            raise ReleaseError("release.no-manifest",
                               f"{self.label}: no {', '.join(MANIFEST_NAMES)} at the archive "
                               "root or inside its single top-level folder", path=self.label)
        if len(present) > 1:
            raise ReleaseError("release.ambiguous-manifest",
                               f"{self.label}: more than one manifest ({', '.join(present)})",
                               path=self.label)
        self.manifest_name = present[0]
        return prefix

    # -- the Release interface --------------------------------------------------------

    def entries(self) -> Mapping[str, Entry]:
        return self._entries

    def _member_for(self, path: str) -> Member:
        entry = self._entries.get(path)
        if entry is None:
            parts = path.split("/")
            for i in range(1, len(parts)):
                parent = self._entries.get("/".join(parts[:i]))
                if parent is not None and parent.type in (EntryType.SYMLINK, EntryType.HARDLINK):
                    raise MemberError("path.symlink",
                                      f"{path} passes through the link {parent.path!r}")
            raise MemberError("integrity.missing", f"{path} is not in the release")
        member = self._members[self.prefix + path]
        if member.type is EntryType.SYMLINK:
            raise MemberError("path.symlink", f"{path} is a symbolic link in the archive")
        if member.type is EntryType.HARDLINK:
            raise MemberError("path.not-regular",
                              f"{path} is a hard-link member of the archive; links never count "
                              "as shipped files")
        if member.type is not EntryType.FILE:
            raise MemberError("path.not-regular", f"{path} is not a regular file")
        if member.problem is not None:
            raise member.problem
        return member

    def order(self, paths: list[str]) -> list[str]:
        """``paths`` in the order their data lies in the archive (one forward pass)."""
        def key(path: str) -> int:
            m = self._members.get(self.prefix + path)
            return data_offset(m.handle) if m is not None and m.handle is not None else -1
        return sorted(paths, key=key)

    def close(self) -> None:
        if self._owns_file:
            self._file.close()


def data_offset(handle: Any) -> int:
    if isinstance(handle, tarfile.TarInfo):
        return handle.offset_data
    if isinstance(handle, zipfile.ZipInfo):
        return handle.header_offset
    return -1
