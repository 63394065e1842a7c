"""Releases packed as archives: tar (plain, gzip, bzip2, xz) and zip.

Archives are read in place, never extracted. Every member name is checked before it
is used; a hostile member (zip slip, absolute name, link, duplicate, bomb) becomes a
finding in ``release.findings`` and is never opened as a shipped file. Sizes are
bounded by :class:`ArchiveLimits` so that a small archive cannot make the validator
decompress without end.
"""

from rebuildable.archive.base import ArchiveRelease
from rebuildable.archive.limits import ArchiveLimits
from rebuildable.archive.names import normalise, unsafe_reason
from rebuildable.archive.open import open_archive, open_archive_path, sniff
from rebuildable.archive.tar import TarRelease
from rebuildable.archive.zip import ZipRelease

__all__ = [
    "ArchiveLimits",
    "ArchiveRelease",
    "TarRelease",
    "ZipRelease",
    "normalise",
    "open_archive",
    "open_archive_path",
    "sniff",
    "unsafe_reason",
]
