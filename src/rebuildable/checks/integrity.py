"""Integrity: every shipped artifact is present, has its declared size, and matches every
digest it lists.

Digest sets are checked first, for every artifact (shipped or external): unknown
algorithm names, malformed values (not lower-case hex of the right length), md5/sha1
alone or beside a strong digest, algorithms not available here. Then each shipped file
is read once, all its algorithms at a time, on ``options.workers`` threads for folder
releases. Any listed digest that differs is a failure, even when another one matches.

The results go to ``ctx.state.hashes`` (path -> :class:`~rebuildable.digest.HashResult`)
for later checks; the key is absent when ``options.hash_files`` is off. Each file is also
sniffed (:func:`~rebuildable.formats.sniff_open`) through the handle it was hashed from,
so that the content check need not open it again (``HashResult.inspected``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rebuildable.checks.paths import collision_key
from rebuildable.context import Context
from rebuildable.defaults import DEFAULT_ALGORITHM
from rebuildable.digest import ALGORITHMS, HashJob, HashResult, hash_members
from rebuildable.digest_cache import DigestCache, Key
from rebuildable.findings import Finding, finding
from rebuildable.formats import FormatInfo, sniff_open
from rebuildable.load import join_pointer
from rebuildable.model import Artifact
from rebuildable.release import EntryType
from rebuildable.state import declare
from rebuildable.suggest import closest

_LOWER_HEX = re.compile(r"[0-9a-f]+")
_LOWER_HEX_BYTES = b"0123456789abcdef"
_HEX_ANY_CASE = re.compile(r"[0-9a-fA-F]+\Z")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}\Z")


@dataclass
class _Plan:
    """What can be verified of one artifact's digest set."""

    artifact: Artifact
    #: algorithms to compute and compare (known, available, well-formed)
    compute: list[str] = field(default_factory=list)
    #: strong algorithms listed but unavailable here
    unavailable: list[str] = field(default_factory=list)
    #: an error was already reported about the digest set itself
    digest_error: bool = False


def _base64_length(value: str) -> int | None:
    """How many bytes ``value`` decodes to as (standard or URL-safe) base64, or None."""
    text = value.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return None


def _malformed_reason(name: str, value: str) -> str:
    want = ALGORITHMS[name].hex_len
    if _HEX_ANY_CASE.match(value) and value != value.lower():
        return "is upper-case hex; digests are written in lower case"
    if _HEX_ANY_CASE.match(value):
        return f"has {len(value)} hex digits, {name} has {want}"
    if _BASE64.match(value) and _base64_length(value) == want // 2:
        return "looks like base64; digests are written as lower-case hex"
    return f"is not hex ({name} digests are {want} lower-case hex digits)"


def _single_strong(digest: dict[str, str]) -> str | None:
    """The algorithm of ``digest`` when it is the common case, one well-formed strong
    digest this Python can compute (checked without the general walk: a data release may
    list 100,000 artifacts); None otherwise."""
    if len(digest) != 1:
        return None
    ((name, value),) = digest.items()
    alg = ALGORITHMS.get(name)
    if (alg is not None and alg.strong and alg.factory is not None
            and len(value) == alg.hex_len and _LOWER_HEX.fullmatch(value)):
        return name
    return None


def _quiet_externals(artifacts: Sequence[Artifact]) -> list[bool]:
    """For each artifact: is it external and pinned by one well-formed strong digest
    (:func:`_single_strong`), so that it has nothing to report and no file to read?

    Told apart with the fewest steps per artifact (100,000 dataset shards): the hex of
    every candidate is checked at once, one by one only when that fails."""
    strong = {name: alg for name, alg in ALGORITHMS.items() if alg.strong}
    # filled per algorithm met: asking whether blake3 is computable imports its library
    hex_lens: dict[str, int] = {}
    quiet = [False] * len(artifacts)
    values: list[str] = []
    where: list[int] = []
    for i, artifact in enumerate(artifacts):
        digest = artifact.digest
        if artifact.path is None and len(digest) == 1:
            ((name, value),) = digest.items()
            want = hex_lens.get(name)
            if want is None:
                alg = strong.get(name)
                if alg is None or alg.factory is None:
                    continue
                want = hex_lens[name] = alg.hex_len
            if want == len(value):
                values.append(value)
                where.append(i)
    joined = "".join(values)
    if joined.isascii() and not joined.encode("ascii").translate(None, _LOWER_HEX_BYTES):
        for i in where:
            quiet[i] = True
    else:
        lower_hex = _LOWER_HEX.fullmatch
        for i, value in zip(where, values, strict=True):
            quiet[i] = lower_hex(value) is not None
    return quiet


