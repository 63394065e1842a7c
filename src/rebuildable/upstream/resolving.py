"""Every upstream of a manifest, in order: refuse what cannot be trusted as written (a
path that escapes, no strong pin), find the bytes (in the release, offline, from a
resolver), check and validate them (:mod:`.pinning`), then the step inputs that name an
artifact the upstream does not have."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from rebuildable.digest import pinned_digests
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, finding
from rebuildable.model import MANIFEST_NAMES, UpstreamRef, split_ref
from rebuildable.release import FolderRelease, safe_relative
from rebuildable.upstream.lookup import fetch, find_offline, read_limited
from rebuildable.upstream.pinning import checked
from rebuildable.upstream.releases import FetchedManifest, SubRelease
from rebuildable.upstream.resolved import ResolvedUpstream, UpstreamStatus

if TYPE_CHECKING:
    from rebuildable.context import Context

Resolution = tuple[ResolvedUpstream, list[Finding]]


def resolve(ctx: Context) -> tuple[dict[str, ResolvedUpstream], list[Finding]]:
    """Resolve, pin-check and validate every upstream of ``ctx.manifest``."""
    chain = ctx.chain or (_own_digest(ctx),)
    resolved: dict[str, ResolvedUpstream] = {}
    found: list[Finding] = []
    for ref in ctx.manifest.upstream:
        if ref.id in resolved:
            continue  # duplicate ids are the ids check's business
        item, items = _resolve_one(ctx, ref, chain)
        resolved[ref.id] = item
        found.extend(items)
    found.extend(_dangling(ctx, resolved))
    return resolved, found


def _own_digest(ctx: Context) -> str:
    try:
        return hashlib.sha256(ctx.release.read_manifest()).hexdigest()
    except (OSError, MemberError):
        return ""


def _resolve_one(ctx: Context, ref: UpstreamRef, chain: tuple[str, ...]) -> Resolution:
    out = list(_refusals(ctx, ref))
    if out:
        escapes = any(f.code == "upstream.path-escapes" for f in out)
        return ResolvedUpstream(ref, UpstreamStatus.ESCAPES if escapes
                                else UpstreamStatus.WEAK), out
    if ref.path is not None:
        return _from_release(ctx, ref, ref.path, chain)
    return _from_elsewhere(ctx, ref, chain)


def _refusals(ctx: Context, ref: UpstreamRef) -> Iterator[Finding]:
    """Path and pin are both facts of this manifest: both are reported, then nothing is
    read."""
    if ref.path is not None and not safe_relative(ref.path):
        yield finding("upstream.path-escapes",
                      f"upstream {ref.id!r} manifest path {ref.path!r} is not a safe "
                      "relative path inside the release",
                      upstream=ref.id, location=ctx.locate(f"{ref.pointer}/manifest/path"))
    if not pinned_digests(ref.digest, checkable=True):
        yield finding("upstream.weak-digest",
                      f"upstream {ref.id!r} is not pinned by a strong digest "
                      f"(have: {', '.join(sorted(ref.digest)) or 'none'})",
                      upstream=ref.id, location=ctx.locate(f"{ref.pointer}/manifest/digest"))


def _from_release(ctx: Context, ref: UpstreamRef, path: str,
                  chain: tuple[str, ...]) -> Resolution:
    """A path upstream: read through the release itself (no link followed)."""
    try:
        data = read_limited(ctx.release.open(path), ctx.options.limits.max_bytes)
    except (MemberError, OSError) as exc:
        if isinstance(exc, MemberError):
            code = "upstream.too-large" if exc.code == "load.too-large" else "upstream.missing"
            why = exc.message
        else:
            code, why = "upstream.missing", str(exc.strerror or exc)
        return ResolvedUpstream(ref, UpstreamStatus.MISSING, source=path), [
            finding(code, f"upstream {ref.id!r}: {path}: {why}", upstream=ref.id,
                    location=ctx.locate(f"{ref.pointer}/manifest/path"))]
    folder, name = posixpath.split(path)
    return checked(ctx, ref, chain, path, data, release=SubRelease(ctx.release, folder, name),
                   manifest_only=False)


def _from_elsewhere(ctx: Context, ref: UpstreamRef, chain: tuple[str, ...]) -> Resolution:
    """A uri upstream: the options' folders first, then the resolver (a registry)."""
    options = ctx.options
    limit = options.limits.max_bytes
    strong = pinned_digests(ref.digest, checkable=True)
    match = find_offline(options.upstream_dirs, ref, strong, limit)
    if match is not None:
        path, data = match
        return checked(ctx, ref, chain, str(path), data,
                       release=FolderRelease(path.parent, path.name, str(path)),
                       manifest_only=path.name not in MANIFEST_NAMES, outside=True)
    resolver = options.upstream_resolver
    fetched = fetch(resolver, strong, limit) if resolver is not None else None
    if fetched is not None:
        label, data = fetched
        return checked(ctx, ref, chain, label, data, release=FetchedManifest(data, label),
                       manifest_only=True, outside=True)
    where = [str(d) for d in options.upstream_dirs]
    if resolver is not None:
        where.append("the registry")
    return ResolvedUpstream(ref, UpstreamStatus.UNRESOLVED), [finding(
        "upstream.not-resolved",
        f"upstream {ref.id!r} ({ref.uri}) was not resolved offline: "
        f"no local copy{' in ' + ', '.join(where) if where else ''}",
        upstream=ref.id, location=ctx.locate(f"{ref.pointer}/manifest/uri"))]


def _dangling(ctx: Context, resolved: Mapping[str, ResolvedUpstream]) -> Iterator[Finding]:
    for step in ctx.manifest.steps:
        refs = [(f"{step.pointer}/inputs/{i}", r) for i, r in enumerate(step.inputs)]
        if step.environment:
            refs.append((f"{step.pointer}/environment", step.environment))
        for pointer, ref in refs:
            up, name = split_ref(ref)
            if up is None or up not in resolved:
                continue
            item = resolved[up]
            if item.manifest is None:
                continue
            if item.artifact(name) is None:
                yield finding("upstream.dangling-artifact",
                              f"step {step.id!r} input {ref!r}: upstream {up!r} "
                              f"({item.manifest.name} {item.manifest.version}) has no artifact "
                              f"{name!r}", step=step.id, upstream=up,
                              location=ctx.locate(pointer))
