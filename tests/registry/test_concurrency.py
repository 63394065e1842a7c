"""Racing publishers, a server killed mid-publish, restarts: the database and the blob
store stay consistent, on SQLite and PostgreSQL, with two server processes sharing them."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from rebuildable import api
from rebuildable.cli import cli
from rebuildable.registry.pack import pack_folder
from tests.support.registry import Server, namespace, publish_dir, start_server, upload


def _race(servers: list[Server], ns: str, token: str, releases: list[Path]) -> list[int]:
    barrier = threading.Barrier(len(releases))
    statuses: list[int] = [0] * len(releases)
    archives = list(releases)

    def run(i: int) -> None:
        with servers[i % len(servers)].client() as c:
            barrier.wait()
            statuses[i] = upload(c, ns, token, archives[i]).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(releases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return statuses


def _rows_of(names: int, releases: int) -> dict[str, int]:
    """The rows ``releases`` publishes of the test release (three artifacts, each with one
    sha256, no upstream) under ``names`` names leave: anything else is a torn or doubled
    record."""
    return {"packages": names, "releases": releases,
            "manifest_digests": releases * len(api.strong_digests(b"")),
            "artifact_digests": releases * 3, "upstream_edges": 0}


def test_eight_racing_publishers_one_wins(backend: tuple[Path, str], tmp_path: Path) -> None:
    """Two server processes sharing the database and the blob store (the scale-out set-up;
    on SQLite, one file), the publishers spread over both."""
    data, url = backend
    servers = [start_server(data, url)]
    try:
        servers.append(start_server(tmp_path / "data2", url, store=servers[0].config.store_url))
        ns, token = namespace(servers[0])
        # A name with a version already: the racers meet on its existing row's lock.
        with servers[0].client() as c:
            assert upload(c, ns, token, publish_dir(tmp_path / "r", name="raced",
                                                    version="0.9.0")).status_code == 201
        first = servers[0].blobs()
        releases = [publish_dir(tmp_path / f"r{i}", name="raced", version="1.0.0",
                                description=f"publisher {i}") for i in range(8)]
        statuses = _race(servers, ns, token, releases)
        assert sorted(statuses) == [201] + [409] * 7, statuses
        winner = releases[statuses.index(201)]
        with servers[-1].client() as c:
            got = c.get(f"/api/v1/namespaces/{ns}/releases/raced/1.0.0/manifest").content
            assert got == (winner / "rebuild.yaml").read_bytes()
            env = c.get(f"/api/v1/namespaces/{ns}/releases/raced/1.0.0/envelope").content
            assert env == (winner / "rebuild.dsse.json").read_bytes()
        # The losers stored nothing: the only new blobs are the winner's three, the only
        # new rows those of one publish.
        assert len(servers[0].blobs() - first) == 3
        assert servers[0].rows() == _rows_of(1, 2)

        same = publish_dir(tmp_path / "same", name="same", version="1.0.0")
        statuses = _race(servers, ns, token, [same] * 8)
        assert sorted(statuses) == [200] * 7 + [201], statuses
        assert servers[0].rows() == _rows_of(2, 3)
        for s in servers:
            assert s.temporary_files() == []
    finally:
        for s in servers:
            s.stop()


def _half_upload(server: Server, ns: str, token: str, release: Path) -> socket.socket:
    """Start a publish and send only half its body (the server is then mid-upload)."""
    archive = release.parent / "half.tar.gz"
    pack_folder(release, archive)
    body = archive.read_bytes()
    head = (f"POST /api/v1/namespaces/{ns}/releases HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body) * 2 + 400}\r\n"
            "Content-Type: multipart/form-data; boundary=b0undary\r\n\r\n")
    part = ("--b0undary\r\nContent-Disposition: form-data; name=\"archive\"; "
            "filename=\"a\"\r\n\r\n")
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(head.encode() + part.encode() + body[: len(body) // 2])
    return sock


def _check_consistent(server: Server, ns: str, expected: dict[str, Path]) -> None:
    with server.client() as c:
        for version, rel in expected.items():
            base = f"/api/v1/namespaces/{ns}/releases/big/{version}"
            rec = c.get(base).json()
            manifest = c.get(base + "/manifest").content
            assert manifest == (rel / "rebuild.yaml").read_bytes()
            assert rec["digest"] == "sha256:" + hashlib.sha256(manifest).hexdigest()
            envelope = c.get(base + "/envelope").content
            assert rec["envelope_digest"] == "sha256:" + hashlib.sha256(envelope).hexdigest()
            assert c.get(base + "/report").json()["ok"] is True


def test_sigkill_mid_publish_then_restart(backend: tuple[Path, str], tmp_path: Path) -> None:
    data, url = backend
    server = start_server(data, url)
    ns, token = namespace(server)
    acknowledged: dict[str, Path] = {}
    big = {"blob.bin": os.urandom(4 << 20)}
    try:
        with server.client() as c:
            for v in ("1.0.0", "1.0.1"):
                rel = publish_dir(tmp_path / v, name="big", version=v)
                assert upload(c, ns, token, rel).status_code == 201
                acknowledged[v] = rel
        half = _half_upload(server, ns, token, publish_dir(tmp_path / "half", name="big",
                                                          version="1.0.2"))
        # A complete publish of a larger release, killed somewhere in its course.
        inflight = publish_dir(tmp_path / "inflight", name="big", version="1.0.3")
        for rel_path, content in big.items():
            (inflight / rel_path).write_bytes(content)
        result: dict[str, int] = {}

        def send() -> None:
            try:
                with server.client() as c:
                    result["status"] = upload(c, ns, token, inflight).status_code
            except httpx.HTTPError:
                result["status"] = -1

        t = threading.Thread(target=send)
        t.start()
        time.sleep(0.8)
        server.kill()
        t.join(60)
        half.close()
    finally:
        server.stop()

    server = start_server(data, url)
    try:
        _check_consistent(server, ns, acknowledged)
        with server.client() as c:
            listed = c.get(f"/api/v1/namespaces/{ns}/releases/big/1.0.3")
            assert listed.status_code in (200, 404)
            if listed.status_code == 200:  # acknowledged just before the kill: whole
                acknowledged["1.0.3"] = inflight
            assert c.get(f"/api/v1/namespaces/{ns}/releases/big/1.0.2").status_code == 404
            # Blobs no row refers to are unreachable: no release has them as its manifest.
            for blob in server.blobs():
                r = c.get(f"/api/v1/releases/sha256:{blob}")
                if r.status_code == 200:
                    assert r.json()["namespace"] == ns
            again = publish_dir(tmp_path / "again", name="big", version="1.1.0")
            assert upload(c, ns, token, again).status_code == 201
            acknowledged["1.1.0"] = again
    finally:
        server.stop()
    # Restart persistence: a clean stop and start keeps every record.
    server = start_server(data, url)
    try:
        _check_consistent(server, ns, acknowledged)
        # Whatever the kill left is unreferenced: gc removes exactly that, and every
        # acknowledged record stays whole.
        referenced = _referenced(server)
        assert referenced <= server.blobs()
        collected = CliRunner().invoke(cli, ["registry", "gc", "--grace", "0", "--data",
                                             str(data), "--db", url])
        assert collected.exit_code == 0, collected.stderr
        assert server.blobs() == referenced
        _check_consistent(server, ns, acknowledged)
    finally:
        server.stop()


def _referenced(server: Server) -> set[str]:
    from sqlalchemy import text

    registry = api.registry(server.config)
    try:
        with registry.db.read() as s:
            rows = s.execute(text("SELECT digest, envelope_blob, archive_blob FROM releases"))
            return {blob for row in rows for blob in row}
    finally:
        registry.close()