def _plan(ctx: Context, artifact: Artifact) -> tuple[_Plan, list[Finding]]:
    plan = _Plan(artifact)
    simple = _single_strong(artifact.digest)
    if simple is not None:
        plan.compute.append(simple)
        return plan, []
    out: list[Finding] = []
    digest_ptr = f"{artifact.pointer}/digest"
    strong_listed = False
    weak_listed: list[str] = []
    for name, value in artifact.digest.items():
        pointer = join_pointer(digest_ptr, name)  # located only when a finding needs it
        alg = ALGORITHMS.get(name)
        if alg is None:
            out.append(_unknown_algorithm(ctx, artifact, name, pointer))
            plan.digest_error = True
            continue
        if len(value) != alg.hex_len or value != value.lower() or not _HEX_ANY_CASE.match(value):
            out.append(finding("integrity.malformed-digest",
                               f"artifact {artifact.id}: {name} digest {value!r} "
                               f"{_malformed_reason(name, value)}",
                               artifact=artifact.id, location=ctx.locate(pointer)))
            plan.digest_error = True
            if alg.strong:
                strong_listed = True
            continue
        if alg.strong:
            strong_listed = True
        else:
            weak_listed.append(name)
        if alg.factory is None:
            out.append(finding("integrity.algorithm-unavailable",
                               f"artifact {artifact.id}: {name} is not available here, so "
                               f"its {name} digest is not verified",
                               artifact=artifact.id, location=ctx.locate(pointer)))
            plan.unavailable.append(name)
            continue
        plan.compute.append(name)
    if weak_listed and not strong_listed:
        out.append(finding("integrity.weak-only",
                           f"artifact {artifact.id}: pinned only by {' and '.join(weak_listed)}, "
                           "which anyone can forge a match for",
                           artifact=artifact.id, location=ctx.locate(digest_ptr)))
        plan.digest_error = True
    elif weak_listed:
        out.extend(_weak_beside_strong(ctx, artifact, weak_listed, digest_ptr))
    return plan, out


def _unknown_algorithm(ctx: Context, artifact: Artifact, name: str, pointer: str) -> Finding:
    known = ", ".join(a for a in ALGORITHMS if a not in ("md5", "sha1"))
    meant = closest(name, ALGORITHMS)
    hint = f"Did you mean {meant!r}?" if meant is not None else f"Known algorithms: {known}."
    return finding("integrity.unknown-algorithm",
                   f"artifact {artifact.id}: unknown digest algorithm {name!r}",
                   artifact=artifact.id, location=ctx.locate(pointer), hint=hint)


def _weak_beside_strong(ctx: Context, artifact: Artifact, weak: list[str],
                        digest_ptr: str) -> list[Finding]:
    return [finding("integrity.weak-algorithm",
                    f"artifact {artifact.id}: {name} is broken; only the strong digests "
                    "beside it protect this artifact",
                    artifact=artifact.id, location=ctx.locate(join_pointer(digest_ptr, name)))
            for name in weak]


