"""A running registry against clients that misbehave on the wire: too slow, gone midway,
asking HEAD; and what a refusal may say about the server (spec/registry.md REG-3, REG-21).

One server on SQLite with a 1-second client timeout serves the module: what is tested
here is HTTP handling, the same on either database."""

from __future__ import annotations

import io
import json
import select
import socket
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import Server, namespace, publish_dir, start_server, upload
from tests.support.signing import key

#: the longest any bounded wait here may take: far above the 1-second client timeout
WAIT = 30.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("slow"), args=("--client-timeout", "1"))
    try:
        yield srv
    finally:
        srv.stop()


def _connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=WAIT)


def _answer(sock: socket.socket) -> bytes:
    """All the server sends until it closes the connection (bounded by WAIT)."""
    out = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            return out
        out += chunk
    raise AssertionError(f"the connection is still open after {WAIT} s: {out[:200]!r}")


def _trickle(sock: socket.socket) -> bytes:
    """Send a byte every 0.2 s until the server answers; return the answer."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if select.select([sock], [], [], 0.2)[0]:
            return _answer(sock)
        try:
            sock.sendall(b"x")
        except (BrokenPipeError, ConnectionResetError):
            return _answer(sock)
    raise AssertionError(f"no answer to a trickled body after {WAIT} s")


def _no_temporary_files(server: Server) -> None:
    deadline = time.monotonic() + WAIT
    while server.temporary_files() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.temporary_files() == []


def _body(answer: bytes) -> dict[str, object]:
    _, _, body = answer.partition(b"\r\n\r\n")
    data: dict[str, object] = json.loads(body)
    return data


@pytest.mark.parametrize("sent", [b"", b"GET / HTTP/1.1\r\nHost: x\r\n", b"GET /api/v1/hea"])
def test_a_request_head_that_does_not_come_in_time_is_cut(server: Server, sent: bytes) -> None:
    with _connect(server) as sock:
        sock.sendall(sent)
        assert _answer(sock) == b""
    # a keep-alive connection's next head is held to the same deadline
    with _connect(server) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n")
        answer = _answer(sock)
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert answer.count(b"HTTP/1.1 ") == 1


def test_a_trickled_publish_body_is_408_and_leaves_nothing(server: Server) -> None:
    ns, token = namespace(server)
    head = (f"POST /api/v1/namespaces/{ns}/releases HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000\r\n\r\n"
            '--XyZ\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n')
    with _connect(server) as sock:
        sock.sendall(head.encode())
        answer = _trickle(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    # what is left of the body cannot be told from a next request: the server says it closes
    assert b"\r\nconnection: close\r\n" in answer.lower()
    assert _body(answer)["error"]["code"] == "too-slow"  # type: ignore[index]
    _no_temporary_files(server)
    # Refused for its token, a small body is read to its end first: trickled, it is not
    # waited for (the client reads the 401, the connection closes).
    with _connect(server) as sock:
        sock.sendall(head.replace(f"Authorization: Bearer {token}\r\n", "").encode())
        answer = _trickle(sock)
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]


def test_a_slow_key_upload_is_408(server: Server) -> None:
    ns, token = namespace(server)
    with _connect(server) as sock:
        sock.sendall(f"POST /api/v1/namespaces/{ns}/keys HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Length: 5000\r\n\r\n-----".encode())
        answer = _trickle(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_a_client_gone_midway_is_no_internal_error(server: Server) -> None:
    ns, token = namespace(server)
    assert server.log is not None
    before = server.log.read_text(errors="replace")
    with _connect(server) as sock:
        sock.sendall((f"POST /api/v1/namespaces/{ns}/releases HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {token}\r\n"
                      "Content-Type: multipart/form-data; boundary=XyZ\r\n"
                      "Content-Length: 100000\r\n\r\n"
                      '--XyZ\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n'
                      ).encode() + b"x" * 5000)
        time.sleep(0.3)  # the server is reading the body (not a timed assert)
    _no_temporary_files(server)
    with server.client() as client:  # the server went on and has logged what it had to
        assert client.get("/api/v1/health").status_code == 200
    added = server.log.read_text(errors="replace")[len(before):]
    assert "internal error" not in added, added[-2000:]
    assert "Traceback" not in added, added[-2000:]


def _with_member(release: Path, name: str) -> bytes:
    """The release as a .tar.gz with one more member ``name``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for f in sorted(release.rglob("*")):
            tar.add(f, arcname=f"rel/{f.relative_to(release)}", recursive=False)
        info = tarfile.TarInfo(name)
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    return out.getvalue()


def test_refusals_never_say_where_the_registry_keeps_an_upload(server: Server,
                                                               tmp_path: Path) -> None:
    ns, token = namespace(server)
    release = publish_dir(tmp_path / "rel", key("alice"))
    with server.client() as client:
        hostile = upload(client, ns, token, release,
                         archive=_with_member(release, "rel/../../evil"))
        not_archive = upload(client, ns, token, release, archive=b"no archive")
    assert (hostile.status_code, not_archive.status_code) == (422, 422)
    messages = [f["message"] for f in hostile.json()["report"]["findings"]
                if f["code"] == "release.archive-unsafe-member"]
    assert messages, hostile.text[:2000]
    assert messages[0].startswith("archive: member "), messages
    assert not_archive.json()["error"]["message"].startswith("archive: not a folder")
    assert server.tmp is not None
    for text in (hostile.text, not_archive.text):
        assert str(server.tmp) not in text
        assert "rebuildable-upload-" not in text


def test_head_is_get_without_a_body(server: Server, tmp_path: Path) -> None:
    ns, token = namespace(server)
    with server.client() as client:
        record = upload(client, ns, token, publish_dir(tmp_path / "rel", key("alice"))).json()
        base = f"/api/v1/namespaces/{ns}/releases/{record['name']}/{record['version']}"
        for path in (base, base + "/badge.svg", base + "/manifest",
                     f"/{ns}/{record['name']}/{record['version']}", "/", "/openapi.json"):
            get, head = client.get(path), client.head(path)
            assert (get.status_code, head.status_code) == (200, 200), path
            assert head.content == b""
            assert head.headers["content-type"] == get.headers["content-type"]
            assert int(head.headers["content-length"]) == len(get.content)
        assert client.head(base.replace(record["version"], "9.9.9")).status_code == 404
        assert client.head(f"/api/v1/namespaces/{ns}/releases").status_code == 405
