"""A real HTTP(S) server on loopback whose misbehaviour a test chooses by path.

``/files/NAME`` serves NAME's bytes (with ``Range``); ``/drop/NAME`` breaks the first
transfer of NAME off half-way, then behaves; ``/cut/NAME`` breaks every transfer off
after 1 KiB of body; ``/slow/NAME`` waits before serving; ``/flaky/NAME`` answers 503
once, then behaves; ``/endless`` never ends its body; ``/forbidden/NAME`` is 403;
``/redirect/NAME`` sends the client to ``localhost`` instead of ``127.0.0.1`` (another
host name); ``/length/NAME`` serves NAME with ``state.content_length`` as its
Content-Length header, whatever it says, and closes; anything else is 404. ``requests``
counts what was asked, so tests can prove a resume used a range. ``answering`` is another
server that gives one fixed answer to every request.
"""

from __future__ import annotations

import datetime
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class WebState:
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)
    flaked: set[str] = field(default_factory=set)
    #: what ``/length/NAME`` announces as its Content-Length (hostile on purpose)
    content_length: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        rng = self.headers.get("Range")
        with state.lock:
            state.requests.append((self.path, rng))
        parts = self.path.strip("/").split("/", 1)
        kind, name = parts[0], parts[1] if len(parts) > 1 else ""
        if kind == "slow":
            time.sleep(self.server.slow_seconds)
            kind = "files"
        if kind == "endless":
            self._endless()
            return
        if kind == "redirect" and name in state.files:
            port = self.server.server_address[1]
            self._plain(302, b"", {"Location": f"http://localhost:{port}/files/{name}"})
            return
        if kind == "forbidden":
            self._plain(403, b"forbidden")
            return
        if kind == "length" and name in state.files:
            self.send_response(200)
            self.send_header("Content-Length", state.content_length)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self.wfile.write(state.files[name])
            return
        data = state.files.get(name)
        if data is None or kind not in ("files", "drop", "cut", "flaky"):
            self._plain(404, b"not found")
            return
        if kind == "flaky":
            with state.lock:
                first = name not in state.flaked
                state.flaked.add(name)
            if first:
                self._plain(503, b"busy")
                return
        start = _range_start(rng) if rng else 0
        body = data[start:]
        cut: int | None = None
        if kind == "drop":
            with state.lock:
                if name not in state.dropped:
                    state.dropped.add(name)
                    cut = len(body) // 2
        elif kind == "cut":
            cut = min(len(body), 1024)
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if cut is not None and cut < len(body):
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _plain(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"x" * 65536
        try:
            for _ in range(1 << 20):  # bounded: 64 GiB, far more than any test reads
                self.wfile.write(chunk)
        except OSError:
            return


def _range_start(header: str) -> int:
    unit, _, spec = header.partition("=")
    return int(spec.split("-", 1)[0]) if unit.strip() == "bytes" else 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: WebState
    slow_seconds: float = 0.5


@dataclass
class Web:
    base: str
    state: WebState

    def url(self, kind: str, name: str = "") -> str:
        return f"{self.base}/{kind}/{name}" if name else f"{self.base}/{kind}"


@contextmanager
def serve(files: dict[str, bytes] | None = None,
          tls: tuple[Path, Path] | None = None) -> Iterator[Web]:
    """A server on 127.0.0.1 and a free port; with ``tls`` (cert, key) it speaks HTTPS."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = WebState(files=dict(files or {}))
    scheme = "http"
    if tls is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Web(f"{scheme}://127.0.0.1:{server.server_address[1]}", server.state)
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 that no trust store knows."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Answer(BaseHTTPRequestHandler):
    """Reads whatever is sent, then gives the one answer the test chose."""

    server: _AnswerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                break
            length -= len(chunk)
        status, body, kind = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()


class _AnswerServer(ThreadingHTTPServer):
    daemon_threads = True
    answer: tuple[int, bytes, str]


@contextmanager
def answering(status: int, body: bytes,
              content_type: str = "application/json") -> Iterator[str]:
    """A server on loopback that answers every GET or POST with ``status`` and ``body``
    (what a proxy, or another service on a registry's port, might say); yields its URL."""
    server = _AnswerServer(("127.0.0.1", 0), _Answer)
    server.answer = (status, body, content_type)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
