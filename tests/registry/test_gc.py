"""Blobs no release refers to: left by a publisher killed between writing its blobs and
committing its rows, never served, and removed by `rebuildable registry gc` once older
than the grace period, without ever hurting a publish in flight (spec/registry.md, REG-20)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rebuildable import api
from rebuildable.cli import cli
from rebuildable.registry.upload import UPLOAD_PREFIX
from tests.support.registry import (
    Server,
    namespace,
    parts_of,
    publish_dir,
    start_server,
    upload,
)
from tests.support.signing import key

#: two hours ago: older than the default grace period (one hour)
OLD = time.time() - 7200

#: a publisher that is SIGKILLed right after its last blob is written, before its rows
#: are committed: the one window in which a crash leaves blobs that no row names
CRASHING_PUBLISHER = """
import json, os, signal, sys
from pathlib import Path
from typing import Any
from rebuildable import api
from rebuildable.registry.upload import Part

data, db, ns, parts_json = sys.argv[1:]
registry = api.registry(api.RegistryConfig(data=Path(data), db=db))
parts = {k: Part(k, Path(v[0]), v[1], v[2]) for k, v in json.loads(parts_json).items()}
put = registry.store.put_file

def put_then_die(path, sha256):
    put(path, sha256)
    if path == parts["archive"].path:
        os.kill(os.getpid(), signal.SIGKILL)

