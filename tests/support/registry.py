"""Running the registry for tests: the real service (uvicorn in a subprocess) on a free
loopback port, on SQLite or on the machine's PostgreSQL (one fresh database per use),
and signed releases to publish to it.

Each server gets a private temporary folder (``TMPDIR``), so that a test can see that a
request left nothing behind there."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from rebuildable import api
from rebuildable.signing.keys import PrivateKey
from tests.support.signing import key, signed_release

__all__ = ["PG_ADMIN_URL", "TABLES", "Server", "free_port", "namespace", "pg_database",
           "publish_dir", "start_server", "wait_until_up"]

PG_ADMIN_URL = os.environ.get("REBUILDABLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CI = os.environ.get("CI") == "true"
#: how long a server may take to start on a loaded 2-core machine
START_TIMEOUT = 90.0
#: the tables a publish writes to
TABLES = ("packages", "releases", "manifest_digests", "artifact_digests", "upstream_edges")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    data: Path
    db: str
    store: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    log: Path | None = None
    #: the server's TMPDIR
    tmp: Path | None = None

    @property
    def config(self) -> api.RegistryConfig:
        return api.RegistryConfig(data=self.data, db=self.db, store=self.store)

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120, **kw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def blobs(self) -> set[str]:
        from rebuildable.registry.store import open_store

        return set(open_store(self.config.store_url).list())

    def rows(self) -> dict[str, int]:
        """How many rows each table a publish writes to holds."""
        from sqlalchemy import text

        registry = api.registry(self.config)
        try:
            with registry.db.read() as s:
                return {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                        for t in TABLES}
        finally:
            registry.close()

    def temporary_files(self) -> list[Path]:
        """What the server left in its temporary folder."""
        assert self.tmp is not None
        return sorted(self.tmp.rglob("*"))

    @property
    def rss_peak(self) -> int:
        """The server process's peak resident memory in bytes (Linux's VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM in /proc")


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path | None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(errors="replace") if log else ""
            raise RuntimeError(f"the registry exited with {proc.returncode}: {text[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the registry did not start in time")


def start_server(data: Path, db: str | None = None, store: str | None = None, *,
                 env: Mapping[str, str] | None = None, args: tuple[str, ...] = ()) -> Server:
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    db = db or f"sqlite:///{data / 'registry.db'}"
    cmd = [sys.executable, "-c", "from rebuildable.cli import main; main()", "serve",
           "--data", str(data), "--db", db, "--host", "127.0.0.1", "--port", str(port), *args]
    if store:
        cmd += ["--store", store]
    log = data / f"server-{port}.log"
    tmp = data / f"tmp-{port}"
    tmp.mkdir()
    full_env = {**os.environ, "TMPDIR": str(tmp), **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, proc, log)
    return Server(url, proc, data, db, store, dict(env or {}), log, tmp)


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards); skips when there is no server,
    except under CI, where that is a failure."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if CI:
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}: {exc}")
    name = f"rebuildable_test_{uuid.uuid4().hex[:16]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'registry.db'}"
    else:
        with pg_database() as url:
            yield url


def namespace(server: Server, *keys: PrivateKey, threshold: int = 1,
              keys_: bool = True) -> tuple[str, str]:
    """A new namespace on ``server`` with ``keys`` registered (alice's by default; none
    with ``keys_=False``): (name, admin token)."""
    name = f"ns-{uuid.uuid4().hex[:10]}"
    registry = api.registry(server.config)
    try:
        token = registry.admin.add_namespace(name, threshold)
        for k in (keys or (key("alice"),)) if keys_ else ():
            registry.admin.add_key(name, k.public.pem())
    finally:
        registry.close()
    return name, token


def publish_dir(root: Path, *keys: PrivateKey, **fields: Any) -> Path:
    """A signed release folder (see :func:`tests.support.signing.signed_release`)."""
    if root.exists():
        shutil.rmtree(root)
    return signed_release(root, *keys, **fields)


def upload(client: httpx.Client, ns: str, token: str | None, release: Path,
           **overrides: bytes) -> httpx.Response:
    """POST a release folder the way ``publish`` does, with parts optionally replaced."""
    from rebuildable.registry.pack import pack_folder

    archive = release.parent / f"{release.name}-{uuid.uuid4().hex[:8]}.tar.gz"
    pack_folder(release, archive)
    parts = api.release_parts(archive)
    files = {"manifest": ("rebuild.yaml", overrides.get("manifest", parts.manifest)),
             "envelope": ("rebuild.dsse.json", overrides.get("envelope", parts.envelope or b"")),
             "archive": ("release.tar.gz", overrides.get("archive", archive.read_bytes()))}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/api/v1/namespaces/{ns}/releases", files=files, headers=headers)


def pack(release: Path, out: Path | None = None) -> Path:
    """The archive ``publish`` would upload for the release folder (deterministic)."""
    from rebuildable.registry.pack import pack_folder

    out = out or release.parent / f"{release.name}-{uuid.uuid4().hex[:8]}.tar.gz"
    pack_folder(release, out)
    return out


def upload_archive(client: httpx.Client, ns: str, token: str, archive: Path) -> httpx.Response:
    """POST an archive with its own manifest and envelope, the archive streamed from disk
    (the test process never holds it whole either)."""
    parts = api.release_parts(archive)
    with archive.open("rb") as fh:
        files: dict[str, Any] = {"manifest": (parts.manifest_name, parts.manifest),
                 "envelope": ("rebuild.dsse.json", parts.envelope or b""),
                 "archive": ("release.tar.gz", fh)}
        return client.post(f"/api/v1/namespaces/{ns}/releases", files=files,
                           headers={"Authorization": f"Bearer {token}"})


def parts_of(release: Path, folder: Path) -> dict[str, Any]:
    """The three parts of a publish, as the upload receiver leaves them on disk."""
    import hashlib

    from rebuildable.registry.upload import Part

    folder.mkdir(parents=True, exist_ok=True)
    archive = pack(release, folder / "archive")
    found = api.release_parts(archive)
    (folder / "manifest").write_bytes(found.manifest)
    (folder / "envelope").write_bytes(found.envelope or b"")
    out = {}
    for name in ("manifest", "envelope", "archive"):
        data = (folder / name).read_bytes()
        out[name] = Part(name, folder / name, len(data), hashlib.sha256(data).hexdigest())
    return out