@declare(needs=["unusable_paths"], provides=["hashes"])
def check(ctx: Context) -> Iterator[Finding]:
    unusable = ctx.state.unusable_paths or set()
    plans: list[_Plan] = []
    artifacts = ctx.manifest.artifacts
    for artifact, quiet in zip(artifacts, _quiet_externals(artifacts), strict=True):
        if quiet:
            continue
        plan, found = _plan(ctx, artifact)
        yield from found
        if artifact.path is not None and artifact.pointer not in unusable:
            plans.append(plan)
    # One read per distinct path, with the union of the algorithms its artifacts list
    # (path.duplicate already reports two artifacts naming one path).
    wanted: dict[str, list[str]] = {}
    for plan in plans:
        algs = wanted.setdefault(plan.artifact.path or "", [])
        for name in plan.compute or [DEFAULT_ALGORITHM]:
            if name not in algs:
                algs.append(name)
    entries = ctx.release.entries()
    options = ctx.options
    results: dict[str, HashResult] = {}
    if options.hash_files and wanted:
        order = ctx.release.order(list(wanted))
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per algorithm set
        jobs = [HashJob(p, shared.setdefault(names := tuple(wanted[p]), names),
                        _size_hint(entries.get(p))) for p in order]
        cache = _open_cache(ctx)
        keys: dict[str, Key | None] = {}
        if cache is not None:
            jobs = _from_cache(ctx, cache, jobs, keys, results)
        results.update(hash_members(
            ctx.release.open, jobs, workers=options.workers, progress=options.progress,
            parallel=ctx.release.parallel_reads, identify=ctx.release.identity,
            inspect=sniff_open))
        if cache is not None:
            yield from _save_cache(ctx, cache, keys, results, len(wanted) - len(jobs))
        ctx.state.hashes = results
    elif not options.hash_files and wanted:
        yield finding("integrity.not-hashed",
                      f"{len(wanted)} shipped file(s) were checked for presence and size only; "
                      "their digests were not verified")
    for plan in plans:
        path = plan.artifact.path or ""
        if options.hash_files:
            yield from _verify(ctx, plan, results[path])
        else:
            yield from _presence(ctx, plan)


def _open_cache(ctx: Context) -> DigestCache | None:
    folder = ctx.options.cache_dir
    root = ctx.release.local_root()
    if folder is None or root is None:
        return None
    return DigestCache.load(folder, root)


def _from_cache(ctx: Context, cache: DigestCache, jobs: list[HashJob],
                keys: dict[str, Key | None], results: dict[str, HashResult]) -> list[HashJob]:
    """The jobs whose file must be read; the others' results come from the cache. Each
    file's key is taken before it is read: one that changes meanwhile is not recorded."""
    todo: list[HashJob] = []
    for job in jobs:
        key = keys[job.path] = ctx.release.cache_key(job.path)
        hit = cache.lookup(job.path, key, job.algorithms) if key is not None else None
        if hit is None:
            todo.append(job)
            continue
        inspected = FormatInfo(**hit.extra) if isinstance(hit.extra, dict) else None
        results[job.path] = HashResult(job.path, hit.digests, hit.size, inspected=inspected)
    return todo


def _save_cache(ctx: Context, cache: DigestCache, keys: dict[str, Key | None],
                results: dict[str, HashResult], cached: int) -> Iterator[Finding]:
    where = str(cache.path)
    if cache.ignored is not None:
        yield finding("integrity.cache-ignored",
                      f"the digest cache {where} {cache.ignored}; it was not used",
                      data={"cache": where})
    for path, result in results.items():
        before = keys.get(path)
        if before is None or result.error is not None or result.changed:
            continue
        # Recorded only when the file is still what it was before it was read.
        if ctx.release.cache_key(path) == before:
            extra = (result.inspected.to_dict() if isinstance(result.inspected, FormatInfo)
                     else None)
            cache.record(path, before, result.digests, extra)
    failed = cache.save()
    if failed is not None:
        yield finding("integrity.cache-ignored", f"the digest cache {where} {failed}",
                      data={"cache": where})
    if cached:
        yield finding("integrity.cached",
                      f"{cached} of {len(keys)} shipped file(s) were not read again: their "
                      "device, inode, size, mtime and ctime are those recorded in the digest "
                      "cache when they were hashed", data={"cached": cached, "cache": where})


