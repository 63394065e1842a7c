"""Packing a release folder as the one archive ``publish`` uploads.

The archive is deterministic (sorted members, zero times and owners, gzip without a time
stamp), so publishing the same folder twice sends the same bytes and the registry answers
"identical" instead of "taken". Version-control folders stay out (the engine never counts
them); everything else goes in as it is, links as links, so that the registry sees what
``validate`` sees in the folder.
"""

from __future__ import annotations

import gzip
import os
import stat
import tarfile
from pathlib import Path

__all__ = ["pack_folder"]

VCS_FOLDERS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", ".pijul", ".jj"})


def _members(root: Path) -> list[str]:
    out: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        dirs[:] = sorted(d for d in dirs if d not in VCS_FOLDERS and d not in links)
        for name in sorted([*files, *links]):
            out.append((rel / name).as_posix())
    return sorted(set(out))


def pack_folder(root: Path, out: Path) -> None:
    """Write ``root``'s files as a .tar.gz to ``out``."""
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                              filename="") as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in _members(root):
            full = root / path
            st = full.lstat()
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue  # FIFOs, devices, sockets: never part of a release
            info = tar.gettarinfo(str(full), arcname=path)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o755 if st.st_mode & 0o111 else 0o644
            if info.isreg():
                with full.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
