"""Tar metadata records, read with bounds and remembered.

Python's tarfile reads a GNU long-name record or a PAX header whole, whatever size it
declares, and keeps only the last word on a member's name: when a member carries
several name records (a GNU long name and a PAX ``path``, or two of either), it takes
the outermost one, GNU tar always the PAX path, libarchive the innermost. So each record
is charged against :class:`~rebuildable.archive.limits.ArchiveLimits` before it is
read, and every name a record gave is kept in ``name_records`` for the reader to compare.
"""

from __future__ import annotations

import tarfile
from typing import Any

from rebuildable.archive.limits import ArchiveLimits, MetadataTooLargeError


class BoundedTarFile(tarfile.TarFile):
    """A TarFile that charges metadata records against ``limits``."""

    def __init__(self, *args: Any, limits: ArchiveLimits, **kwargs: Any) -> None:
        # Set before TarFile.__init__, which already reads the first member.
        self.limits = limits
        self.metadata_bytes = 0
        #: metadata records read before the member they describe (they nest)
        self.depth = 0
        kwargs["tarinfo"] = TracedTarInfo
        super().__init__(*args, **kwargs)


class TracedTarInfo(tarfile.TarInfo):
    """A TarInfo that remembers each record that named it: (kind, name)."""

    name_records: list[tuple[str, str]]

    def _charge(self, tf: tarfile.TarFile, kind: str) -> None:
        if not isinstance(tf, BoundedTarFile):
            return
        limits = tf.limits
        if self.size > limits.max_header_bytes:
            raise MetadataTooLargeError(
                f"a {kind} record of {self.size} bytes at byte {self.offset}, more than the "
                f"limit of {limits.max_header_bytes}")
        tf.metadata_bytes += self.size
        if tf.metadata_bytes > limits.max_metadata_bytes:
            raise MetadataTooLargeError(
                f"metadata records total more than {limits.max_metadata_bytes} bytes")
        tf.depth += 1
        if tf.depth > limits.max_header_chain:
            raise MetadataTooLargeError(
                f"more than {limits.max_header_chain} metadata records before one member")

    def _discharge(self, tf: tarfile.TarFile) -> None:
        if isinstance(tf, BoundedTarFile):
            tf.depth -= 1

    def _proc_gnulong(self, tarfile_: tarfile.TarFile) -> TracedTarInfo:
        kind = "GNU long name" if self.type == tarfile.GNUTYPE_LONGNAME else "GNU long link"
        self._charge(tarfile_, kind)
        following: TracedTarInfo = super()._proc_gnulong(tarfile_)  # type: ignore[misc]
        self._discharge(tarfile_)
        if self.type == tarfile.GNUTYPE_LONGNAME:
            _records(following).append((kind, following.name))
        return following

    def _proc_pax(self, tarfile_: tarfile.TarFile) -> TracedTarInfo:
        self._charge(tarfile_, "PAX header")
        following: TracedTarInfo = super()._proc_pax(tarfile_)  # type: ignore[misc]
        self._discharge(tarfile_)
        return following

    def _apply_pax_info(self, pax_headers: dict[str, str], encoding: str,
                        errors: str) -> None:
        super()._apply_pax_info(pax_headers, encoding, errors)  # type: ignore[misc]
        if "path" in pax_headers:
            _records(self).append(("PAX path", pax_headers["path"]))


def _records(info: TracedTarInfo) -> list[tuple[str, str]]:
    if "name_records" not in info.__dict__:
        info.name_records = []
    return info.name_records


def name_disagreement(info: tarfile.TarInfo) -> str | None:
    """How the name records of ``info`` disagree, or None when they agree."""
    records = info.__dict__.get("name_records", [])
    if len({name.rstrip("/") for _, name in records}) <= 1:
        return None
    said = ", ".join(f"a {kind} says {name!r}" for kind, name in records)
    return f"its name records disagree ({said})"
