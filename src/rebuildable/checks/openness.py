"""Verdicts: is the release intact, complete and open source, and where does it stand
against the Model Openness Framework. Runs last: it reads the findings of every earlier
check (``ctx.findings``) and the resolved upstreams (``ctx.state.upstream``).

Fills ``ctx.sections["verdicts"]`` (see ``schemas/report.schema.json``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping, Sequence

from rebuildable.checks.completeness import summary_finding
from rebuildable.context import Context
from rebuildable.findings import Finding, Location, Severity, finding
from rebuildable.model import split_ref
from rebuildable.openness import (
    ArtifactOpenness,
    Judgement,
    OpennessStatus,
    assess_artifacts,
    classify,
    describe_failure,
    license_data,
    mof_assessment,
    osaid_assessment,
    policy_for_kind,
)
from rebuildable.rebuildability import assess as assess_rebuildability
from rebuildable.sections import (
    LicenceCount,
    MofVerdict,
    OpenSourceVerdict,
    RebuildabilityVerdict,
    UpstreamVerdict,
    Verdict,
    Verdicts,
)
from rebuildable.state import declare
from rebuildable.upstream import ResolvedUpstream

#: requirements ``Options.require`` may name
KNOWN_REQUIREMENTS = frozenset({"open-source"})
#: profiles for which the MOF and OSAID views are shown
MODEL_PROFILES = frozenset({"ml-model", "adapter"})
#: error codes that make a release not intact (its bytes are not what the manifest says,
#: or could not be shown to be: external artifacts fetched with --fetch count too)
INTACT_PREFIXES = ("release.", "path.", "integrity.", "fetch.", "upstream.digest-mismatch",
                   "upstream.missing", "upstream.path-escapes")
#: error codes that make a release not complete (something needed to rebuild is missing)
COMPLETE_PREFIXES = ("completeness.", "profile.", "refs.", "upstream.")
MAX_REASONS = 20


@declare(needs=["upstream"], uses=["closure"])
def check(ctx: Context) -> Iterator[Finding]:
    required = set(ctx.options.require)
    for name in sorted(required - KNOWN_REQUIREMENTS):
        yield finding("openness.unknown-requirement",
                      f"unknown requirement {name!r}; "
                      f"known: {', '.join(sorted(KNOWN_REQUIREMENTS))}")
    upstreams: Mapping[str, ResolvedUpstream] = ctx.state.upstream or {}
    consumed = _consumed_upstream(ctx, upstreams)
    judged = assess_artifacts(ctx.manifest, consumed)
    failures, own, notable, licences = _tally(judged)
    require_open = "open-source" in required
    severity = Severity.ERROR if require_open else Severity.INFO
    places = _upstream_ref_places(ctx) if any(i.upstream for i in failures) else {}
    for item in failures:
        yield finding("openness.not-open", describe_failure(item), severity=severity,
                      artifact=item.ref, upstream=item.upstream,
                      location=_where(ctx, item, places), data=item.to_dict())

    open_ok = not failures
    reasons = _open_source_reasons(own, failures, len(consumed))
    verdicts = Verdicts(
        intact=_verdict(ctx, INTACT_PREFIXES, exclude=()),
        complete=_verdict(ctx, COMPLETE_PREFIXES, exclude=INTACT_PREFIXES),
        open_source=OpenSourceVerdict(
            open_ok, require_open, reasons, f"SPDX License List {license_data().version}",
            artifacts=notable, licences=licences),
        upstream={ident: _upstream_summary(u) for ident, u in upstreams.items()},
    )
    closure = ctx.state.closure
    if closure is not None:
        complete = verdicts.complete
        yield summary_finding(closure, len(ctx.manifest.steps), complete.ok,
                              complete.reasons)
    yield finding("openness.verdict",
                  ("the release is open source: " if open_ok else
                   "the release is not open source: ") + "; ".join(reasons[:3])
                  + (" ..." if len(reasons) > 3 else ""),
                  data={"ok": open_ok})
    if set(ctx.manifest.effective_profiles) & MODEL_PROFILES:
        yield from _model_verdicts(ctx, verdicts)
    ctx.sections[Verdicts.NAME] = verdicts


def _tally(judged: Mapping[str, ArtifactOpenness]
           ) -> tuple[list[ArtifactOpenness], int, dict[str, ArtifactOpenness],
                      dict[str, LicenceCount]]:
    """In one pass over the judgements (a release may hold 100,000 artifacts): what keeps
    the release from being open source (as :func:`release_failures`), how many artifacts
    are its own, the judgements worth reporting one by one, and each distinct licence
    expression of the release's own artifacts with its judgement and how many carry it."""
    failures: list[ArtifactOpenness] = []
    own = 0
    # Only what is not fully open, and every upstream artifact consumed: a 100,000-shard
    # dataset under one licence needs one line, not 100,000.
    notable: dict[str, ArtifactOpenness] = {}
    licences: dict[str, LicenceCount] = {}
    is_open = OpennessStatus.OPEN
    for ref, item in judged.items():
        if item.upstream is not None:
            if item.effective is not is_open:
                failures.append(item)
            notable[ref] = item
            continue
        own += 1
        status = item.own.status
        if status is not is_open:
            failures.append(item)
            notable[ref] = item
        elif item.effective is not is_open:
            notable[ref] = item
        key = item.license if item.license is not None else "(none)"
        entry = licences.get(key)
        if entry is None:
            entry = licences[key] = LicenceCount(status.value, 0)
        entry.count += 1
    return failures, own, notable, licences


