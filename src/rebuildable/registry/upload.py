"""Receiving a publish request's multipart body: each part streamed to its own file in a
private temporary folder, with a bound per part and on the whole, never held in memory.

Parts: ``manifest``, ``envelope`` and ``archive``; any other part, a repeated part or a part
with no name is refused (400), as is a body that is not well-formed multipart.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header

from rebuildable.registry.config import UploadLimits
from rebuildable.registry.errors import RegistryError

__all__ = ["PART_NAMES", "UPLOAD_PREFIX", "Part", "UploadReceiver"]

PART_NAMES = ("manifest", "envelope", "archive")
#: the name of each upload's private temporary folder starts so (``gc`` finds abandoned ones)
UPLOAD_PREFIX = "rebuildable-upload-"


@dataclass
class Part:
    name: str
    path: Path
    size: int = 0
    sha256: str = ""


@dataclass
class _Current:
    name: str | None = None
    fh: IO[bytes] | None = None
    hasher: Any = None
    size: int = 0
    limit: int = 0
    headers: dict[bytes, bytes] = field(default_factory=dict)


class UploadReceiver:
    """Feed it the body chunk by chunk; ``finish`` returns the parts. Use as a context
    manager: the temporary folder is removed on exit, whatever happened."""

    def __init__(self, content_type: str, limits: UploadLimits,
                 tmp_root: Path | None = None) -> None:
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise RegistryError(400, "bad-request",
                                "the body must be multipart/form-data with a boundary")
        self.limits = limits
        self.folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX, dir=tmp_root))
        self.parts: dict[str, Part] = {}
        self.total = 0
        self._cur = _Current()
        self._field = b""
        self._value = b""
        try:
            self._parser = MultipartParser(boundary, {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            }, max_header_count=8, max_header_size=4096)
        except Exception as exc:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise RegistryError(400, "bad-request", f"bad multipart boundary: {exc}") from exc

    def __enter__(self) -> UploadReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._cur.fh is not None:
            self._cur.fh.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total > self.limits.max_body:
            raise RegistryError(413, "too-large",
                                f"the upload is larger than {self.limits.max_body} bytes")
        try:
            self._parser.write(chunk)
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(400, "bad-request", f"malformed multipart body: {exc}") from exc

    def finish(self) -> dict[str, Part]:
        try:
            self._parser.finalize()
        except Exception as exc:
            raise RegistryError(400, "bad-request", f"malformed multipart body: {exc}") from exc
        if self._cur.fh is not None:
            raise RegistryError(400, "bad-request", "the multipart body ends inside a part")
        missing = [n for n in PART_NAMES if n not in self.parts]
        if missing:
            raise RegistryError(400, "bad-request",
                                f"missing part(s): {', '.join(missing)} (send manifest, "
                                "envelope and archive)")
        return self.parts

    # -- parser callbacks ----------------------------------------------------------------

    def _part_begin(self) -> None:
        self._cur = _Current()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._cur.headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._cur.headers.get(b"content-disposition", b""))
        raw = params.get(b"name", b"")
        name = raw.decode("latin-1")
        if name not in PART_NAMES:
            raise RegistryError(400, "bad-request",
                                f"unexpected part {name[:40]!r}: parts are manifest, envelope "
                                "and archive")
        if name in self.parts:
            raise RegistryError(400, "bad-request", f"part {name!r} sent twice")
        path = self.folder / name
        self._cur.name = name
        self._cur.fh = path.open("xb")
        self._cur.hasher = hashlib.sha256()
        self._cur.limit = self.limits.part_limit(name)
        self.parts[name] = Part(name, path)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        cur = self._cur
        if cur.fh is None:
            return
        piece = data[start:end]
        cur.size += len(piece)
        if cur.size > cur.limit:
            raise RegistryError(413, "too-large",
                                f"part {cur.name!r} is larger than {cur.limit} bytes")
        cur.fh.write(piece)
        cur.hasher.update(piece)

    def _part_end(self) -> None:
        cur = self._cur
        if cur.fh is None or cur.name is None:
            return
        cur.fh.close()
        part = self.parts[cur.name]
        part.size = cur.size
        part.sha256 = cur.hasher.hexdigest()
        self._cur = _Current()
