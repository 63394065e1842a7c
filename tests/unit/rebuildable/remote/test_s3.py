"""validate --fetch of s3:// artifacts against a real S3 API server (moto, server mode)
on loopback."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuildable import api
from rebuildable.remote.fetch import FetchOptions
from tests.support.optional import require
from tests.unit.rebuildable.remote.test_fetch import codes, ext, release

boto3 = require("boto3")
moto_server = require("moto.server")
require("s3fs")

QUICK = FetchOptions(retries=1, backoff=0.01, timeout=10.0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # The standard variables any AWS client reads: how a user points s3:// at a store.
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    import fsspec

    fsspec.filesystem("s3").clear_instance_cache()
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="shards")
    yield "shards"
    for obj in client.list_objects_v2(Bucket="shards").get("Contents", []):
        client.delete_object(Bucket="shards", Key=obj["Key"])
    client.delete_bucket(Bucket="shards")


def test_s3_shards_verify_and_tampering_is_found(tmp_path: Path, bucket: str,
                                                 s3_endpoint: str) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    shards = {f"shard-{i:03d}.bin": hashlib.sha256(bytes([i])).digest() * (1000 + i)
              for i in range(12)}
    for key, data in shards.items():
        client.put_object(Bucket=bucket, Key=key, Body=data)
    externals = [ext(f"s{i}", f"s3://{bucket}/{key}", data)
                 for i, (key, data) in enumerate(shards.items())]
    root = release(tmp_path, externals)
    report = api.validate(root, api.Options(fetch=True, fetch_options=QUICK))
    assert report.ok, [f.message for f in report.findings if f.severity.value == "error"]
    assert codes(report) == ["fetch.verified"]

    client.put_object(Bucket=bucket, Key="shard-005.bin", Body=b"tampered" * 100)
    externals.append(ext("missing", f"s3://{bucket}/no-such-key", b"x"))
    root2 = release(tmp_path / "2", externals)
    report2 = api.validate(root2, api.Options(fetch=True, fetch_options=QUICK))
    assert codes(report2) == ["fetch.not-found", "fetch.size-mismatch", "fetch.verified"]
    bad = {f.artifact for f in report2.findings if f.severity.value == "error"}
    assert bad == {"s5", "missing"}


def test_small_object_edges(tmp_path: Path, bucket: str, s3_endpoint: str) -> None:
    """Small objects take one ranged request: an empty object still verifies, and one
    longer than declared is still caught (the range asks for one byte more)."""
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.put_object(Bucket=bucket, Key="empty", Body=b"")
    client.put_object(Bucket=bucket, Key="longer", Body=b"0123456789")
    root = release(tmp_path, [ext("empty", f"s3://{bucket}/empty", b""),
                              ext("longer", f"s3://{bucket}/longer", b"01234")])
    report = api.validate(root, api.Options(fetch=True, fetch_options=QUICK))
    errors = [(f.code, f.artifact) for f in report.findings if f.severity.value == "error"]
    assert errors == [("fetch.size-mismatch", "longer")]
    assert codes(report) == ["fetch.size-mismatch", "fetch.verified"]
