"""External artifacts checked as tasks on an existing Dask cluster (``validate --dask``).

Work is cut by bytes, not by files: an artifact of at least :data:`BATCH_BYTES` is a task
of its own, smaller ones are batched up to that many bytes (or :data:`BATCH_JOBS` jobs),
so that a release of a million small shards gives the scheduler a few thousand tasks, not
a million. Workers stream the bytes themselves and send back digests only, never
contents. A task that fails (a worker lost, an exception) is retried by Dask; one that
still fails turns into ``fetch.distributed-failed`` findings for its artifacts: never a
pass. SHA-2 and SHA-3 cannot be computed in independent ranges, so a single large file is
one task however large it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rebuildable.progress import Progress
from rebuildable.remote import FetchJob, FetchOptions, FetchResult, run
from rebuildable.remote.urls import redact

BATCH_BYTES = FetchOptions().batch_bytes
BATCH_JOBS = 512
#: further attempts Dask makes for a task after a worker dies or the task raises
TASK_RETRIES = 2


def batches(jobs: Sequence[FetchJob], batch_bytes: int = BATCH_BYTES,
            batch_jobs: int = BATCH_JOBS) -> list[list[FetchJob]]:
    out: list[list[FetchJob]] = []
    current: list[FetchJob] = []
    filled = 0
    for job in jobs:
        size = job.size if job.size is not None else batch_bytes
        if size >= batch_bytes:
            out.append([job])
            continue
        if current and (filled + size > batch_bytes or len(current) >= batch_jobs):
            out.append(current)
            current, filled = [], 0
        current.append(job)
        filled += size
    if current:
        out.append(current)
    return out


def run_batch(batch: list[FetchJob], options: FetchOptions) -> list[tuple[str, FetchResult]]:
    """A task: runs on a worker."""
    return [(job.id, run(job, options)) for job in batch]


def run_on_cluster(jobs: Sequence[FetchJob], options: FetchOptions, address: str,
                   progress: Progress) -> dict[str, FetchResult]:
    try:
        from distributed import Client, as_completed  # noqa: PLC0415 - the `dask` extra
    except ImportError:
        # a finding per artifact, never an internal error: nothing was checked
        return dict(_failed(list(jobs), "distributed fetching needs the dask extra "
                                        "(pip install 'rebuildable[dask]')"))

    results: dict[str, FetchResult] = {}
    groups = batches(jobs, options.batch_bytes)
    progress.start("fetching on the cluster", sum(j.size or 0 for j in jobs))
    try:
        try:
            client = Client(address, timeout=f"{options.timeout}s",  # type: ignore[no-untyped-call]
                            set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            return dict(_failed(list(jobs), f"cannot reach the Dask scheduler at "
                                            f"{redact(address)}: {exc}"))
        with client:
            futures: dict[Any, list[FetchJob]] = {}
            for group in groups:
                fut = client.submit(run_batch, group, options, retries=TASK_RETRIES,
                                    pure=False)
                futures[fut] = group
            for fut in as_completed(list(futures),  # type: ignore[no-untyped-call]
                                   loop=client.loop):
                group = futures[fut]
                try:
                    done: list[tuple[str, FetchResult]] = fut.result()
                except Exception as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                    done = _failed(group, f"task failed after retries: {reason}")
                results.update(done)
                progress.advance(sum(j.size or 0 for j in group))
    finally:
        progress.finish()
    return results


def _failed(group: Sequence[FetchJob], message: str) -> list[tuple[str, FetchResult]]:
    return [(j.id, FetchResult(redact(j.uri), problem="fetch.distributed-failed",
                               message=message)) for j in group]