registry.store.put_file = put_then_die
registry.publisher.publish(ns, parts)
print("not killed")
"""


def _gc(server: Server, *args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(cli, ["registry", "gc", "--data", str(server.data), "--db",
                                      server.db, *(["--store", server.store] if server.store
                                                   else []), *args])
    return result.exit_code, result.stdout.split(), result.stderr


def test_sigkill_between_blob_write_and_commit(backend: tuple[Path, str],
                                               tmp_path: Path) -> None:
    data, url = backend
    server = start_server(data, url)
    try:
        ns, token = namespace(server)
        release = publish_dir(tmp_path / "rel", name="crashed", version="1.0.0")
        parts = parts_of(release, tmp_path / "parts")
        done = subprocess.run(
            [sys.executable, "-c", CRASHING_PUBLISHER, str(data), url, ns,
             json.dumps({k: [str(p.path), p.size, p.sha256] for k, p in parts.items()})],
            capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == -9, done.stderr[-2000:]
        orphans = {p.sha256 for p in parts.values()}
        assert server.blobs() == orphans  # written whole ...
        assert server.rows()["releases"] == 0  # ... and never recorded
        with server.client() as c:
            assert c.get(f"/api/v1/namespaces/{ns}/releases/crashed/1.0.0").status_code == 404
            for blob in orphans:
                assert c.get(f"/api/v1/releases/sha256:{blob}").status_code == 404
        # Younger than the grace period: left alone (they may be a publish in flight).
        code, removed, err = _gc(server)
        assert (code, removed) == (0, []), err
        assert server.blobs() == orphans
        code, removed, err = _gc(server, "--grace", "0")
        assert code == 0, err
        assert sorted(removed) == sorted(f"sha256:{b}" for b in orphans)
        assert server.blobs() == set()
        # The same release publishes afterwards as if nothing had happened.
        with server.client() as c:
            assert upload(c, ns, token, release).status_code == 201
            base = f"/api/v1/namespaces/{ns}/releases/crashed/1.0.0"
            assert c.get(base + "/manifest").content == (release / "rebuild.yaml").read_bytes()
        assert server.blobs() == orphans
    finally:
        server.stop()


def test_gc_removes_only_old_unreferenced_blobs(server: Server, work: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ns, token = namespace(server)
    release = publish_dir(work / "rel", name="kept", version="1.0.0")
    with server.client() as c:
        assert upload(c, ns, token, release).status_code == 201
    referenced = server.blobs()
    store = api.registry(server.config)
    try:
        old_orphan = parts_of(publish_dir(work / "o1", name="o", version="1"), work / "p1")
        young_orphan = parts_of(publish_dir(work / "o2", name="o", version="2"), work / "p2")
        store.store.put_file(old_orphan["archive"].path, old_orphan["archive"].sha256)
        store.store.put_file(young_orphan["archive"].path, young_orphan["archive"].sha256)
    finally:
        store.close()
    blobs = server.data / "blobs" / "sha256"
    for blob in (*referenced, old_orphan["archive"].sha256):
        os.utime(blobs / blob[:2] / blob[2:], (OLD, OLD))
    partial = blobs / "ab" / ".tmp-killed-mid-write"
    partial.parent.mkdir(exist_ok=True)
    partial.write_bytes(b"half a blob")
    os.utime(partial, (OLD, OLD))
    # Upload folders: one abandoned by a killed server, one of an upload going on.
    tmp = work / "tmp"
    abandoned = tmp / f"{UPLOAD_PREFIX}dead"
    live = tmp / f"{UPLOAD_PREFIX}live"
    for folder in (abandoned, live):
        folder.mkdir(parents=True)
        (folder / "archive").write_bytes(b"...")
    for p in (abandoned, abandoned / "archive", live):
        os.utime(p, (OLD, OLD))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))

    code, removed, err = _gc(server, "--dry-run")
    assert (code, removed) == (0, [f"sha256:{old_orphan['archive'].sha256}"]), err
    assert "would remove 1 unreferenced blob(s) (left 1 younger than 3600s), 1 half-written " \
        "blob(s) and 1 abandoned upload folder(s)" in err
    assert old_orphan["archive"].sha256 in server.blobs()
    assert abandoned.exists()
    assert partial.exists()

    code, removed, err = _gc(server)
    assert (code, removed) == (0, [f"sha256:{old_orphan['archive'].sha256}"]), err
    assert server.blobs() == referenced | {young_orphan["archive"].sha256}
    assert not partial.exists()
    assert not abandoned.exists()
    assert live.exists()  # its file is new: an upload still being received
    with server.client() as c:
        base = f"/api/v1/namespaces/{ns}/releases/kept/1.0.0"
        assert c.get(base + "/manifest").content == (release / "rebuild.yaml").read_bytes()
        assert c.get(base + "/envelope").status_code == 200

    code, removed, err = _gc(server, "--grace", "0")
    assert (code, removed) == (0, [f"sha256:{young_orphan['archive'].sha256}"]), err
    assert server.blobs() == referenced


def test_gc_waits_for_a_publish_in_flight(backend: tuple[Path, str], tmp_path: Path) -> None:
    """The race the lock closes: a blob left by an earlier crash is found already stored by
    a publisher, which is about to commit a row naming it, while gc (grace 0: the lock alone
    protects it) decides whether it is referenced."""
    data, url = backend
    config = api.RegistryConfig(data=data, db=url)
    publisher_side, gc_side = api.registry(config), api.registry(config)
    try:
        admin = publisher_side.admin
        admin.add_namespace("ns")
        admin.add_key("ns", key("alice").public.pem())
        parts = parts_of(publish_dir(tmp_path / "rel", name="flight", version="1.0.0"),
                         tmp_path / "parts")
        archive = parts["archive"]
        publisher_side.store.put_file(archive.path, archive.sha256)  # the crash's leftover
        reached, go = threading.Event(), threading.Event()
        put = publisher_side.store.put_file

        def put_and_pause(path: Path, sha256: str) -> None:
            put(path, sha256)
            if sha256 == archive.sha256:
                reached.set()
                assert go.wait(60)

        publisher_side.store.put_file = put_and_pause  # type: ignore[method-assign]
        status: list[int] = []
        collected: list[Any] = []
        publishing = threading.Thread(
            target=lambda: status.append(publisher_side.publisher.publish("ns", parts)[0]))
        publishing.start()
        assert reached.wait(120)
        collecting = threading.Thread(
            target=lambda: collected.append(gc_side.collect_garbage(0)))
        collecting.start()
        collecting.join(2)
        assert collecting.is_alive(), "gc did not wait for the publisher's commit"
        go.set()
        publishing.join(60)
        collecting.join(60)
        assert status == [201]
        assert collected[0].removed == ()
        assert gc_side.store.exists(archive.sha256)
    finally:
        go.set()
        publisher_side.close()
        gc_side.close()
