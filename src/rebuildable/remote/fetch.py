"""Streaming an external artifact and hashing it on the fly (``validate --fetch``).

Bytes are hashed as they arrive and dropped: nothing is stored, and memory stays at one
chunk per transfer whatever the file's size. A transfer that breaks is resumed from the
byte it reached (HTTP ``Range``, or a seek on object stores) after a back-off; a server
that ignores the range makes the hash start over rather than mix two bodies. A declared
size is a hard bound: reading stops one byte past it, so an endless body ends as a
finding, not a hang.

http(s) is read with the standard library, which lets this module see every redirect and
tell a TLS failure from a refused connection; every other scheme (``file``, ``s3``,
``gs``, ``hf``, ...) goes through fsspec and whatever backend the user has installed.
"""

from __future__ import annotations

import http.client
import io
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from rebuildable._version import __version__
from rebuildable.digest import CHUNK, new_hashers
from rebuildable.remote.options import SMALL_OBJECT, FetchOptions, FetchResult
from rebuildable.remote.urls import HTTP_SCHEMES, host_of, redact, scheme_of

__all__ = ["FetchOptions", "FetchResult", "fetch_one"]

class _TransientError(Exception):
    """Worth another attempt."""


class _PermanentError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _ResumeError(_TransientError):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass
class _Opened:
    stream: BinaryIO
    #: the offset the body starts at (0 when the server ignored a range request)
    offset: int
    final_url: str
    #: bytes the server announced for this body (Content-Length), when it did
    length: int | None = None


# -- readers -----------------------------------------------------------------------------


