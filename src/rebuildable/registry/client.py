"""The registry's client side, on the standard library alone: ``publish`` and the
upstream resolver behind ``validate --registry``.

The upload is one multipart body streamed from files (``Content-Length`` known up front),
never built in memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebuildable.errors import ReleaseError, UsageError
from rebuildable.registry.names import valid_namespace
from rebuildable.registry.pack import pack_folder

__all__ = ["ManifestFetcher", "PublishOutcome", "check_url", "publish"]

#: the most a manifest fetched from a registry may weigh (the engine's manifest bound)
MAX_MANIFEST = 128 << 20
#: the most of an error answer read
MAX_ANSWER = 64 << 20
#: the error code of an answer that is not in the registry's error shape
GENERIC = "http-error"


def check_url(url: str) -> str:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(f"registry URL {url!r}: give an http:// or https:// URL")
    return url.rstrip("/")


class ManifestFetcher:
    """Fetch an upstream manifest by digest: ``GET /api/v1/releases/ALG:HEX/manifest``."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.base = check_url(url)
        self.timeout = timeout

    def __call__(self, pins: Mapping[str, str]) -> bytes | None:
        for alg, value in sorted(pins.items()):
            url = f"{self.base}/api/v1/releases/{alg}:{value}/manifest"
            try:
                with urllib.request.urlopen(url, timeout=self.timeout) as resp:  # noqa: S310
                    data: bytes = resp.read(MAX_MANIFEST + 1)
            except urllib.error.HTTPError as exc:
                exc.close()
                continue
            except (urllib.error.URLError, OSError):
                return None
            if len(data) <= MAX_MANIFEST:
                return data
        return None


@dataclass(frozen=True)
class PublishOutcome:
    #: the registry's HTTP status
    status: int
    #: the record (published or identical), else None
    record: dict[str, Any] | None = None
    #: the registry's error ({"code", "message"}), else None
    error: dict[str, str] | None = None
    #: the engine's report when the registry refused the release
    report: dict[str, Any] | None = None

    @property
    def published(self) -> bool:
        return self.status in (200, 201)

    @property
    def identical(self) -> bool:
        return self.status == 200

    @property
    def refused(self) -> bool:
        """Refused for what the release is (taken, rollback, too large, invalid), as
        opposed to a problem with the request (token, namespace, server). Only the
        registry's own error answer counts: a proxy's 413 page is not a verdict."""
        return self.status in (409, 413, 422) and (self.error or {}).get("code") != GENERIC


class _Body(io.RawIOBase):
    """Bytes and files read one after another, as one stream."""

    def __init__(self, pieces: list[bytes | Path]) -> None:
        self.pieces = pieces
        self.current: io.BufferedIOBase | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self.current is None:
                if not self.pieces:
                    return 0
                piece = self.pieces.pop(0)
                self.current = (io.BytesIO(piece) if isinstance(piece, bytes)
                                else piece.open("rb"))
            n: int = self.current.readinto(buffer)
            if n:
                return n
            self.current.close()
            self.current = None

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
        super().close()


def _multipart(manifest: bytes, manifest_name: str, envelope: bytes,
               archive: Path) -> tuple[str, list[bytes | Path], int]:
    boundary = "rebuildable-" + secrets.token_hex(16)
    pieces: list[bytes | Path] = []
    for name, filename, data in (("manifest", manifest_name, manifest),
                                 ("envelope", "rebuild.dsse.json", envelope),
                                 ("archive", "release.tar.gz", archive)):
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
        pieces += [head.encode(), data, b"\r\n"]
    pieces.append(f"--{boundary}--\r\n".encode())
    size = sum(len(p) if isinstance(p, bytes) else p.stat().st_size for p in pieces)
    return f"multipart/form-data; boundary={boundary}", pieces, size


def publish(target: str | os.PathLike[str], registry: str, namespace: str, token: str,
            *, timeout: float = 600.0) -> PublishOutcome:
    from rebuildable import api  # noqa: PLC0415 - api imports this module lazily

    base = check_url(registry)
    if not valid_namespace(namespace):
        raise UsageError(f"namespace {namespace!r} is not a namespace name")
    if not token:
        raise UsageError("no token for the namespace (give one, or set REBUILDABLE_TOKEN)")
    path = Path(target)
    with tempfile.TemporaryDirectory(prefix="rebuildable-publish-") as tmp:
        if path.is_dir() or path.suffix in (".yaml", ".yml", ".json"):
            folder = path if path.is_dir() else path.parent
            archive = Path(tmp) / "release.tar.gz"
            pack_folder(folder, archive)
        elif path.is_file():
            archive = path
        else:
            raise UsageError(f"{target}: no such folder, manifest or archive")
        try:
            parts = api.release_parts(archive)
        except ReleaseError as exc:
            raise UsageError(f"{target}: {exc.message}") from exc
        if parts.envelope is None:
            raise UsageError(f"{target}: no signature envelope (rebuild.dsse.json): sign the "
                             "release first with `rebuildable sign`")
        content_type, pieces, size = _multipart(parts.manifest, parts.manifest_name,
                                                parts.envelope, archive)
        url = f"{base}/api/v1/namespaces/{namespace}/releases"
        request = urllib.request.Request(  # noqa: S310 - check_url allows http(s) only
            url, data=_Body(pieces), method="POST", headers={
            "Content-Type": content_type, "Content-Length": str(size),
            "Authorization": f"Bearer {token}", "Accept": "application/json"})
        digest = "sha256:" + hashlib.sha256(parts.manifest).hexdigest()
        return _send(request, timeout, digest)


def _send(request: urllib.request.Request, timeout: float, digest: str) -> PublishOutcome:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            status, raw = resp.status, resp.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        with exc:
            raw = exc.read(MAX_ANSWER)
        return _refusal(exc.code, str(exc.reason), raw)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(f"{request.full_url}: {reason}") from exc
    # Success is believed only when the answer is the record of what was sent: anything
    # else (a proxy's page, another service on that port) must not read as "published".
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    if status not in (200, 201) or not isinstance(record, dict) or (
            record.get("digest") != digest):
        raise UsageError(f"{request.full_url}: HTTP {status}, but the answer is not the "
                         "registry's record of this release (is the URL a rebuildable "
                         "registry?)")
    return PublishOutcome(status, record=record)


def _refusal(status: int, reason: str, raw: bytes) -> PublishOutcome:
    """An error answer as data; a body not in the registry's error shape (a proxy's page)
    becomes a generic error, never an exception."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    error = body.get("error")
    if not (isinstance(error, dict) and isinstance(error.get("code"), str)
            and isinstance(error.get("message"), str)):
        error = {"code": GENERIC, "message": f"HTTP {status} {reason}"}
    report = body.get("report")
    return PublishOutcome(status, error={"code": error["code"], "message": error["message"]},
                          report=report if isinstance(report, dict) else None)
