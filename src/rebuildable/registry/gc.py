"""Garbage collection: blobs no release refers to, and what killed writers left behind.

A publisher writes a release's blobs, then commits the rows that refer to them; killed
between the two, it leaves blobs that no row names. Reads never reach them (they go through
rows), but they take space. :func:`collect` removes a blob only when no release refers to it
AND it is older than a grace period; the check and the delete run holding the blob lock
alone (:meth:`~.db.Database.lock_blobs`), which publishers hold shared from the moment they
write blobs until their rows are committed, so a publish in flight in another process never
loses a blob. The grace period is a second guard (for a publisher of an older version that
takes no lock): a publisher renews the time of a blob it finds already stored.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rebuildable.registry.db import Database
from rebuildable.registry.models import Release
from rebuildable.registry.store import BlobStore
from rebuildable.registry.upload import UPLOAD_PREFIX

__all__ = ["DEFAULT_GRACE", "Collected", "collect"]

#: seconds an unreferenced blob is left alone: far longer than any blob write and commit
DEFAULT_GRACE = 3600.0
#: candidates checked and deleted per locked transaction (publishers wait that long)
_BATCH = 500


@dataclass(frozen=True)
class Collected:
    #: the digests of the blobs removed (or, on a dry run, that would be)
    removed: tuple[str, ...]
    #: blobs younger than the grace period, left unexamined
    young: int
    #: half-written blobs and abandoned upload folders removed (or that would be)
    partials: int
    uploads: int


def collect(db: Database, store: BlobStore, *, grace: float = DEFAULT_GRACE,
            dry_run: bool = False, tmp_dir: Path | None = None) -> Collected:
    """Remove unreferenced blobs older than ``grace`` seconds, a disk store's half-written
    blobs and this machine's abandoned upload folders older than that."""
    cutoff = time.time() - grace
    old: list[str] = []
    young = 0
    for sha256, mtime in store.aged():
        if mtime < cutoff:
            old.append(sha256)
        else:
            young += 1
    removed: list[str] = []
    for start in range(0, len(old), _BATCH):
        batch = old[start:start + _BATCH]
        with db.write() as s:
            db.lock_blobs(s, exclusive=True)
            orphans = sorted(set(batch) - _referenced(s, batch))
            if not dry_run:
                for sha256 in orphans:
                    store.delete(sha256)
            removed += orphans
            s.commit()
    partials = store.remove_partials(cutoff, dry_run=dry_run)
    uploads = _abandoned_uploads(tmp_dir or Path(tempfile.gettempdir()), cutoff, dry_run)
    return Collected(tuple(removed), young, partials, uploads)


def _referenced(s: Session, batch: list[str]) -> set[str]:
    rows = s.execute(select(Release.digest, Release.envelope_blob, Release.archive_blob)
                     .where(or_(Release.digest.in_(batch), Release.envelope_blob.in_(batch),
                                Release.archive_blob.in_(batch))))
    return {blob for row in rows for blob in row}


def _abandoned_uploads(folder: Path, cutoff: float, dry_run: bool) -> int:
    """Upload folders whose newest file is older than ``cutoff``: their server was killed
    mid-upload (a live upload writes to its folder all the time; a finished one removes it)."""
    count = 0
    for upload in folder.glob(UPLOAD_PREFIX + "*"):
        with contextlib.suppress(OSError):
            newest = max(p.lstat().st_mtime for p in (upload, *upload.iterdir()))
            if newest < cutoff:
                if not dry_run:
                    shutil.rmtree(upload)
                count += 1
    return count
