"""Blobs in S3-compatible storage: the registry against moto's S3 server on loopback."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.registry import database, free_port, namespace, publish_dir, start_server, upload

S3_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
          "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def s3_endpoint(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(url, timeout=2)
                break
            assert proc.poll() is None, (tmp_path / "moto.log").read_text()
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def test_blobs_in_s3(s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scale set-up: PostgreSQL for the records, S3 for the bytes."""
    import boto3

    env = {**S3_ENV, "AWS_ENDPOINT_URL": s3_endpoint}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="releases")
    with database("postgresql", tmp_path) as url:
        server = start_server(tmp_path / "data", url, store="s3://releases/registry", env=env)
        try:
            ns, token = namespace(server)
            release = publish_dir(tmp_path / "rel", name="in-s3", version="1.0.0")
            with server.client() as c:
                assert upload(c, ns, token, release).status_code == 201
                manifest = c.get(f"/api/v1/namespaces/{ns}/releases/in-s3/1.0.0/manifest")
                assert manifest.content == (release / "rebuild.yaml").read_bytes()
            keys = {o["Key"] for o in s3.list_objects_v2(Bucket="releases")["Contents"]}
            digest = hashlib.sha256(manifest.content).hexdigest()
            assert f"registry/sha256/{digest}" in keys
            assert len(keys) == 3
            assert not (tmp_path / "data" / "blobs").exists()
        finally:
            server.stop()
    assert os.environ["AWS_ENDPOINT_URL"] == s3_endpoint


def test_gc_in_s3(s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unreferenced objects are removed once older than the grace period (S3's
    LastModified); the release's own three stay."""
    import boto3
    from click.testing import CliRunner

    from rebuildable.cli import cli
    from rebuildable.registry.store import open_store
    from tests.support.registry import parts_of

    env = {**S3_ENV, "AWS_ENDPOINT_URL": s3_endpoint}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    boto3.client("s3").create_bucket(Bucket="gc-blobs")
    store_url = "s3://gc-blobs/registry"
    server = start_server(tmp_path / "data", store=store_url, env=env)
    try:
        ns, token = namespace(server)
        with server.client() as c:
            assert upload(c, ns, token, publish_dir(tmp_path / "rel", name="kept",
                                                    version="1.0.0")).status_code == 201
        referenced = server.blobs()
        orphan = parts_of(publish_dir(tmp_path / "o", name="o", version="1"),
                          tmp_path / "parts")["archive"]
        open_store(store_url).put_file(orphan.path, orphan.sha256)

        def gc(*args: str) -> list[str]:
            result = CliRunner().invoke(cli, ["registry", "gc", "--data", str(server.data),
                                              "--db", server.db, "--store", store_url, *args])
            assert result.exit_code == 0, result.stderr
            return result.stdout.split()

        assert gc() == []  # younger than the default hour
        assert server.blobs() == referenced | {orphan.sha256}
        time.sleep(1.1)  # S3 times have whole seconds
        assert gc("--grace", "1") == [f"sha256:{orphan.sha256}"]
        assert server.blobs() == referenced
        with server.client() as c:
            assert c.get(f"/api/v1/namespaces/{ns}/releases/kept/1.0.0/envelope").status_code \
                == 200
    finally:
        server.stop()


def test_a_bucket_that_cannot_be_reached_stops_the_start(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from rebuildable.cli import cli

    for k, v in {**S3_ENV, "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(k, v)
    result = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path / "data"), "--store",
                                      "s3://no-such-bucket/registry", "--port", "9"])
    assert result.exit_code == 2
    assert "blob store s3://no-such-bucket/registry: bucket 'no-such-bucket' cannot be " \
        "reached" in result.stderr
    assert "Traceback" not in result.stderr
