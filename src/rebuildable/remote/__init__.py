"""External artifacts: streamed and hashed, locally or on a Dask cluster."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.remote.options import FetchOptions, FetchResult

__all__ = ["FetchJob", "FetchOptions", "FetchResult", "run_jobs"]


@dataclass(frozen=True)
class FetchJob:
    id: str
    uri: str
    algorithms: tuple[str, ...]
    size: int | None


def run(job: FetchJob, options: FetchOptions) -> FetchResult:
    from rebuildable.remote.fetch import fetch_one  # noqa: PLC0415 - the HTTP stack, when used

    return fetch_one(job.uri, job.algorithms, job.size, options)


def run_jobs(jobs: Sequence[FetchJob], options: FetchOptions | None = None, *,
             dask: str | None = None,
             progress: Progress = NO_PROGRESS) -> dict[str, FetchResult]:
    """Every job's result, keyed by job id; never raises for a job that fails."""
    options = options or FetchOptions()
    if dask is not None:
        from rebuildable.remote.distributed import run_on_cluster  # noqa: PLC0415

        return run_on_cluster(jobs, options, dask, progress)
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - as fetch_one

    from rebuildable.remote.fetch import fetch_one  # noqa: PLC0415 - see run()

    progress.start("fetching", sum(j.size or 0 for j in jobs))
    lock = threading.Lock()

    def advance(n: int) -> None:
        with lock:
            progress.advance(n)

    def one(job: FetchJob) -> tuple[str, FetchResult]:
        return job.id, fetch_one(job.uri, job.algorithms, job.size, options, advance=advance)

    try:
        with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
            return dict(pool.map(one, jobs))
    finally:
        progress.finish()
