"""Remote integrity (``validate --fetch``): every external (``uri``) artifact is streamed,
hashed on the fly and compared with its declared digests and size.

Off by default: a validation reads nothing from the network unless the caller asks. The
transfers run on a bounded thread pool, or as tasks on a Dask cluster when
``options.dask`` names one (:mod:`rebuildable.remote.distributed`); either way the
findings are the same and come in manifest order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rebuildable.context import Context
from rebuildable.digest import pinned_digests
from rebuildable.findings import Finding, finding
from rebuildable.load import join_pointer
from rebuildable.model import Artifact
from rebuildable.state import declare

if TYPE_CHECKING:
    from rebuildable.remote import FetchResult

PROBLEM_POINTERS = {"fetch.size-mismatch": "size"}


def _algorithms(artifact: Artifact) -> tuple[str, ...]:
    """The strong algorithms of the artifact's digest set that this machine computes."""
    return tuple(pinned_digests(artifact.digest, checkable=True))


@declare()
def check(ctx: Context) -> Iterator[Finding]:
    options = ctx.options
    if not (options.fetch or options.dask):
        return
    # The fetchers (http.client, ssl, email) load only when something is fetched.
    from rebuildable.remote import FetchJob, run_jobs  # noqa: PLC0415
    jobs: list[FetchJob] = []
    for artifact in ctx.manifest.artifacts:
        if artifact.uri is None or artifact.path is not None:
            continue
        algs = _algorithms(artifact)
        if not algs:
            yield finding("fetch.unverified",
                          f"artifact {artifact.id}: no strong digest of {artifact.uri} that "
                          "this machine can compute; it was not fetched",
                          artifact=artifact.id,
                          location=ctx.locate(f"{artifact.pointer}/digest"))
            continue
        jobs.append(FetchJob(artifact.id, artifact.uri, algs, artifact.size))
    if not jobs:
        return
    results = run_jobs(jobs, options.fetch_options, dask=options.dask,
                       progress=options.progress)
    by_id = {a.id: a for a in ctx.manifest.artifacts}
    verified = 0
    total = 0
    for job in jobs:
        result = results[job.id]
        found = list(_judge(ctx, by_id[job.id], result))
        if not any(f.severity.value == "error" for f in found):
            verified += 1
            total += result.size
        yield from found
    if verified:
        yield finding("fetch.verified",
                      f"{verified} of {len(jobs)} external artifact(s) streamed and verified "
                      f"({total} bytes)", data={"verified": verified, "fetched": len(jobs),
                                                "bytes": total})


def _judge(ctx: Context, artifact: Artifact, result: FetchResult) -> Iterator[Finding]:
    where = result.uri
    if result.redirected_to is not None:
        yield finding("fetch.redirected",
                      f"artifact {artifact.id}: {where} was served by another host, "
                      f"{result.redirected_to}", artifact=artifact.id,
                      location=ctx.locate(f"{artifact.pointer}/uri"),
                      data={"uri": where, "served_by": result.redirected_to})
    if result.problem is not None:
        pointer = join_pointer(artifact.pointer, PROBLEM_POINTERS.get(result.problem, "uri"))
        yield finding(result.problem, f"artifact {artifact.id}: {where}: {result.message}",
                      artifact=artifact.id, location=ctx.locate(pointer),
                      data={"uri": where, "attempts": result.attempts,
                            "bytes_read": result.size})
        return
    from rebuildable.remote import FetchOptions  # noqa: PLC0415 - see check()

    bound = (ctx.options.fetch_options or FetchOptions()).max_bytes
    if artifact.size is None and result.size > bound:
        yield finding("fetch.size-mismatch",
                      f"artifact {artifact.id}: {where} is longer than {bound} bytes, the "
                      "bound for an artifact that declares no size", artifact=artifact.id,
                      location=ctx.locate(artifact.pointer),
                      data={"uri": where, "expected": None, "actual": None})
        return
    if artifact.size is not None and result.size != artifact.size:
        longer = result.size > artifact.size
        yield finding("fetch.size-mismatch",
                      f"artifact {artifact.id}: {where} is "
                      f"{'longer than' if longer else f'{result.size} bytes, not'} the "
                      f"{artifact.size} bytes the manifest says",
                      artifact=artifact.id, location=ctx.locate(f"{artifact.pointer}/size"),
                      data={"uri": where, "expected": artifact.size,
                            "actual": result.size if not longer else None})
        return
    for name, actual in result.digests.items():
        expected = artifact.digest[name]
        if actual != expected:
            yield finding("fetch.digest-mismatch",
                          f"artifact {artifact.id}: {name} of {where} is {actual}, the "
                          f"manifest says {expected}", artifact=artifact.id,
                          location=ctx.locate(join_pointer(f"{artifact.pointer}/digest", name)),
                          data={"uri": where, "algorithm": name, "expected": expected,
                                "actual": actual})
