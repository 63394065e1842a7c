"""A bounded load test of the registry service on loopback: publishes and reads.

Starts `rebuildable serve` (uvicorn, one process) on SQLite and/or PostgreSQL, signs N
small releases, then drives the HTTP API from an asyncio httpx loop with a fixed
concurrency: first every publish (50 names, each name's versions in order: a version
starts once the one before it is answered), then a fixed number of reads (record,
manifest, lineage, badge, search, in turn). Each phase stops at its count or its time
bound, whichever comes first. Prints a Markdown table (and the first failures, on
stderr) and writes the figures as JSON.

    python benchmarks/bench_registry.py                         # SQLite and PostgreSQL
    python benchmarks/bench_registry.py --backends sqlite --publishes 50 --reads 500
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from rebuildable import api
from rebuildable.registry.pack import pack_folder

PG_ADMIN = os.environ.get("REBUILDABLE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
#: release names: release i is version 1.(i // NAMES).0 of bench-(i % NAMES)
NAMES = 50


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    #: the first few failures (status and the start of the body, or the exception)
    failures: list[str] = field(default_factory=list)

    def row(self, backend: str) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)
        return {"backend": backend, "phase": self.name, "requests": n + self.errors,
                "per_second": round(n / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": round(1000 * statistics.median(lat), 1) if lat else None,
                "p99_ms": round(1000 * lat[min(n - 1, int(n * 0.99))], 1) if lat else None,
                "errors": self.errors, "failures": self.failures}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'registry.db'}"
        return
    import psycopg  # noqa: PLC0415 - only for the PostgreSQL run

    name = f"rebuildable_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _server(data: Path, db: str) -> Iterator[str]:
    port = _free_port()
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-c", "from rebuildable.cli import main; main()",
                             "serve", "--data", str(data), "--db", db, "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError((data / "server.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _release(root: Path, key: Any, i: int) -> tuple[bytes, bytes, bytes]:
    """A small signed release (3 files, one step) packed as publish packs it."""
    files = {"src/train.py": f"print({i})\n".encode(), "config.json": b'{"lr": 0.1}\n',
             "model/weights.bin": hashlib.sha256(str(i).encode()).digest() * 64}
    ids = {"src/train.py": "train-code", "config.json": "config", "model/weights.bin": "weights"}
    kinds = {"src/train.py": "training-code", "config.json": "config",
             "model/weights.bin": "weights"}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    manifest = {"spec": "rebuildable/0.1", "name": f"bench-{i % NAMES}",
                "version": f"1.{i // NAMES}.0",
                "license": "Apache-2.0", "artifacts": [
                    {"id": ids[p], "path": p, "kind": kinds[p], "size": len(d),
                     "digest": {"sha256": hashlib.sha256(d).hexdigest()}}
                    for p, d in files.items()],
                "steps": [{"id": "train", "run": "python src/train.py",
                           "inputs": ["train-code", "config"], "outputs": ["weights"]}]}
    (root / "rebuild.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    api.sign(root, key)
    archive = root.parent / f"{root.name}.tar.gz"
    pack_folder(root, archive)
    parts = api.release_parts(archive)
    assert parts.envelope is not None
    return parts.manifest, parts.envelope, archive.read_bytes()


async def _drive(phase: Phase, jobs: list[Callable[[], Awaitable[httpx.Response]]],
                 ok: tuple[int, ...], *, concurrency: int, bound: float,
                 after: Callable[[int], int | None] = lambda i: None) -> None:
    """Run ``jobs`` with ``concurrency`` in flight; job ``i`` starts only once job
    ``after(i)`` has finished (a release's next version after the one before it: started
    together, the later one may land first, and the earlier is then rightly refused as a
    rollback)."""
    queue = list(reversed(range(len(jobs))))
    done = [asyncio.Event() for _ in jobs]
    start = time.perf_counter()

    async def worker() -> None:
        while queue and time.perf_counter() - start < bound:
            i = queue.pop()
            before = after(i)
            if before is not None:
                await done[before].wait()
            job = jobs[i]
            t0 = time.perf_counter()
            try:
                r = await job()
                good = r.status_code in ok
                why = f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}"
            except httpx.HTTPError as exc:
                good, why = False, f"{type(exc).__name__}: {exc}"
            done[i].set()
            if good:
                phase.latencies.append(time.perf_counter() - t0)
            else:
                phase.errors += 1
                if len(phase.failures) < 5:
                    phase.failures.append(why)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    phase.seconds = time.perf_counter() - start


async def _load(url: str, ns: str, token: str, uploads: list[tuple[bytes, bytes, bytes]], *,
                reads: int, concurrency: int, bound: float) -> list[Phase]:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as c:
        headers = {"Authorization": f"Bearer {token}"}

        def publish(m: bytes, e: bytes, a: bytes) -> Callable[[], Awaitable[httpx.Response]]:
            files = {"manifest": ("rebuild.yaml", m), "envelope": ("rebuild.dsse.json", e),
                     "archive": ("release.tar.gz", a)}
            return lambda: c.post(f"/api/v1/namespaces/{ns}/releases", files=files,
                                  headers=headers)

        pub = Phase("publish")
        await _drive(pub, [publish(*u) for u in uploads], (201,), concurrency=concurrency,
                     bound=bound, after=lambda i: i - NAMES if i >= NAMES else None)
        records = [yaml.safe_load(m) for m, _, _ in uploads]
        weights = [a["digest"]["sha256"] for r in records for a in r["artifacts"]
                   if a["id"] == "weights"]
        kinds = ["", "/manifest", "/lineage", "/badge.svg"]

        def read(i: int) -> Callable[[], Awaitable[httpx.Response]]:
            r = records[i % len(records)]
            if i % 5 == 4:
                return lambda: c.get("/api/v1/search",
                                     params={"artifact": f"sha256:{weights[i % len(weights)]}"})
            base = f"/api/v1/namespaces/{ns}/releases/{r['name']}/{r['version']}"
            return lambda: c.get(base + kinds[i % 5])

        rd = Phase("read")
        await _drive(rd, [read(i) for i in range(reads)], (200,), concurrency=concurrency,
                     bound=bound)
        return [pub, rd]


def run(backend: str, n: int, reads: int, concurrency: int, bound: float) -> list[Phase]:
    with tempfile.TemporaryDirectory(prefix="rebuildable-bench-") as tmp:
        folder = Path(tmp)
        key = api.generate_key()
        uploads = []
        for i in range(n):
            root = folder / "releases" / f"r{i}"
            root.mkdir(parents=True)
            uploads.append(_release(root, key, i))
        data = folder / "data"
        data.mkdir()
        with _database(backend, folder) as db, _server(data, db) as url:
            registry = api.registry(api.RegistryConfig(data=data, db=db))
            try:
                token = registry.admin.add_namespace("bench")
                registry.admin.add_key("bench", key.public.pem())
            finally:
                registry.close()
            return asyncio.run(_load(url, "bench", token, uploads, reads=reads,
                                     concurrency=concurrency, bound=bound))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--publishes", type=int, default=200)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--bound", type=float, default=120.0, help="seconds per phase, at most")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).with_name("results-registry.json"))
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        for phase in run(backend, args.publishes, args.reads, args.concurrency, args.bound):
            rows.append(phase.row(backend))
    print("| backend | phase | requests | per second | p50 ms | p99 ms | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['backend']} | {r['phase']} | {r['requests']} | {r['per_second']} | "
              f"{r['p50_ms']} | {r['p99_ms']} | {r['errors']} |")
    for r in rows:
        for failure in r["failures"]:
            print(f"{r['backend']} {r['phase']} failed: {failure}", file=sys.stderr)
    args.out.write_text(json.dumps({
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": platform.platform()},
        "parameters": {k: v for k, v in vars(args).items() if k != "out"},
        "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
