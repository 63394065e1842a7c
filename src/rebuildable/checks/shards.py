"""Shard indexes (spec/shards.md): each artifact of kind ``shard-index`` is read in one
streaming pass that hashes its bytes and judges its lines; with ``fetch`` (or ``dask``) a
second pass streams every shard and compares it with its line's size and SHA-256.

Memory stays independent of the number of lines: the scan keeps one line and the previous
URI ([SHD-4] makes duplicates adjacent), findings of one code stop after
:data:`MAX_PER_CODE` per index and are then counted ([SHD-7]), and fetching keeps a
bounded window of transfers in flight, fed by the scan as it reads.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from rebuildable.context import Context
from rebuildable.digest import pinned_digests
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, Location, finding
from rebuildable.model import Artifact
from rebuildable.sections import ShardIndexSummary, Shards
from rebuildable.state import declare

if TYPE_CHECKING:
    from rebuildable.remote import FetchResult
    from rebuildable.shard_index import Scan, Shard, Tally

KIND = "shard-index"
#: findings of one code reported one by one for one index ([SHD-7])
MAX_PER_CODE = 20
#: shards handed to the Dask cluster at a time (memory is bounded by this, not the index)
DASK_BLOCK = 8192


class _Bounded:
    """Findings of one index, the first :data:`MAX_PER_CODE` of each code; then counts."""

    def __init__(self, ctx: Context, artifact: Artifact) -> None:
        self.artifact = artifact
        self.path = artifact.path or ""
        self.counts: Counter[str] = Counter()

    def at(self, line: int) -> Location:
        return Location(self.path, line=line)

    def add(self, code: str, message: str, line: int,
            data: dict[str, Any] | None = None) -> Iterator[Finding]:
        self.counts[code] += 1
        if self.counts[code] <= MAX_PER_CODE:
            yield finding(code, f"shard index {self.artifact.id} ({self.path}): {message}",
                          artifact=self.artifact.id, location=self.at(line),
                          data={"line": line, **(data or {})})

    def omitted(self) -> Iterator[Finding]:
        for code, count in self.counts.items():
            if count > MAX_PER_CODE:
                left = count - MAX_PER_CODE
                yield finding(code, f"shard index {self.artifact.id} ({self.path}): {left} "
                              f"more line(s) with this problem were not reported one by one "
                              f"({count} in all)", artifact=self.artifact.id,
                              location=Location(self.path),
                              data={"omitted": left, "total": count})
        self.counts.clear()


def _algorithms(artifact: Artifact) -> tuple[str, ...]:
    return tuple(pinned_digests(artifact.digest, checkable=True))


@declare(needs=["unusable_paths"])
def check(ctx: Context) -> Iterator[Finding]:
    indexes = [a for a in ctx.manifest.artifacts if a.kind == KIND]
    if not indexes:
        return
    section = Shards()
    ctx.sections[Shards.NAME] = section
    unusable = ctx.state.unusable_paths or set()
    for artifact in indexes:
        if artifact.path is None:
            yield finding("shards.external-index",
                          f"shard index {artifact.id} is given by uri; an index must be "
                          "shipped in the release so that its lines are pinned: none of its "
                          "shards is checked", artifact=artifact.id,
                          location=ctx.locate(f"{artifact.pointer}/uri"))
            continue
        summary = section.indexes[artifact.id] = ShardIndexSummary(artifact.path)
        if artifact.pointer in unusable:
            yield _unpinned(ctx, artifact, "its path is unusable")
            continue
        yield from _check_index(ctx, artifact, summary)


def _unpinned(ctx: Context, artifact: Artifact, why: str) -> Finding:
    return finding("shards.unpinned",
                   f"shard index {artifact.id} ({artifact.path}): {why}; the shards it lists "
                   "are pinned by nothing and none of them is checked", artifact=artifact.id,
                   location=ctx.locate(f"{artifact.pointer}/digest"))


def _scan(ctx: Context, artifact: Artifact,
          consume: Callable[[Scan], Iterable[Finding]]) -> Iterator[Finding | Tally]:
    """Open the index, run ``consume`` over a scan of it; yield its findings, then the
    tally (or a ``shards.unpinned`` finding when the file cannot be read)."""
    from rebuildable.shard_index import Scan  # noqa: PLC0415 - only with an index

    algorithms = _algorithms(artifact)
    if not algorithms:
        yield _unpinned(ctx, artifact, "no strong digest of it can be computed here")
        return
    try:
        with ctx.release.open(artifact.path or "") as fh:
            scan = Scan(fh, algorithms)
            yield from consume(scan)
    except (MemberError, OSError) as exc:
        yield _unpinned(ctx, artifact, f"it cannot be read ({getattr(exc, 'message', exc)})")
        return
    tally = scan.tally
    if any(artifact.digest.get(name) != value for name, value in tally.digests.items()):
        yield _unpinned(ctx, artifact, "its bytes do not match its pinned digest (or they "
                                       "changed while they were read)")
        return
    yield tally


def _check_index(ctx: Context, artifact: Artifact,
                 summary: ShardIndexSummary) -> Iterator[Finding]:
    from rebuildable.shard_index import LineProblem, Tally  # noqa: PLC0415 - as in _scan

    bounded = _Bounded(ctx, artifact)

    def judge(scan: Scan) -> Iterator[Finding]:
        for item in scan:
            if isinstance(item, LineProblem):
                data = {"first": item.first} if item.first is not None else None
                yield from bounded.add(item.code, item.message, item.line, data)

    tally: Tally | None = None
    for out in _scan(ctx, artifact, judge):
        if isinstance(out, Tally):
            tally = out
        else:
            yield out
    yield from bounded.omitted()
    if tally is None:
        return
    summary.lines, summary.shards, summary.bytes = tally.lines, tally.shards, tally.bytes
    summary.malformed, summary.unsorted = tally.malformed, tally.unsorted
    summary.duplicate, summary.pinned = tally.duplicate, True
    if not tally.shards:
        yield finding("shards.empty", f"shard index {artifact.id} ({artifact.path}) lists no "
                      "shard: no well-formed 'uri<TAB>size<TAB>sha256' line",
                      artifact=artifact.id, location=Location(artifact.path or ""))
        return
    if ctx.options.fetch or ctx.options.dask:
        yield from _fetch_index(ctx, artifact, summary)


# -- fetching ----------------------------------------------------------------------------


def _fetch_index(ctx: Context, artifact: Artifact,
                 summary: ShardIndexSummary) -> Iterator[Finding]:
    from rebuildable.remote import FetchOptions  # noqa: PLC0415 - only when fetching
    from rebuildable.shard_index import Shard, Tally  # noqa: PLC0415 - as in _scan

    options = ctx.options.fetch_options or FetchOptions()
    bounded = _Bounded(ctx, artifact)
    counts = {"fetched": 0, "verified": 0, "bytes": 0}

    def fetch_all(scan: Scan) -> Iterator[Finding]:
        shards = (s for s in scan if isinstance(s, Shard))
        results = (_on_cluster(shards, options, ctx.options.dask) if ctx.options.dask
                   else _local(ctx, shards, options, summary.bytes))
        for shard, result in results:
            counts["fetched"] += 1
            if result.redirected_to is not None:  # [FET-8]: a warning; still compared
                yield from bounded.add("fetch.redirected", f"{result.uri} was served by "
                                       f"another host, {result.redirected_to}", shard.line,
                                       {"uri": result.uri, "served_by": result.redirected_to})
            failure = _failure(shard, result)
            if failure is None:
                counts["verified"] += 1
                counts["bytes"] += result.size
            else:
                yield from bounded.add(failure[0], failure[1], shard.line, failure[2])

    pinned = False
    for out in _scan(ctx, artifact, fetch_all):
        if isinstance(out, Tally):
            pinned = True
        else:
            yield out
    yield from bounded.omitted()
    summary.fetched = counts["fetched"]
    summary.verified = counts["verified"] if pinned else 0
    summary.failed = counts["fetched"] - counts["verified"]
    if pinned and counts["verified"]:
        yield finding("fetch.verified",
                      f"shard index {artifact.id}: {counts['verified']} of "
                      f"{counts['fetched']} shard(s) streamed and verified "
                      f"({counts['bytes']} bytes)", artifact=artifact.id,
                      data={"verified": counts["verified"], "fetched": counts["fetched"],
                            "bytes": counts["bytes"], "index": artifact.id})


def _local(ctx: Context, shards: Iterator[Shard], options: Any,
           total: int) -> Iterator[tuple[Shard, FetchResult]]:
    """Each shard with its result, in line order; at most a few transfers per thread are
    in flight or waiting, so memory does not grow with the index."""
    import threading  # noqa: PLC0415
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from rebuildable.remote.fetch import fetch_one  # noqa: PLC0415 - the HTTP stack

    progress = ctx.options.progress
    lock = threading.Lock()

    def advance(n: int) -> None:
        with lock:
            progress.advance(n)

    workers = max(1, options.concurrency)
    window: deque[tuple[Shard, Any]] = deque()
    progress.start("fetching shards", total)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for shard in shards:
                window.append((shard, pool.submit(fetch_one, shard.uri, ("sha256",),
                                                  shard.size, options, advance=advance)))
                if len(window) >= 4 * workers:
                    first, future = window.popleft()
                    yield first, future.result()
            while window:
                first, future = window.popleft()
                yield first, future.result()
    finally:
        for _, future in window:
            future.cancel()
        progress.finish()


def _on_cluster(shards: Iterator[Shard], options: Any,
                address: str | None) -> Iterator[tuple[Shard, FetchResult]]:
    """Blocks of :data:`DASK_BLOCK` shards, each run as byte-sized batches on the cluster
    (:mod:`rebuildable.remote.distributed`); results in line order."""
    from rebuildable.remote import FetchJob, run_jobs  # noqa: PLC0415

    block: list[Shard] = []

    def run(block: list[Shard]) -> Iterator[tuple[Shard, FetchResult]]:
        jobs = [FetchJob(str(s.line), s.uri, ("sha256",), s.size) for s in block]
        results = run_jobs(jobs, options, dask=address)
        return ((s, results[str(s.line)]) for s in block)

    for shard in shards:
        block.append(shard)
        if len(block) >= DASK_BLOCK:
            yield from run(block)
            block = []
    if block:
        yield from run(block)


def _failure(shard: Shard, result: FetchResult) -> tuple[str, str, dict[str, Any]] | None:
    where = result.uri
    if result.problem is not None:
        return result.problem, f"{where}: {result.message}", {
            "uri": where, "attempts": result.attempts, "bytes_read": result.size}
    if result.size != shard.size:
        longer = result.size > shard.size
        return "fetch.size-mismatch", (
            f"{where} is {'longer than' if longer else f'{result.size} bytes, not'} the "
            f"{shard.size} bytes its line says"), {
            "uri": where, "expected": shard.size, "actual": None if longer else result.size}
    actual = result.digests.get("sha256")
    if actual != shard.sha256:
        return "fetch.digest-mismatch", (
            f"sha256 of {where} is {actual}, its line says {shard.sha256}"), {
            "uri": where, "algorithm": "sha256", "expected": shard.sha256, "actual": actual}
    return None
