"""The HTTP service: FastAPI routes over a :class:`~.service.Registry`.

Reads are public; writes need a bearer token of the namespace. Every blocking call (the
database, the blob store, the engine) runs in a worker thread, and validations are bounded
by a capacity limiter, so a long validation never stalls other requests. Errors are JSON
``{"error": {"code", "message"}}``; a traceback never reaches a client.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rebuildable._version import __version__
from rebuildable.registry.badge import badge_svg
from rebuildable.registry.config import RegistryConfig
from rebuildable.registry.errors import RegistryError
from rebuildable.registry.names import NAME_PATTERN, NAMESPACE_PATTERN
from rebuildable.registry.pages import Pages
from rebuildable.registry.queries import DIGEST_PATTERN, Queries
from rebuildable.registry.service import Registry
from rebuildable.registry.upload import UploadReceiver
from rebuildable.registry.versions import VERSION_PATTERN

__all__ = ["create_app"]

log = logging.getLogger("rebuildable.registry")
T = TypeVar("T")

Ns = Annotated[str, Path(pattern=NAMESPACE_PATTERN, max_length=64)]
Name = Annotated[str, Path(pattern=NAME_PATTERN, max_length=128)]
Ver = Annotated[str, Path(pattern=VERSION_PATTERN, max_length=128)]
Digest = Annotated[str, Path(pattern=DIGEST_PATTERN, max_length=150)]

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}}
    for code, text in ((400, "bad request"), (404, "not found"))}
#: what a read of stored bytes may answer besides (spec/registry.md REG-17)
_BYTES_ERRORS: dict[int | str, dict[str, Any]] = {**_ERRORS, 500: {
    "description": "the stored bytes are altered or unreadable (stored-bytes-altered, "
                   "stored-bytes-unreadable)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
#: what a write that needs a token may answer besides its own codes
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {**_ERRORS, **{
    code: {"description": text, "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}}
    for code, text in ((401, "no or bad token"),
                       (403, "a token of another namespace, or not an admin token"))}}
_PUBLISH_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["manifest", "envelope", "archive"],
    "properties": {"manifest": {"type": "string", "format": "binary"},
                   "envelope": {"type": "string", "format": "binary"},
                   "archive": {"type": "string", "format": "binary"}}}}}}}


class _Headers:
    """Security headers on every response (pages have no scripts and load nothing), and
    the last resort for a fault: a JSON 500, with those headers, the exception logged and
    not passed on (past this point Starlette would answer without the headers and uvicorn
    would drop the connection, resetting a keep-alive client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def wrapped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"content-security-policy", _CSP.encode()),
                            (b"referrer-policy", b"no-referrer")]
                message["headers"] = headers
            await send(message)

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            # HEAD is GET without the body (RFC 9110 9.3.2; link checkers and badge proxies
            # ask so): routed as GET; uvicorn, whose scope still says HEAD, sends no body.
            scope = {**scope, "method": "GET"}
        try:
            await self.app(scope, receive, wrapped)
        except ClientDisconnect:
            return  # the client went away mid-request: no one to answer, and no fault here
        except Exception as exc:
            log.error("internal error", exc_info=exc)
            if started:
                raise  # part of an answer is out: only dropping the connection is honest
            await _error(500, "internal", _INTERNAL)(scope, receive, wrapped)


