"""validate --dask: a real scheduler and two workers as processes on loopback give the
same report as a local run, and a worker killed mid-run loses nothing."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rebuildable import api
from rebuildable.remote import FetchJob
from rebuildable.remote.distributed import batches
from rebuildable.remote.fetch import FetchOptions
from tests.support.optional import require
from tests.support.web import serve
from tests.unit.rebuildable.remote.test_fetch import codes, ext, release

require("distributed")

# Tiny batches so that a handful of artifacts makes several tasks.
OPTS = FetchOptions(retries=1, backoff=0.01, timeout=20.0, batch_bytes=4096)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _dask_cli() -> list[str]:
    exe = shutil.which("dask", path=str(Path(sys.executable).parent))
    # the `dask` entry point, or the same CLI through the interpreter when no script was
    # installed beside it
    return [exe] if exe else [sys.executable, "-m", "dask"]


@dataclass
class Cluster:
    address: str
    workers: list[subprocess.Popen[bytes]]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], name: str) -> subprocess.Popen[bytes]:
        with (logs / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen([*_dask_cli(), *args], stdout=log,
                                    stderr=subprocess.STDOUT, env=env, start_new_session=True)
        procs.append(proc)
        return proc

    start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
          "scheduler")
    workers = [start(["worker", address, "--nthreads", "2", "--no-dashboard",
                      "--host", "127.0.0.1", "--name", f"w{i}"], f"w{i}") for i in (1, 2)]
    from distributed import Client

    try:
        with Client(address, timeout="60s") as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=90)
        yield Cluster(address, workers)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _shards(n: int) -> dict[str, bytes]:
    return {f"s{i:03d}.bin": (f"shard {i} ".encode() * 300)[: 1000 + i] for i in range(n)}


def _view(report: api.Report) -> list[tuple[str, str | None, str]]:
    return [(f.code, f.artifact, f.message) for f in report.sorted_findings()]


def test_batches_cut_by_bytes() -> None:
    jobs = [FetchJob(f"j{i}", "u", ("sha256",), 1000) for i in range(10)]
    jobs.append(FetchJob("big", "u", ("sha256",), 10_000))
    jobs.append(FetchJob("unknown", "u", ("sha256",), None))
    groups = batches(jobs, batch_bytes=4096)
    # 1000-byte jobs fill 4 KiB batches; big and unknown-size jobs are tasks of their own
    assert [len(g) for g in groups] == [4, 4, 1, 1, 2]
    assert sorted(j.id for g in groups for j in g) == sorted(j.id for j in jobs)


def test_cluster_report_equals_local_report(tmp_path: Path, cluster: Cluster) -> None:
    files = _shards(20)
    with serve(files) as web:
        externals = [ext(f"s{i}", web.url("files", name), data)
                     for i, (name, data) in enumerate(files.items())]
        good = release(tmp_path / "good", externals)
        tampered_ext = [dict(e) for e in externals]
        tampered_ext[7]["digest"] = {"sha256": "0" * 64}
        tampered_ext[12]["size"] = 5
        tampered = release(tmp_path / "bad", tampered_ext)
        for root in (good, tampered):
            local = api.validate(root, api.Options(fetch=True, fetch_options=OPTS))
            remote = api.validate(root, api.Options(dask=cluster.address, fetch_options=OPTS))
            assert _view(remote) == _view(local)
            assert remote.ok == local.ok
    assert codes(local) == ["fetch.digest-mismatch", "fetch.size-mismatch", "fetch.verified"]


def test_worker_killed_mid_run_loses_nothing(tmp_path: Path, cluster: Cluster) -> None:
    files = _shards(16)
    with serve(files) as web:
        externals = [ext(f"s{i}", web.url("slow", name), data)
                     for i, (name, data) in enumerate(files.items())]
        root = release(tmp_path, externals)
        out: list[api.Report] = []
        runner = threading.Thread(target=lambda: out.append(api.validate(
            root, api.Options(dask=cluster.address, fetch_options=OPTS))))
        runner.start()
        time.sleep(1.5)  # tasks are running on both workers by now
        victim = cluster.workers[0]
        os.killpg(victim.pid, signal.SIGKILL)
        runner.join(timeout=180)
        requests = len(web.state.requests)
    assert not runner.is_alive()
    # the lost worker's shards were fetched again by the other one
    assert requests > 16
    report = out[0]
    assert report.ok, _view(report)
    verified = next(f for f in report.findings if f.code == "fetch.verified")
    assert verified.data["verified"] == 16


def test_unreachable_scheduler_is_a_finding_not_a_pass(tmp_path: Path) -> None:
    with serve({"a.bin": b"abc"}) as web:
        root = release(tmp_path, [ext("a", web.url("files", "a.bin"), b"abc")])
        dead = f"tcp://127.0.0.1:{_free_port()}"
        report = api.validate(root, api.Options(
            dask=dead, fetch_options=FetchOptions(timeout=2.0)))
    assert not report.ok
    assert codes(report) == ["fetch.distributed-failed"]


def test_a_shard_index_on_the_cluster_gives_the_local_report(tmp_path: Path,
                                                             cluster: Cluster) -> None:
    """Shard indexes (spec/shards.md) fetched as cluster tasks: the same findings, at the
    same index lines, as a local run, for a good index and one with two bad shards."""
    import hashlib
    import json

    files = _shards(24)
    with serve(files) as web:
        lines = sorted((web.url("files", name), len(data), hashlib.sha256(data).hexdigest())
                       for name, data in files.items())
        for name, broken in (("good", {}), ("bad", {5: "digest", 17: "size"})):
            rows = [(u, 3 if broken.get(i) == "size" else s,
                     "0" * 64 if broken.get(i) == "digest" else d)
                    for i, (u, s, d) in enumerate(lines)]
            index = "".join(f"{u}\t{s}\t{d}\n" for u, s, d in rows).encode()
            root = tmp_path / name
            root.mkdir()
            (root / "shards.tsv").write_bytes(index)
            (root / "rebuild.json").write_text(json.dumps({
                "spec": "rebuildable/0.1", "name": "crawl", "version": "1.0",
                "license": "CC0-1.0",
                "artifacts": [{"id": "shards", "path": "shards.tsv", "kind": "shard-index",
                               "digest": {"sha256": hashlib.sha256(index).hexdigest()},
                               "size": len(index)}]}))
            local = api.validate(root, api.Options(fetch=True, fetch_options=OPTS))
            remote = api.validate(root, api.Options(dask=cluster.address, fetch_options=OPTS))
            assert [(f.code, f.location.line if f.location else None)
                    for f in remote.sorted_findings()] == [
                (f.code, f.location.line if f.location else None)
                for f in local.sorted_findings()]
            assert remote.ok == local.ok == (name == "good")
            assert remote.to_dict()["shards"] == local.to_dict()["shards"]
    assert sorted({f.code for f in local.findings if f.severity.value == "error"}) == [
        "fetch.digest-mismatch", "fetch.size-mismatch"]
