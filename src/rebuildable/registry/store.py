"""The blob store: release files by the sha256 of their bytes, on disk or in S3.

A blob is written whole before the database row that refers to it is committed, so a
reader that finds a row always finds its blobs; a blob no row refers to (a publisher killed
between the two) is an orphan that no read reaches: reads go through rows, never through
a listing of the store. ``rebuildable registry gc`` (:mod:`.gc`) removes orphans.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

__all__ = ["BlobStore", "DiskStore", "S3Store", "open_store"]

_HEX = re.compile(r"[0-9a-f]{64}")
CHUNK = 1 << 20
#: the prefix of a disk store's half-written blobs (renamed into place when whole)
PARTIAL_PREFIX = ".tmp-"


def _check(sha256: str) -> str:
    if _HEX.fullmatch(sha256) is None:
        raise ValueError(f"not a sha256 hex digest: {sha256[:80]!r}")
    return sha256


class BlobStore(ABC):
    @abstractmethod
    def put_file(self, path: Path, sha256: str) -> None:
        """Store the file at ``path`` (whose sha256 the caller computed) under its digest.
        A blob already there gets a fresh modification time, so that ``gc``'s grace
        period counts from its newest use."""

    @abstractmethod
    def get(self, sha256: str) -> bytes:
        """The blob's bytes (for the small ones: manifests, envelopes)."""

    @abstractmethod
    def stream(self, sha256: str) -> Iterator[bytes]:
        """The blob's bytes in chunks."""

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def delete(self, sha256: str) -> None: ...

    def list(self) -> Iterator[str]:
        """Every stored digest."""
        for sha256, _ in self.aged():
            yield sha256

    @abstractmethod
    def aged(self) -> Iterator[tuple[str, float]]:
        """Every stored digest with its modification time (seconds since the epoch)."""

    def remove_partials(self, older_than: float, *, dry_run: bool = False) -> int:
        """Remove half-written blobs (a writer killed mid-write) last touched before
        ``older_than``; return how many. Stores whose writes are atomic have none."""
        return 0


class DiskStore(BlobStore):
    """``ROOT/sha256/ab/cdef...``: written to a temporary file, synced, then renamed, so
    a blob is either absent or whole."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "sha256").mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        _check(sha256)
        return self.root / "sha256" / sha256[:2] / sha256[2:]

    def put_file(self, path: Path, sha256: str) -> None:
        target = self._path(sha256)
        with contextlib.suppress(FileNotFoundError):
            os.utime(target)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=PARTIAL_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                while chunk := src.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def get(self, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()

    def stream(self, sha256: str) -> Iterator[bytes]:
        with self._path(sha256).open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(sha256).unlink()

    def _folders(self) -> Iterator[Path]:
        for sub in sorted((self.root / "sha256").iterdir()):
            if len(sub.name) == 2 and sub.is_dir():
                yield sub

    def aged(self) -> Iterator[tuple[str, float]]:
        for sub in self._folders():
            for p in sorted(sub.iterdir()):
                name = sub.name + p.name
                if _HEX.fullmatch(name):
                    with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                        yield name, p.stat().st_mtime

    def remove_partials(self, older_than: float, *, dry_run: bool = False) -> int:
        removed = 0
        for sub in self._folders():
            for p in sub.glob(PARTIAL_PREFIX + "*"):
                with contextlib.suppress(FileNotFoundError):
                    if p.stat().st_mtime < older_than:
                        if not dry_run:
                            p.unlink()
                        removed += 1
        return removed


class S3Store(BlobStore):
    """``s3://bucket/prefix``: objects ``prefix/sha256/<hex>``. The endpoint and
    credentials come from botocore's usual sources (``AWS_ENDPOINT_URL``,
    ``AWS_ACCESS_KEY_ID``, ...), so any S3-compatible service works."""

    def __init__(self, bucket: str, prefix: str) -> None:
        # botocore (which the s3 extra brings through s3fs) rather than boto3: one AWS
        # client library, whose version s3fs's aiobotocore pins.
        import botocore.session  # noqa: PLC0415 - the s3 extra
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client: Any = botocore.session.get_session().create_client("s3")
        # Found now, not at the first publish: a missing bucket or credentials, a wrong
        # endpoint.
        try:
            self.client.head_bucket(Bucket=bucket)
        except (BotoCoreError, ClientError) as exc:
            raise ValueError(f"bucket {bucket!r} cannot be reached: {exc}") from exc

    def _key(self, sha256: str) -> str:
        _check(sha256)
        return f"{self.prefix}/sha256/{sha256}" if self.prefix else f"sha256/{sha256}"

    def put_file(self, path: Path, sha256: str) -> None:
        # One streamed PUT (up to S3's 5 GiB, far above the upload bound); an object
        # appears only when the PUT completes, never half-written. An object already
        # there is written again: that is what renews its modification time.
        with path.open("rb") as fh:
            self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=fh,
                                   ContentLength=path.stat().st_size)

    def get(self, sha256: str) -> bytes:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"]
        data: bytes = body.read()
        return data

    def stream(self, sha256: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"]
        yield from body.iter_chunks(CHUNK)

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError:
            return False
        return True

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))

    def aged(self) -> Iterator[tuple[str, float]]:
        head = self._key("0" * 64)[:-64]
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                       Prefix=head)
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"][len(head):]
                if _HEX.fullmatch(name):
                    yield name, item["LastModified"].timestamp()


def open_store(url: str) -> BlobStore:
    """A store from ``--store``: a folder path (or ``file://``) or ``s3://bucket/prefix``."""
    if url.startswith("s3://"):
        parsed = urlparse(url)
        if not parsed.netloc:
            raise ValueError("no bucket name (s3://BUCKET/PREFIX)")
        return S3Store(parsed.netloc, parsed.path)
    if url.startswith("file://"):
        url = urlparse(url).path
    elif "://" in url:
        raise ValueError("give a folder, file:///PATH or s3://BUCKET/PREFIX")
    return DiskStore(Path(url))