def create_app(registry: Registry) -> FastAPI:
    # No redirect of '/x/' to '/x': every path is answered as it is (a redirect is built
    # from the request's Host header, and hides a 404 behind a 307).
    app = FastAPI(title="rebuildable registry", version=__version__, docs_url=None,
                  redoc_url=None, openapi_url="/openapi.json", redirect_slashes=False)
    app.state.registry = registry

    async def blocking(fn: Callable[..., T], *args: Any, limit: anyio.CapacityLimiter | None = None
                       ) -> T:
        return await anyio.to_thread.run_sync(lambda: fn(*args), limiter=limit)

    _handlers(app)
    app.add_middleware(_Headers)

    @app.get("/api/v1/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    # Routes match in the order they are added: the catch-all page route comes last.
    _publish_route(app, registry, blocking)
    _read_routes(app, registry.queries)
    _admin_routes(app, registry, blocking)
    _page_routes(app, Pages(registry.queries))
    _error_schema(app)
    return app


def _publish_route(app: FastAPI, registry: Registry, blocking: Any) -> None:
    limiter = anyio.CapacityLimiter(registry.config.workers)
    q = registry.queries

    @app.post("/api/v1/namespaces/{ns}/releases", status_code=201, tags=["publish"],
              openapi_extra=_PUBLISH_BODY, responses={
                  200: {"description": "identical bytes already published"},
                  401: {"description": "no or bad token"},
                  403: {"description": "a token of another namespace"},
                  409: {"description": "name@version taken, or a rollback"},
                  413: {"description": "too large"},
                  422: {"description": "refused by the engine (with its report)"}, **_ERRORS})
    async def publish(request: Request, ns: Ns) -> JSONResponse:
        limits = registry.config.limits
        receiver: UploadReceiver | None = None
        body = _Body(request, registry.config)
        try:
            await blocking(registry.admin.authorise, ns, request.headers.get("authorization"))
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > limits.max_body:
                raise RegistryError(413, "too-large", "the upload is larger than "
                                    f"{limits.max_body} bytes")
            receiver = UploadReceiver(request.headers.get("content-type", ""), limits)
            while chunk := await body.next():
                await blocking(receiver.feed, chunk)
            parts = await blocking(receiver.finish)
        except BaseException as exc:
            if receiver is not None:
                # Here, not in a thread: a dropped connection cancels this task, and an
                # await would be cancelled too, leaving the files behind.
                receiver.close()
            if isinstance(exc, RegistryError):
                await body.discard_if_small()
                exc.close = body.more
            raise
        try:
            status, row = await blocking(registry.publisher.publish, ns, parts, limit=limiter)
        finally:
            await blocking(receiver.close)

        def record() -> dict[str, Any]:
            with q.db.read() as s:
                return q.record(s, row)

        return JSONResponse(await blocking(record), status_code=status)


def _read_routes(app: FastAPI, q: Queries) -> None:
    def _with_release(ns: str, name: str, version: str,
                      fn: Callable[[Any, Any], T]) -> T:
        with q.db.read() as s:
            return fn(s, q.release(s, ns, name, version))

    base = "/api/v1/namespaces/{ns}/releases/{name}/{version}"

    @app.get(base, tags=["read"], responses=_ERRORS)
    def record(ns: Ns, name: Name, version: Ver) -> dict[str, Any]:
        return _with_release(ns, name, version, q.record)

    @app.get(base + "/report", tags=["read"], responses=_ERRORS)
    def report(ns: Ns, name: Name, version: Ver) -> dict[str, Any]:
        return _with_release(ns, name, version, lambda s, r: r.report)

    @app.get(base + "/manifest", tags=["read"], responses=_BYTES_ERRORS,
             response_class=Response)
    def manifest(ns: Ns, name: Name, version: Ver) -> Response:
        row = _with_release(ns, name, version, lambda s, r: r)
        kind = "application/json" if row.manifest_name.endswith(".json") else "application/yaml"
        return Response(q.manifest_bytes(row), media_type=kind)

    @app.get(base + "/envelope", tags=["read"], responses=_BYTES_ERRORS,
             response_class=Response)
    def envelope(ns: Ns, name: Name, version: Ver) -> Response:
        row = _with_release(ns, name, version, lambda s, r: r)
        return Response(q.envelope_bytes(row), media_type="application/json")

    @app.get(base + "/lineage", tags=["lineage"], responses=_ERRORS)
    def lineage(ns: Ns, name: Name, version: Ver) -> dict[str, Any]:
        return _with_release(ns, name, version, q.lineage)

    @app.get(base + "/badge.svg", tags=["read"], responses=_ERRORS, response_class=Response)
    def badge(ns: Ns, name: Name, version: Ver) -> Response:
        row = _with_release(ns, name, version, lambda s, r: r)
        svg = badge_svg(row.verdicts, bool(row.signers), stored_intact=q.bytes_intact(row))
        return Response(svg, media_type="image/svg+xml",
                        headers={"cache-control": "public, max-age=300"})

    @app.get("/api/v1/releases/{digest}", tags=["lineage"], responses=_ERRORS)
    def by_digest(digest: Digest) -> dict[str, Any]:
        with q.db.read() as s:
            return q.record(s, q.by_digest(s, digest))

    @app.get("/api/v1/releases/{digest}/manifest", tags=["lineage"], responses=_BYTES_ERRORS,
             response_class=Response)
    def manifest_by_digest(digest: Digest) -> Response:
        with q.db.read() as s:
            row = q.by_digest(s, digest)
        return Response(q.manifest_bytes(row), media_type="application/octet-stream")

    @app.get("/api/v1/search", tags=["lineage"], responses=_ERRORS)
    def search(artifact: Annotated[str, Query(pattern=DIGEST_PATTERN, max_length=150)]
               ) -> dict[str, Any]:
        with q.db.read() as s:
            releases, total = q.search_artifact(s, artifact)
        return {"releases": releases, "total": total}


def _page_routes(app: FastAPI, pages: Pages) -> None:
    @app.get("/", response_class=HTMLResponse, tags=["pages"], responses={400: _ERRORS[400]})
    def index(q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
        return HTMLResponse(pages.index(q))

    @app.get("/{ns}/{name}/{version}", response_class=HTMLResponse, tags=["pages"],
             responses=_BYTES_ERRORS)
    def page(ns: Ns, name: Name, version: Ver) -> HTMLResponse:
        return HTMLResponse(pages.release(ns, name, version))


def _admin_routes(app: FastAPI, registry: Registry, blocking: Any) -> None:
    admin = registry.admin

    @app.get("/api/v1/namespaces/{ns}/keys", tags=["namespaces"], responses=_ERRORS)
    def keys(ns: Ns) -> dict[str, Any]:
        threshold, pairs = admin.keys(ns)
        return {"namespace": ns, "threshold": threshold,
                "keys": [{"keyid": k, "pem": pem} for k, pem in pairs]}

    @app.post("/api/v1/namespaces/{ns}/keys", status_code=201, tags=["namespaces"],
              responses={**_AUTH_ERRORS, 413: {"description": "too large"},
                         422: {"description": "not a public key"}},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "text/plain": {"schema": {"type": "string"}}}}})
    async def add_key(request: Request, ns: Ns) -> dict[str, str]:
        await blocking(admin.authorise, ns, request.headers.get("authorization"), "admin")
        reader = _Body(request, registry.config)
        try:
            body = await _bounded_body(reader, 64 * 1024)
        except RegistryError as exc:
            exc.close = reader.more
            raise
        return {"keyid": await blocking(admin.add_key, ns, body, "the request body")}

    @app.post("/api/v1/namespaces/{ns}/tokens", status_code=201, tags=["namespaces"],
              responses=_AUTH_ERRORS)
    async def add_token(request: Request, ns: Ns,
                        scope: Annotated[str, Query(pattern="^(publish|admin)$")] = "publish"
                        ) -> dict[str, str]:
        await blocking(admin.authorise, ns, request.headers.get("authorization"), "admin")
        text = await blocking(admin.add_token, ns, scope)
        return {"token": text, "id": text.split("_")[1], "scope": scope}

    @app.delete("/api/v1/namespaces/{ns}/tokens/{token_id}", status_code=204,
                tags=["namespaces"], responses=_AUTH_ERRORS, response_class=Response)
    async def revoke_token(request: Request, ns: Ns,
                           token_id: Annotated[str, Path(pattern="^[0-9a-f]{16}$")]) -> Response:
        await blocking(admin.authorise, ns, request.headers.get("authorization"), "admin")
        await blocking(admin.revoke_token, ns, token_id)
        return Response(status_code=204)