def _size_hint(entry: object) -> int:
    size = getattr(entry, "size", 0)
    return size if isinstance(size, int) else 0


def _missing(ctx: Context, artifact: Artifact, message: str) -> Finding:
    path = artifact.path or ""
    hint = None
    similar = ctx.state.similar_paths
    if similar is None:
        similar = {}
        for other, entry in ctx.release.entries().items():
            if entry.type is EntryType.FILE:
                similar.setdefault(collision_key(other), other)
        ctx.state.similar_paths = similar
    found = similar.get(collision_key(path))
    if found is not None and found != path:
        hint = (f"The release has {found!r}; paths are compared exactly (letter case and "
                "Unicode normalisation matter).")
    return finding("integrity.missing", f"artifact {artifact.id}: {message}",
                   artifact=artifact.id, location=ctx.locate(f"{artifact.pointer}/path"),
                   hint=hint)


def _size(ctx: Context, artifact: Artifact, actual: int) -> Iterator[Finding]:
    if artifact.size is None:
        yield finding("integrity.no-size", f"artifact {artifact.id}: no size declared "
                      f"({artifact.path} is {actual} bytes)", artifact=artifact.id,
                      location=ctx.locate(artifact.pointer), data={"actual": actual})
    elif artifact.size != actual:
        yield finding("integrity.size-mismatch",
                      f"artifact {artifact.id}: {artifact.path} is {actual} bytes, the manifest "
                      f"says {artifact.size}", artifact=artifact.id,
                      location=ctx.locate(f"{artifact.pointer}/size"),
                      data={"expected": artifact.size, "actual": actual})


def _presence(ctx: Context, plan: _Plan) -> Iterator[Finding]:
    artifact = plan.artifact
    entry = ctx.release.entries().get(artifact.path or "")
    if entry is None:
        yield _missing(ctx, artifact, f"{artifact.path} is not in the release")
    elif entry.type is EntryType.FILE:
        yield from _size(ctx, artifact, entry.size)


def _verify(ctx: Context, plan: _Plan, result: HashResult) -> Iterator[Finding]:
    artifact = plan.artifact
    path_ptr = f"{artifact.pointer}/path"  # located only when a finding needs it
    if result.error is not None:
        if result.error.code == "integrity.missing":
            yield _missing(ctx, artifact, result.error.message)
        else:
            yield finding(result.error.code, f"artifact {artifact.id}: {result.error.message}",
                          artifact=artifact.id, location=ctx.locate(path_ptr))
        return
    if result.changed:
        yield finding("integrity.changed-while-reading",
                      f"artifact {artifact.id}: {artifact.path} changed while it was being "
                      "read; its digest cannot be trusted", artifact=artifact.id,
                      location=ctx.locate(path_ptr),
                      hint="Validate again when nothing is writing to the release.")
        return
    yield from _size(ctx, artifact, result.size or 0)
    verified_strong = 0
    for name in plan.compute:
        expected = artifact.digest[name]
        actual = result.digests.get(name)
        if actual == expected:
            verified_strong += ALGORITHMS[name].strong
            continue
        yield finding("integrity.digest-mismatch",
                      f"artifact {artifact.id}: {name} of {artifact.path} is {actual}, the "
                      f"manifest says {expected}", artifact=artifact.id,
                      location=ctx.locate(join_pointer(f"{artifact.pointer}/digest", name)),
                      data={"algorithm": name, "expected": expected, "actual": actual})
        plan.digest_error = True
    if not verified_strong and not plan.digest_error and artifact.digest:
        missing = ", ".join(plan.unavailable) or "none listed"
        yield finding("integrity.unverified",
                      f"artifact {artifact.id}: no strong digest of {artifact.path} could be "
                      f"verified here (unavailable: {missing})", artifact=artifact.id,
                      location=ctx.locate(f"{artifact.pointer}/digest"))
