"""Remote shards on an S3 API server on loopback: `validate --fetch` locally vs on a Dask
cluster of 1 and 2 workers, and `init --from-listing` + `validate` on a million entries.

    python benchmarks/bench_remote.py                       # 10,000 shards of 4 KiB
    python benchmarks/bench_remote.py --shards 2000         # lighter
    python benchmarks/bench_remote.py --million             # also the 1,000,000-entry run

Needs the `s3` and `dask` extras and moto (`pip install -e '.[all,test]'`). Everything is
on this machine: moto's S3 server (server mode, its own process), a Dask scheduler and
workers as processes, all on 127.0.0.1. Each run reports wall time, the CPU seconds of
the validating process and its children, and the peak RSS of the validating process.
A run must verify every shard (exit 0), and a run over the same release with one shard
overwritten must exit 1, so a validator that skipped the fetching could not look fast.
Results go to stdout and to ``--results`` (default ``benchmarks/results-remote.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_port(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port}")


@contextmanager
def processes(*commands: list[str], log: Path,
              env: dict[str, str] | None = None) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with log.open("ab") as out:
            for cmd in commands:
                procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                              start_new_session=True, env=env))
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def timed(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """One process, timed by GNU time: wall, CPU (user + system) and its own peak RSS."""
    proc = subprocess.run(["/usr/bin/time", "-f", "@@TIME %e %U %S %M", *cmd], env=env,
                          capture_output=True, check=False)
    err = proc.stderr.decode(errors="replace")
    stats = next(line for line in reversed(err.splitlines()) if line.startswith("@@TIME"))
    wall, user, system, rss_kb = stats.split()[1:]
    return {"exit": proc.returncode, "wall_s": float(wall),
            "cpu_s": round(float(user) + float(system), 2),
            "max_rss_mb": round(int(rss_kb) / 1024, 1),
            "stderr_tail": err.replace(stats, "")[-400:]}


def make_release(root: Path, endpoint: str, shards: int, size: int, env: dict[str, str]) -> None:
    import boto3  # noqa: PLC0415 - the benchmark's own dependency

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
    client.create_bucket(Bucket="shards")
    listing = root / "listing.tsv"
    lines = []
    for i in range(shards):
        data = hashlib.sha256(str(i).encode()).digest() * (size // 32)
        key = f"part-{i:06d}.bin"
        client.put_object(Bucket="shards", Key=key, Body=data)
        lines.append(f"s3://shards/{key}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}")
    listing.write_text("\n".join(lines) + "\n")
    release = root / "release"
    release.mkdir()
    subprocess.run([str(BIN / "rebuildable"), "init", str(release), "--from-listing",
                    str(listing), "--license", "CC0-1.0"], env=env, check=True,
                   capture_output=True)


def tamper(endpoint: str) -> None:
    import boto3  # noqa: PLC0415

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
    client.put_object(Bucket="shards", Key="part-000007.bin", Body=b"tampered")


def million(root: Path, env: dict[str, str]) -> dict[str, Any]:
    listing = root / "million.tsv"
    with listing.open("w") as fh:
        for i in range(1_000_000):
            digest = hashlib.sha256(str(i).encode()).hexdigest()
            fh.write(f"s3://crawl/shards/{i:07d}.parquet\t{1000 + i}\t{digest}\n")
    release = root / "million"
    release.mkdir()
    out: dict[str, Any] = {}
    out["init_from_listing"] = timed([str(BIN / "rebuildable"), "init", str(release),
                                      "--from-listing", str(listing)], env)
    out["validate"] = timed([str(BIN / "rebuildable"), "validate", str(release),
                             "--format", "json"], env)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=10_000)
    parser.add_argument("--shard-size", type=int, default=4096)
    parser.add_argument("--dir", type=Path, default=HERE / "work" / "remote")
    parser.add_argument("--results", type=Path, default=HERE / "results-remote.json")
    parser.add_argument("--million", action="store_true")
    args = parser.parse_args()
    if args.dir.exists():
        shutil.rmtree(args.dir)
    args.dir.mkdir(parents=True)
    log = args.dir / "servers.log"
    s3_port, sched_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{s3_port}"
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                               "cpus": os.cpu_count(), "shards": args.shards,
                               "shard_size": args.shard_size, "runs": {}}
    validate = [str(BIN / "rebuildable"), "validate", str(args.dir / "release"),
                "--format", "json"]
    with processes([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
                   log=log):
        wait_port(s3_port)
        make_release(args.dir, endpoint, args.shards, args.shard_size, env)
        runs = results["runs"]
        for n in (4, 8):
            runs[f"local, {n} transfers"] = timed(
                [*validate, "--fetch", "--fetch-concurrency", str(n)], env)
        address = f"tcp://127.0.0.1:{sched_port}"
        dask = [str(BIN / "dask")] if (BIN / "dask").exists() else [sys.executable, "-m", "dask"]
        for workers in (1, 2):
            with processes([*dask, "scheduler", "--host", "127.0.0.1", "--port",
                            str(sched_port), "--no-dashboard"],
                           *[[*dask, "worker", address, "--nthreads", "4", "--no-dashboard",
                              "--host", "127.0.0.1"] for _ in range(workers)], log=log,
                           env=env):
                wait_port(sched_port)
                time.sleep(3)  # workers register
                runs[f"dask, {workers} worker(s) x 4 threads"] = timed(
                    [*validate, "--dask", address], env)
        tamper(endpoint)
        runs["local, tampered shard (must exit 1)"] = timed([*validate, "--fetch"], env)
    if args.million:
        results["million"] = million(args.dir, env)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    for name, run in results["runs"].items():
        print(f"{name:40} exit {run['exit']}  wall {run['wall_s']:7.2f} s  "
              f"cpu {run['cpu_s']:7.2f} s  rss {run['max_rss_mb']:7.1f} MB")
    for name, run in results.get("million", {}).items():
        print(f"million: {name:31} exit {run['exit']}  wall {run['wall_s']:7.2f} s  "
              f"cpu {run['cpu_s']:7.2f} s  rss {run['max_rss_mb']:7.1f} MB")


if __name__ == "__main__":
    main()
