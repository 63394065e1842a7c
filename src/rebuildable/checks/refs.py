"""Identifiers and references: unique ids, no dangling references, one producer per
output, no cycles between steps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from rebuildable.context import Context
from rebuildable.findings import Finding, finding
from rebuildable.graph import StepGraph
from rebuildable.load import join_pointer
from rebuildable.model import Manifest, Step, split_ref
from rebuildable.state import declare
from rebuildable.suggest import closest


@declare()
def check(ctx: Context) -> Iterator[Finding]:
    m = ctx.manifest
    yield from _duplicates(ctx, "artifact", m.artifacts)
    yield from _duplicates(ctx, "step", m.steps)
    yield from _duplicates(ctx, "upstream", m.upstream)

    artifacts = m.artifact_index()
    upstreams = {u.id for u in m.upstream}
    graph = StepGraph(m)
    suggest = _Suggestions(m)
    for step in m.steps:
        yield from _step_refs(ctx, step, artifacts.keys(), upstreams, suggest)
        for i, out in enumerate(step.outputs):
            first = graph.producers[out]
            if first.id != step.id:
                yield finding(
                    "refs.multiple-producers",
                    f"artifact {out!r} is produced by both step {first.id!r} "
                    f"and step {step.id!r}",
                    artifact=out,
                    step=step.id,
                    location=ctx.locate(f"{step.pointer}/outputs/{i}"),
                )
    yield from _cycles(ctx, graph)


class _Suggestions:
    """What a dangling reference was perhaps meant to be, built once per manifest and
    memoised per reference: a manifest may have 100,000 artifacts and many dangling refs."""

    def __init__(self, manifest: Manifest) -> None:
        self._manifest = manifest
        self._by_place: dict[str, str] | None = None
        self._memo: dict[str, str] = {}

    def meant(self, ref: str) -> str:
        """``; did you mean 'train-code'?`` when ``ref`` is an artifact's path (steps name
        artifacts by id) or a near miss of an id; empty otherwise."""
        said = self._memo.get(ref)
        if said is None:
            said = self._memo[ref] = self._compute(ref)
        return said

    def _compute(self, ref: str) -> str:
        by_place = self._by_place
        if by_place is None:
            by_place = self._by_place = {a.path or a.uri or "": a.id
                                         for a in self._manifest.artifacts if a.path or a.uri}
        ident = by_place.get(ref) or by_place.get(ref.removeprefix("./"))
        if ident is not None:
            return f" (it is the path of artifact {ident!r})"
        meant = closest(ref, self._manifest.artifact_index().keys())
        return f"; did you mean {meant!r}?" if meant is not None else ""

    def hint(self, ref: str) -> str | None:
        said = self.meant(ref)
        if said.startswith(" (it is the path"):
            ident = said.split("'")[1]
            return (f"Steps name artifacts by id, not by path: write {ident!r}. "
                    "(Each artifact's id is its 'id:' field.)")
        return None


class _Identified(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def pointer(self) -> str: ...


def _duplicates(ctx: Context, what: str, items: Sequence[_Identified]) -> Iterator[Finding]:
    if len({item.id for item in items}) == len(items):
        return  # the common case, told by one set (a release may list 100,000 artifacts)
    first: dict[str, str] = {}
    for item in items:
        ident, pointer = item.id, item.pointer
        if ident in first:
            line = ctx.document.position(first[ident])
            where = f" (first at line {line[0]})" if line else ""
            yield finding(
                "ids.duplicate",
                f"{what} id {ident!r} is used twice{where}",
                location=ctx.locate(join_pointer(pointer, "id")),
                artifact=ident if what == "artifact" else None,
                step=ident if what == "step" else None,
                upstream=ident if what == "upstream" else None,
            )
        else:
            first[ident] = pointer


def _step_refs(
    ctx: Context, step: Step, artifacts: object, upstreams: set[str], suggest: _Suggestions
) -> Iterator[Finding]:
    known = artifacts  # a KeysView; membership is all we need
    yield from _input_refs(ctx, step, known, upstreams, suggest)
    declared = step.outputs if step.declared_outputs is None else step.declared_outputs
    yield from _output_refs(ctx, step, known, declared, suggest)
    yield from _environment_ref(ctx, step, known, upstreams, suggest)
    yield from _replay_refs(ctx, step, declared)
    yield from _equivalence_refs(ctx, step)


def _input_refs(
    ctx: Context, step: Step, known: object, upstreams: set[str], suggest: _Suggestions
) -> Iterator[Finding]:
    seen: set[str] = set()
    outputs = set(step.outputs)
    for i, ref in enumerate(step.inputs):
        pointer = f"{step.pointer}/inputs/{i}"
        if ref in seen:
            yield finding(
                "refs.duplicate-reference",
                f"step {step.id!r} lists input {ref!r} twice",
                step=step.id,
                location=ctx.locate(pointer),
            )
        seen.add(ref)
        upstream, name = split_ref(ref)
        if upstream is not None:
            if upstream not in upstreams:
                yield finding(
                    "refs.unknown-upstream",
                    f"step {step.id!r} input {ref!r} names no declared upstream {upstream!r}"
                    f"{_did_you_mean(upstream, upstreams)}",
                    step=step.id,
                    upstream=upstream,
                    location=ctx.locate(pointer),
                )
            continue
        if name not in known:  # type: ignore[operator]
            yield finding(
                "refs.dangling-input",
                f"step {step.id!r} input {ref!r} names no artifact{suggest.meant(ref)}",
                step=step.id,
                location=ctx.locate(pointer),
                hint=suggest.hint(ref),
            )
        elif name in outputs:
            yield finding(
                "refs.output-is-input",
                f"step {step.id!r} consumes {ref!r}, which it also produces",
                step=step.id,
                artifact=name,
                location=ctx.locate(pointer),
            )


def _output_refs(
    ctx: Context, step: Step, known: object, declared: Sequence[str], suggest: _Suggestions
) -> Iterator[Finding]:
    seen_out: set[str] = set()
    made = [(ref, f"{step.pointer}/outputs/{i}") for i, ref in enumerate(declared)]
    made += [(ref, f"{step.pointer}/checkpoints/{i}") for i, ref in enumerate(step.checkpoints)
             if ref not in declared]
    for ref, pointer in made:
        if ref in seen_out:
            yield finding(
                "refs.duplicate-reference",
                f"step {step.id!r} lists output {ref!r} twice",
                step=step.id,
                location=ctx.locate(pointer),
            )
        seen_out.add(ref)
        if ":" in ref:
            yield finding(
                "refs.upstream-output",
                f"step {step.id!r} cannot produce the upstream artifact {ref!r}",
                step=step.id,
                location=ctx.locate(pointer),
            )
        elif ref not in known:  # type: ignore[operator]
            yield finding(
                "refs.dangling-output",
                f"step {step.id!r} output {ref!r} names no artifact{suggest.meant(ref)}",
                step=step.id,
                location=ctx.locate(pointer),
                hint=suggest.hint(ref),
            )


def _environment_ref(
    ctx: Context, step: Step, known: object, upstreams: set[str], suggest: _Suggestions
) -> Iterator[Finding]:
    env = step.environment
    if env is None:
        return
    upstream, name = split_ref(env)
    pointer = f"{step.pointer}/environment"
    if upstream is not None:
        if upstream not in upstreams:
            yield finding(
                "refs.unknown-upstream",
                f"step {step.id!r} environment {env!r} names no declared upstream"
                f"{_did_you_mean(upstream, upstreams)}",
                step=step.id,
                upstream=upstream,
                location=ctx.locate(pointer),
            )
    elif name not in known:  # type: ignore[operator]
        yield finding(
            "refs.dangling-environment",
            f"step {step.id!r} environment {env!r} names no artifact{suggest.meant(env)}",
            step=step.id,
            location=ctx.locate(pointer),
            hint=suggest.hint(env),
        )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    meant = closest(word, choices)
    return f"; did you mean {meant!r}?" if meant is not None else ""


def _equivalence_refs(ctx: Context, step: Step) -> Iterator[Finding]:
    outputs = set(step.outputs)
    for key in step.equivalence:
        if key not in outputs:
            paths = {a.path: a.id for a in ctx.manifest.artifacts if a.id in outputs and a.path}
            said = (f" (it is the path of output {paths[key]!r}; policies are keyed by id)"
                    if key in paths else _did_you_mean(key, step.outputs))
            yield finding(
                "refs.equivalence-not-output",
                f"step {step.id!r} sets an equivalence policy for {key!r}, "
                f"which it does not produce{said}",
                step=step.id,
                artifact=key,
                location=ctx.locate(join_pointer(f"{step.pointer}/equivalence", key)),
            )


REPLAY_PLACEHOLDERS = ("{from}", "{to}", "{out}", "{index}")


def _replay_refs(ctx: Context, step: Step, declared: Sequence[str]) -> Iterator[Finding]:
    """Sampled replay: the last checkpoint is the step's output; a replay template has
    checkpoints to replay and writes ``{out}``."""
    if step.checkpoints and step.checkpoints[-1] not in declared:
        yield finding(
            "refs.checkpoint-not-output",
            f"step {step.id!r}: its last checkpoint {step.checkpoints[-1]!r} is not one of "
            "its outputs",
            step=step.id, artifact=step.checkpoints[-1],
            location=ctx.locate(f"{step.pointer}/checkpoints/{len(step.checkpoints) - 1}"))
    if step.replay is None:
        return
    pointer = f"{step.pointer}/replay"
    if not step.checkpoints:
        yield finding("refs.replay-without-checkpoints",
                      f"step {step.id!r} has a replay command but no checkpoints to replay",
                      step=step.id, location=ctx.locate(pointer))
    text = step.replay
    for placeholder in REPLAY_PLACEHOLDERS:
        text = text.replace(placeholder, "")
    if "{out}" not in step.replay or re.search(r"\{[a-z_]*\}", text):
        yield finding("refs.replay-placeholder",
                      f"step {step.id!r}: the replay command must write {{out}} and may use "
                      f"only {', '.join(REPLAY_PLACEHOLDERS)}",
                      step=step.id, location=ctx.locate(pointer))


def _cycles(ctx: Context, graph: StepGraph) -> Iterator[Finding]:
    """Report each cycle once, at the step where the depth-first search closes it."""
    for step, cycle in graph.cycles():
        yield finding("refs.cycle", "steps form a cycle: " + " -> ".join(cycle), step=step.id,
                      location=ctx.locate(f"{step.pointer}/inputs"), data={"cycle": cycle})
