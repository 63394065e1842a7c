"""Completeness: every output traces back, through the steps, to sources the release pins.

The rule (spec/manifest.md, "Completeness"): an artifact that some step lists in
``outputs`` is an *output*, every other artifact a *source*. The *closure* of an output
is the set of sources reached by walking from the output to the step that produces it,
to that step's inputs and environment, and on through the steps that produce those,
until only sources remain. A release is complete when every source in the closure of
every output is

* a regular file shipped in the release (an artifact with a ``path``), or
* an external artifact (``uri``) pinned by at least one strong, well-formed digest, or
* an artifact of a declared upstream (``UPSTREAM:ARTIFACT``) whose upstream manifest
  reference is pinned by a strong, well-formed digest.

Dangling references and cycles are the refs check's business; this check skips what
it cannot resolve rather than reporting the same problem twice. Results are also left
in ``ctx.state.closure`` (a :class:`Closure`) for later checks (verdicts).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rebuildable.checks.paths import text_problem
from rebuildable.context import Context
from rebuildable.digest import strong_pin
from rebuildable.findings import Finding, finding
from rebuildable.graph import StepGraph
from rebuildable.load import join_pointer
from rebuildable.model import Manifest, UpstreamRef, split_ref
from rebuildable.release import EntryType, safe_relative
from rebuildable.state import declare

#: outputs named in one finding's message and data, at most
#: beyond this many unused sources, one note stands for all of them
_MAX_UNUSED_LISTED = 20
_MAX_NAMED = 20


@dataclass
class Closure:
    """What the completeness check computed, for later checks and the verdicts."""

    outputs: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    #: sources (local ids or UPSTREAM:ARTIFACT refs) some output depends on
    closure: set[str] = field(default_factory=set)
    unpinned: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    #: every closure ref, classified exactly once (one of :data:`PLACES`): the one
    #: computation every count and summary of the closure is derived from
    place: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unpinned and not self.missing

    def counts(self) -> dict[str, int]:
        """How many closure sources are in each place; they add up to ``closure``."""
        by_place = dict.fromkeys(PLACES, 0)
        for place in self.place.values():
            by_place[place] += 1
        return {
            "outputs": len(self.outputs),
            "sources": len(self.sources),
            "closure": len(self.closure),
            "closure_shipped": by_place["shipped"],
            "closure_external": by_place["external"],
            "closure_upstream": by_place["upstream"],
            "closure_missing": by_place["missing"],
            "closure_unresolved": by_place["unresolved"],
            "unpinned": len(self.unpinned),
            "missing": len(self.missing),
        }


#: where a closure source is: a regular file of the release, an external (``uri``)
#: artifact, an upstream's artifact, a declared file that is not there (or not a regular
#: file), or a reference that resolves to nothing usable (dangling, or an unsafe path:
#: other checks report those)
PLACES = ("shipped", "external", "upstream", "missing", "unresolved")


class _Graph(StepGraph):
    """The step graph, with the artifacts and upstreams the references name."""

    def __init__(self, manifest: Manifest) -> None:
        super().__init__(manifest)
        self.artifacts = manifest.artifact_index()
        self.upstreams: dict[str, UpstreamRef] = {}
        for u in manifest.upstream:
            self.upstreams.setdefault(u.id, u)


def _outputs_text(outputs: list[str]) -> str:
    if not outputs:
        return "no output"
    named = ", ".join(repr(o) for o in outputs[:_MAX_NAMED])
    more = f" and {len(outputs) - _MAX_NAMED} more" if len(outputs) > _MAX_NAMED else ""
    return f"output{'s' if len(outputs) > 1 else ''} {named}{more}"


def _who_needs(outputs: list[str]) -> str:
    return f"{_outputs_text(outputs)} {'needs' if len(outputs) == 1 else 'need'} it"


@declare(provides=["closure"])
def check(ctx: Context) -> Iterator[Finding]:
    m = ctx.manifest
    graph = _Graph(m)
    result = Closure(outputs=set(m.outputs() & graph.artifacts.keys()))
    result.sources = {a.id for a in m.artifacts if a.id not in result.outputs}
    ctx.state.closure = result
    yield from _step_shapes(ctx)
    result.closure = graph.source_closure()
    yield from _closure_sources(ctx, graph, result)
    if m.steps:
        yield from _unused_sources(ctx, graph, result)
    # The summary (completeness.summary) is written with the verdicts, from the same
    # computation as the "complete" verdict: see rebuildable.checks.openness.


def _step_shapes(ctx: Context) -> Iterator[Finding]:
    """Steps that make something from nothing, or make nothing."""
    for step in ctx.manifest.steps:
        if not step.inputs and step.environment is None and step.outputs:
            yield finding(
                "completeness.step-without-inputs",
                f"step {step.id!r} makes {_outputs_text(list(step.outputs))} from no declared "
                "inputs; a rebuild could not give it anything to work from",
                step=step.id,
                location=ctx.locate(join_pointer(step.pointer, "inputs")),
                hint="List every file the step reads in 'inputs'.",
            )
        if not step.outputs:
            yield finding(
                "completeness.step-without-outputs",
                f"step {step.id!r} declares no outputs, so nothing it makes can be checked",
                step=step.id,
                location=ctx.locate(join_pointer(step.pointer, "outputs")),
                hint="List the artifacts the step makes in 'outputs', or remove the step.",
            )


def _closure_sources(ctx: Context, graph: _Graph, result: Closure) -> Iterator[Finding]:
    """Where each source the outputs need is ([COMP-3]): shipped, external (then pinned),
    upstream, or missing; fills ``result.place``, ``missing`` and ``unpinned``."""
    entries = ctx.release.entries() if result.closure else {}
    for ref in sorted(result.closure):
        upstream_id, name = split_ref(ref)
        if upstream_id is not None:
            known = upstream_id in graph.upstreams
            result.place[ref] = "upstream" if known else "unresolved"
            yield from _upstream_source(ctx, graph, result, ref, upstream_id)
            continue
        artifact = graph.artifacts.get(name)
        if artifact is None:
            result.place[ref] = "unresolved"
            continue  # dangling: the refs check reports it
        result.place[ref] = "external" if artifact.path is None else "shipped"
        if artifact.path is not None:
            if not safe_relative(artifact.path) or text_problem(artifact.path):
                result.place[ref] = "unresolved"
                continue  # the path rules alone report a bad path [COMP-3]
            entry = entries.get(artifact.path)
            if entry is None or entry.type is not EntryType.FILE:
                result.place[ref] = "missing"
                result.missing.add(ref)
                what = ("is not in the release" if entry is None
                        else f"is a {entry.type.value}, not a regular file")
                outputs = graph.affected_outputs(ref)
                yield finding(
                    "completeness.missing-source",
                    f"source {artifact.path} {what}; {_outputs_text(outputs)} cannot be "
                    "rebuilt without it",
                    artifact=artifact.id,
                    location=ctx.locate(join_pointer(artifact.pointer, "path")),
                    data={"outputs": outputs[:_MAX_NAMED]},
                )
        elif not strong_pin(artifact.digest):
            result.unpinned.add(ref)
            outputs = graph.affected_outputs(ref)
            algs = ", ".join(sorted(artifact.digest)) or "none"
            yield finding(
                "completeness.unpinned-source",
                f"external source {artifact.name} is not pinned by a strong, well-formed digest "
                f"(has: {algs}); {_who_needs(outputs)}",
                artifact=artifact.id,
                location=ctx.locate(join_pointer(artifact.pointer, "digest")),
                hint="Pin it with a sha256 (or stronger) digest of its exact bytes.",
                data={"outputs": outputs[:_MAX_NAMED]},
            )


def _unused_sources(ctx: Context, graph: _Graph, result: Closure) -> Iterator[Finding]:
    used = set(graph.consumers)
    unused = [a for a in ctx.manifest.artifacts if a.id in result.sources and a.id not in used]
    if len(unused) <= _MAX_UNUSED_LISTED:
        for artifact in unused:
            yield finding(
                "completeness.unused-source",
                f"source {artifact.name} is consumed by no step",
                artifact=artifact.id,
                location=ctx.locate(artifact.pointer),
            )
        return
    # One note, not thousands: a data release may list 100,000 files that no step
    # reads, and a note per file would drown every other finding.
    named = ", ".join(a.id for a in unused[:_MAX_NAMED])
    yield finding(
        "completeness.unused-source",
        f"{len(unused)} sources are consumed by no step ({named}, ...)",
        location=ctx.locate("/artifacts"),
        data={"count": len(unused), "artifacts": [a.id for a in unused[:100]]},
    )


def summary_finding(closure: Closure, steps: int, complete: bool,
                    reasons: list[str]) -> Finding:
    """``completeness.summary``: the closure's counts, and the "complete" verdict itself.

    ``complete`` and ``reasons`` are the verdict's (no completeness, reference, profile
    or upstream error), so the summary can never say "complete" where the verdict says no.
    """
    counts = {**closure.counts(), "steps": steps}
    places = (f"{counts['closure_shipped']} shipped, {counts['closure_external']} external, "
              f"{counts['closure_upstream']} upstream")
    for key, label in (("closure_missing", "missing"), ("closure_unresolved", "unresolved")):
        if counts[key]:
            places += f", {counts[key]} {label}"
    verdict = "complete" if complete else "not complete"
    if not complete and reasons:
        verdict += f" ({reasons[0].split(':', 1)[0]}"
        verdict += f" and {len(reasons) - 1} more)" if len(reasons) > 1 else ")"
    return finding(
        "completeness.summary",
        f"{counts['outputs']} outputs from {counts['steps']} steps trace back to "
        f"{counts['closure']} sources ({places}): {verdict}",
        data={**counts, "complete": complete, "closure_complete": closure.complete},
    )


def _upstream_source(ctx: Context, graph: _Graph, result: Closure, ref: str,
                     upstream_id: str) -> Iterator[Finding]:
    upstream = graph.upstreams.get(upstream_id)
    if upstream is None:
        return  # unknown upstream: the refs check reports it
    if strong_pin(upstream.digest):
        return
    result.unpinned.add(ref)
    outputs = graph.affected_outputs(ref)
    yield finding(
        "completeness.unpinned-source",
        f"upstream source {ref} comes from upstream {upstream_id!r}, whose manifest is not "
        f"pinned by a strong, well-formed digest; {_who_needs(outputs)}",
        upstream=upstream_id,
        artifact=None,
        location=ctx.locate(join_pointer(join_pointer(upstream.pointer, "manifest"), "digest")),
        hint="Pin the upstream manifest with a sha256 (or stronger) digest of its bytes.",
        data={"outputs": outputs[:_MAX_NAMED], "source": ref},
    )