def _open_source_reasons(own: int, failures: Sequence[ArtifactOpenness], consumed: int
                         ) -> list[str]:
    """Why the release is not open source (the first few failures), or why it is."""
    if not failures:
        return [f"all {own} artifacts, and the {consumed} upstream artifact(s) the steps "
                "consume, are under open licences"]
    reasons = [describe_failure(i) for i in failures[:MAX_REASONS]]
    if len(failures) > MAX_REASONS:
        reasons.append(f"... and {len(failures) - MAX_REASONS} more")
    return reasons


def _model_verdicts(ctx: Context, verdicts: Verdicts) -> Iterator[Finding]:
    """A model's MOF class, OSAID view and rebuildability, into ``verdicts``."""
    mof = verdicts.mof = MofVerdict.from_assessment(mof_assessment(ctx.manifest))
    verdicts.osaid = osaid_assessment(ctx.manifest)
    complete = verdicts.complete
    rebuildable = RebuildabilityVerdict.from_assessment(assess_rebuildability(
        ctx.manifest, None if complete.ok else (complete.reasons or ["(no reason given)"])))
    verdicts.rebuildable = rebuildable
    yield finding("openness.rebuildable",
                  f"the model can be rebuilt {rebuildable.words}: "
                  + "; ".join(rebuildable.reasons[:3]),
                  data={"mode": rebuildable.mode})
    stands = (f"meets MOF {mof.name}" if mof.name else "meets no MOF class yet")
    needs = (f"; for {mof.next} it lacks (present and open): "
             + ", ".join(mof.missing_for_next)) if mof.next else ""
    yield finding("openness.mof", f"the release {stands}{needs}", data={"class": mof.klass})


def _consumed_upstream(ctx: Context, upstreams: Mapping[str, ResolvedUpstream]
                       ) -> dict[str, ArtifactOpenness | None]:
    out: dict[str, ArtifactOpenness | None] = {}
    for step in ctx.manifest.steps:
        for ref in [*step.inputs, *([step.environment] if step.environment else [])]:
            up, name = split_ref(ref)
            if up is None or ref in out:
                continue
            resolved = upstreams.get(up)
            out[ref] = _from_upstream(ref, up, name, resolved)
    return out


def _from_upstream(ref: str, up: str, name: str,
                   resolved: ResolvedUpstream | None) -> ArtifactOpenness | None:
    if resolved is None or resolved.report is None or resolved.manifest is None:
        return None
    theirs = resolved.report.section(Verdicts)
    entry = theirs.open_source.artifacts.get(name) if theirs is not None else None
    if entry is None:
        art = resolved.artifact(name)
        if art is None:
            return None
        lic = resolved.manifest.license_of(art)
        own = classify(lic, policy_for_kind(art.kind))
        return ArtifactOpenness(ref, _upstream_name(resolved, art.name), art.kind, lic, own,
                                own.status, upstream=up)
    # its status and reasons only: what the upstream's report says of it
    own = Judgement(entry.own.status, entry.own.reasons)
    because = [f"{up}/{b}" if ":" in b else f"{up}:{b}" for b in entry.because]
    return ArtifactOpenness(ref, _upstream_name(resolved, entry.name), entry.kind,
                            entry.license, own, entry.effective, because, upstream=up)


def _upstream_name(resolved: ResolvedUpstream, name: str) -> str:
    """An upstream artifact's path as seen from this release (or from the upstream's
    manifest on disk, for upstreams found outside it)."""
    source = resolved.source
    if not source:
        return name
    if "://" in name:
        return name
    if resolved.manifest_only or source.startswith("/"):
        return f"{name} (of {source})"
    folder = posixpath.dirname(source)
    return posixpath.join(folder, name) if folder else name


def _upstream_ref_places(ctx: Context) -> dict[str, str]:
    """Each step input or environment ref -> the pointer of its first mention (built once:
    a release may consume thousands of upstream artifacts)."""
    places: dict[str, str] = {}
    for step in ctx.manifest.steps:
        for i, ref in enumerate(step.inputs):
            places.setdefault(ref, f"{step.pointer}/inputs/{i}")
        if step.environment is not None:
            places.setdefault(step.environment, f"{step.pointer}/environment")
    return places


def _where(ctx: Context, item: ArtifactOpenness, places: Mapping[str, str]) -> Location | None:
    if item.upstream is not None:
        pointer = places.get(item.ref)
        return ctx.locate(pointer) if pointer is not None else None
    art = ctx.manifest.artifact_index().get(item.ref)
    if art is None:
        return None
    if art.license is not None:
        return ctx.locate(f"{art.pointer}/license")
    return ctx.locate("/license") if ctx.manifest.license is not None else ctx.locate(art.pointer)


def _verdict(ctx: Context, prefixes: tuple[str, ...], exclude: tuple[str, ...]) -> Verdict:
    errors = [f for f in ctx.findings
              if f.severity is Severity.ERROR and f.code.startswith(prefixes)
              and not f.code.startswith(exclude)]
    reasons = [f"{f.code}: {f.message}" for f in errors[:MAX_REASONS]]
    if len(errors) > MAX_REASONS:
        reasons.append(f"... and {len(errors) - MAX_REASONS} more")
    return Verdict(not errors, reasons)


def _upstream_summary(u: ResolvedUpstream) -> UpstreamVerdict:
    out = UpstreamVerdict(u.status.value, u.source, u.sha256)
    if u.manifest is not None:
        out.release = (u.manifest.name, u.manifest.version)
    if u.report is not None:
        out.counts = u.report.counts
        theirs = u.report.section(Verdicts)
        out.open_source = theirs.open_source.ok if theirs is not None else None
    return out