@contextmanager
def _open_http(uri: str, offset: int, timeout: float, limit: int) -> Iterator[_Opened]:
    headers = {"User-Agent": f"rebuildable/{__version__}", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(uri, headers=headers)  # noqa: S310 - http(s) only
    try:
        resp = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (404, 410):
            raise _PermanentError("fetch.not-found", f"HTTP {exc.code}") from exc
        if exc.code == 416 and offset:
            raise _TransientError("the server refused to resume") from exc
        if exc.code == 429 or exc.code >= 500:
            raise _TransientError(f"HTTP {exc.code}") from exc
        raise _PermanentError("fetch.http-error", f"HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLError):
            raise _PermanentError("fetch.tls-error", f"TLS: {_ssl_text(reason)}") from exc
        raise _TransientError(str(reason)) from exc
    except ssl.SSLError as exc:
        raise _PermanentError("fetch.tls-error", f"TLS: {_ssl_text(exc)}") from exc
    except (OSError, ValueError) as exc:  # socket errors, time-outs, malformed responses
        raise _TransientError(str(exc) or type(exc).__name__) from exc
    try:
        start = 0
        if offset and resp.status == 206:
            start = _range_start(resp.headers.get("Content-Range", ""))
            if start != offset:
                start = 0  # a range we did not ask for: read from the top instead
                resp.close()
                raise _TransientError("the server answered another range")
        yield _Opened(resp, start, resp.geturl(), _length(resp.headers.get("Content-Length")))
    finally:
        resp.close()


def _length(announced: str | None) -> int | None:
    """The Content-Length a server announced, when it is a plain decimal number (a hostile
    one may send thousands of digits, or digits int() reads but HTTP does not allow)."""
    if announced and announced.isascii() and announced.isdigit() and len(announced) <= 20:
        return int(announced)
    return None


def _range_start(header: str) -> int:
    # "bytes 100-199/200"
    try:
        unit, _, rest = header.partition(" ")
        return int(rest.split("-", 1)[0]) if unit == "bytes" else -1
    except ValueError:
        return -1


def _ssl_text(exc: ssl.SSLError) -> str:
    return getattr(exc, "verify_message", None) or exc.reason or str(exc)


@contextmanager
def _open_fsspec(uri: str, offset: int, timeout: float, limit: int) -> Iterator[_Opened]:
    try:
        import fsspec  # noqa: PLC0415 - optional: only --fetch of non-http URIs needs it
    except ImportError as exc:
        raise _PermanentError("fetch.unsupported", "reading this scheme needs fsspec "
                         "(pip install 'rebuildable[s3]' or fsspec)") from exc
    try:
        fs, path = fsspec.core.url_to_fs(uri)
    except (ImportError, ValueError) as exc:
        raise _PermanentError("fetch.unsupported",
                         f"no reader for {scheme_of(uri)!r} URIs here: {exc}") from exc
    if limit + 1 - offset <= SMALL_OBJECT:
        # One ranged GET for a small object (no HEAD, no read-ahead machinery): most
        # shards are small, and on object stores the per-request cost dominates.
        try:
            data = fs.cat_file(path, start=offset, end=limit + 1)
        except FileNotFoundError as exc:
            raise _PermanentError("fetch.not-found", "no such object") from exc
        except PermissionError as exc:
            raise _PermanentError("fetch.http-error", f"access denied: {exc}") from exc
        except (OSError, TimeoutError, ValueError):
            data = None  # e.g. a range past the end of an empty object: stream instead
        if data is not None:
            yield _Opened(io.BytesIO(data), offset, uri)
            return
    try:
        fh = fs.open(path, "rb", block_size=CHUNK * 4)
    except FileNotFoundError as exc:
        raise _PermanentError("fetch.not-found", "no such object") from exc
    except PermissionError as exc:
        raise _PermanentError("fetch.http-error", f"access denied: {exc}") from exc
    except (OSError, TimeoutError) as exc:
        raise _TransientError(str(exc) or type(exc).__name__) from exc
    try:
        if offset:
            fh.seek(offset)
        yield _Opened(fh, offset, uri)
    finally:
        fh.close()


def _opener(uri: str) -> Callable[[str, int, float, int], Any]:
    return _open_http if scheme_of(uri) in HTTP_SCHEMES else _open_fsspec


# -- the transfer ------------------------------------------------------------------------


def fetch_one(uri: str, algorithms: tuple[str, ...], size: int | None,
              options: FetchOptions = FetchOptions(), *,  # noqa: B008 - frozen
              advance: Callable[[int], None] | None = None,
              sleep: Callable[[float], None] = time.sleep) -> FetchResult:
    """Stream ``uri`` once (resuming as needed) and hash it with ``algorithms``."""
    limit = size if size is not None else options.max_bytes
    shown = redact(uri)
    hashers = new_hashers(algorithms)
    offset = 0
    attempts = 0
    resumed = 0
    redirected: str | None = None
    last = ""
    while True:
        attempts += 1
        try:
            with _opener(uri)(uri, offset, options.timeout, limit) as opened:
                if opened.offset != offset:  # the server started over: so do we
                    hashers, offset = new_hashers(algorithms), 0
                if host_of(opened.final_url) != host_of(uri):
                    redirected = redact(opened.final_url)
                offset = _pump(opened, hashers, offset, limit, advance)
            break
        except _ResumeError as exc:
            offset = exc.offset
            last = exc.message
        except _PermanentError as exc:
            return FetchResult(shown, problem=exc.code, message=exc.message, size=offset,
                               redirected_to=redirected, attempts=attempts, resumed=resumed)
        except (TimeoutError, _TransientError, OSError, http.client.HTTPException) as exc:
            last = str(exc) or type(exc).__name__
        if attempts > options.retries:
            code = "fetch.unreachable" if offset == 0 else "fetch.interrupted"
            return FetchResult(shown, problem=code, message=last, size=offset,
                               redirected_to=redirected, attempts=attempts, resumed=resumed)
        if offset:
            resumed += 1
        sleep(options.backoff * (2 ** (attempts - 1)))
    digests = {name: h.hexdigest() for name, h in hashers.items()}
    return FetchResult(shown, digests, offset, redirected_to=redirected, attempts=attempts,
                       resumed=resumed)


def _pump(opened: _Opened, hashers: dict[str, Any], offset: int, limit: int,
          advance: Callable[[int], None] | None) -> int:
    """Hash the body from ``offset`` on; return the offset reached. Stops one byte past
    ``limit`` so that a body longer than declared (or endless) is seen without reading it."""
    stream = opened.stream
    began = offset
    try:
        while offset <= limit:
            chunk = stream.read(min(CHUNK, limit + 1 - offset))
            if not chunk:
                break
            for h in hashers.values():
                h.update(chunk)
            offset += len(chunk)
            if advance is not None:
                advance(len(chunk))
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # A dropped connection mid-body (IncompleteRead, reset, time-out): keep what was
        # hashed and resume from the byte reached.
        raise _ResumeError(offset, str(exc) or type(exc).__name__) from exc
    if opened.length is not None and offset <= limit and offset - began < opened.length:
        # http.client returns a short body without complaint when the connection closes
        # early; the announced length tells a broken transfer from a short file.
        raise _ResumeError(offset, f"the connection closed after {offset - began} of "
                              f"{opened.length} bytes")
    return offset


