"""A found upstream manifest, checked: its bytes against the pin, its place on the chain
(no cycle, not too deep), then its own validation by the engine, whose errors are
repeated here under the upstream's id."""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rebuildable.digest import pinned_digests
from rebuildable.findings import Finding, Location, Severity, finding
from rebuildable.load import load_manifest
from rebuildable.model import Manifest, UpstreamRef
from rebuildable.release import Release
from rebuildable.upstream.lookup import hash_bytes
from rebuildable.upstream.resolved import ResolvedUpstream, UpstreamStatus

if TYPE_CHECKING:
    from rebuildable.context import Context
    from rebuildable.report import Report

#: how many releases an upstream chain may hold, this one included
MAX_DEPTH = 8
#: at most this many upstream errors are repeated, per upstream, in the outer report
MAX_RELABELLED = 50
#: codes that make no sense for a lone manifest found in an upstream folder (its files
#: are not there): they are dropped when such a manifest is validated
_FILE_CODES = ("integrity.", "unlisted.", "completeness.missing-source", "path.symlink",
               "path.not-regular", "path.hardlink")


def checked(ctx: Context, ref: UpstreamRef, chain: tuple[str, ...], source: str,
            data: bytes, *, release: Release, manifest_only: bool,
            outside: bool = False) -> tuple[ResolvedUpstream, list[Finding]]:
    """Check the bytes of a found upstream manifest against its pin, then validate it.

    ``outside``: ``source`` is not a path in the release (a copy found in an
    ``--upstream-dir``, as a path from the working folder, or a registry's label)."""
    sha = hashlib.sha256(data).hexdigest()
    refused = _pin_problem(ctx, ref, chain, source, data=data, sha=sha)
    if refused is not None:
        status, problem = refused
        return ResolvedUpstream(ref, status, source=source, sha256=sha), [problem]

    loaded = load_manifest(data, release.manifest_name, limits=ctx.options.limits)
    manifest = Manifest.from_data(loaded.document.data) if loaded.document is not None else None
    report, nested = _validate(ctx, release, (*chain, sha), manifest_only)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    status = UpstreamStatus.INVALID if errors or report.fatal else UpstreamStatus.VALID
    counts = report.counts
    summary = (f"{counts['error']} error(s), {counts['warning']} warning(s), "
               f"{counts['info']} note(s)")
    scope = " (manifest only: its files are not here)" if manifest_only else ""
    what = f"upstream {ref.id!r} ({source}{scope})"
    loc = ctx.locate(f"{ref.pointer}/manifest")
    said = {"counts": counts, "source": source}
    out: list[Finding] = []
    if status is UpstreamStatus.INVALID:
        out.append(finding("upstream.invalid", f"{what} has {summary}", upstream=ref.id,
                           location=loc, data=said))
        out.extend(_relabel(ref.id, source, errors, outside=outside))
    else:
        out.append(finding("upstream.valid", f"{what} is valid: {summary}", upstream=ref.id,
                           location=loc, data=said))
    return ResolvedUpstream(ref, status, source=source, sha256=sha, manifest=manifest,
                            report=report, manifest_only=manifest_only, nested=nested), out


def _pin_problem(ctx: Context, ref: UpstreamRef, chain: tuple[str, ...], source: str, *,
                 data: bytes, sha: str) -> tuple[UpstreamStatus, Finding] | None:
    """Why the bytes found must not be validated (a cycle, a pin they do not match, a
    chain already at :data:`MAX_DEPTH`), or None."""
    loc = ctx.locate(f"{ref.pointer}/manifest")
    if sha in chain:
        return UpstreamStatus.CYCLE, finding(
            "upstream.cycle", f"upstream {ref.id!r} ({source}) is a release already on this "
            "chain: releases derive from each other in a cycle",
            upstream=ref.id, location=loc, data={"chain": [*chain, sha]})
    strong = pinned_digests(ref.digest)
    actual = hash_bytes(data, sorted(strong))
    bad = sorted(alg for alg, value in strong.items() if actual[alg] != value)
    if bad:
        return UpstreamStatus.MISMATCH, finding(
            "upstream.digest-mismatch", f"upstream {ref.id!r} manifest {source} does not "
            f"match its pinned {', '.join(bad)} digest",
            upstream=ref.id, location=ctx.locate(f"{ref.pointer}/manifest/digest"),
            data={"expected": {a: strong[a] for a in bad}, "actual": {a: actual[a] for a in bad}})
    if len(chain) >= MAX_DEPTH:
        return UpstreamStatus.TOO_DEEP, finding(
            "upstream.too-deep", f"upstream {ref.id!r} would be release number "
            f"{len(chain) + 1} of one chain; at most {MAX_DEPTH} are followed",
            upstream=ref.id, location=loc)
    return None


def _validate(ctx: Context, release: Release, chain: tuple[str, ...],
              manifest_only: bool) -> tuple[Report, dict[str, ResolvedUpstream]]:
    """Validate an upstream with the validator the engine handed down (``ctx.nested``):
    its report, and its own resolved upstreams for this one to keep."""
    options = ctx.options
    child = dataclasses.replace(options, require=frozenset(), keys=(), threshold=None,
                                trust=None, hash_files=options.hash_files and not manifest_only)
    if ctx.nested is None:
        raise RuntimeError("upstream validation needs the engine's nested validator")
    report, state = ctx.nested(release, child, chain)
    if manifest_only:
        report.findings = [f for f in report.findings if not f.code.startswith(_FILE_CODES)]
    return report, dict(state.upstream or {})


def _relabel(ident: str, source: str | None, errors: list[Finding], *,
             outside: bool = False) -> Iterator[Finding]:
    """The upstream's errors, named by upstream id and located in the upstream's file: a
    path in the release, or (``outside``) one from the working folder, which renderers
    must not put below the release's folder. A place already given from the working
    folder (an upstream's own upstream found outside) stays as it is."""
    folder = posixpath.dirname(source) if source else None
    for i, f in enumerate(errors):
        if i == MAX_RELABELLED:
            yield finding("upstream.invalid",
                          f"upstream {ident!r}: {len(errors) - MAX_RELABELLED} more error(s) "
                          "not repeated here", upstream=ident)
            return
        location = f.location
        if location is not None and not location.from_cwd and (folder or outside):
            location = Location(f"{folder}/{location.file}" if folder else location.file,
                                location.line, location.column, location.pointer,
                                from_cwd=outside)
        message = f.message if f.upstream else f"upstream {ident}: {f.message}"
        yield Finding(code=f.code, severity=f.severity, message=message,
                      artifact=f.artifact, step=f.step,
                      upstream=f"{ident}/{f.upstream}" if f.upstream else ident,
                      location=location, hint=f.hint, data=dict(f.data))