class _Body:
    """A request body read chunk by chunk, knowing whether all of it has come, and paced:
    after a head start of the client timeout, it must keep coming at the minimum average
    rate, or the request is answered 408 (spec/registry.md REG-21). Without this, a client
    trickling a byte a second would hold a connection and an upload folder for ever."""

    #: a body refused before it was all read (a bad token, bad framing) is read to its end
    #: first when it is this small, so that a client still sending it reads the answer
    #: instead of a connection closed under it; a larger one is not worth reading
    DISCARD = 1 << 20

    def __init__(self, request: Request, config: RegistryConfig) -> None:
        self.request = request
        self.more = True
        self.received = 0
        self.grace = config.client_timeout
        self.rate = config.min_body_rate
        self.start = time.monotonic()

    async def next(self) -> bytes:
        """The next non-empty chunk; b"" at the end."""
        while self.more:
            left = self.start + self.grace + self.received / self.rate - time.monotonic()
            message: Message | None = None
            with anyio.move_on_after(max(left, 0.0)):
                message = await self.request.receive()
            if message is None:
                raise RegistryError(408, "too-slow", "the request body came too slowly: "
                                    f"after {self.grace:g} s it must keep up {self.rate} "
                                    "bytes per second on average")
            if message["type"] == "http.disconnect":
                raise ClientDisconnect
            self.more = bool(message.get("more_body", False))
            if chunk := message.get("body", b""):
                self.received += len(chunk)
                return bytes(chunk)
        return b""

    async def discard_if_small(self) -> None:
        length = self.request.headers.get("content-length", "")
        if not (self.more and length.isdigit() and int(length) <= self.DISCARD):
            return
        with contextlib.suppress(Exception):  # the client went away or is too slow
            while await self.next():
                pass


async def _bounded_body(body: _Body, limit: int) -> bytes:
    out = bytearray()
    while chunk := await body.next():
        out += chunk
        if len(out) > limit:
            raise RegistryError(413, "too-large", f"the body is larger than {limit} bytes")
    return bytes(out)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


_INTERNAL = "internal error (the server's log has the details)"
_STATUS_CODES = {400: "bad-request", 401: "unauthorised", 403: "forbidden", 404: "not-found",
                 405: "method-not-allowed", 408: "too-slow", 413: "too-large"}


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RegistryError)
    async def registry_error(_: Request, exc: RegistryError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status,
                            headers={"connection": "close"} if exc.close else None)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors()[:5]:
            where = ".".join(str(p) for p in e.get("loc", ()))
            problems.append(f"{where}: {e.get('msg', 'invalid')}")
        return _error(400, "bad-request", "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return _error(exc.status_code, code, str(exc.detail))



def _error_schema(app: FastAPI) -> None:
    """Name the error shape in the OpenAPI document."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
                "type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"},
                                   "message": {"type": "string"}}}}}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
