"""Openness of a release: each artifact's own licence, and what it inherits.

Openness is inherited: an output is no more open than what it is built from, and a
release is no more open than the upstream artifacts its steps consume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rebuildable.graph import StepGraph, needs
from rebuildable.model import Manifest, Step, split_ref
from rebuildable.openness.licences import (
    Judgement,
    OpennessStatus,
    classify,
    policy_for_kind,
)

__all__ = ["ArtifactOpenness", "assess_artifacts", "describe_failure", "release_failures"]


@dataclass(slots=True)
class ArtifactOpenness:
    """One artifact's licence judgement, and what it inherits from what it is made of."""

    ref: str  # "weights" or "base:weights"
    name: str  # path or uri
    kind: str | None
    license: str | None
    own: Judgement
    effective: OpennessStatus = OpennessStatus.OPEN
    #: refs of ancestors (inputs of the steps that made it) that are not open
    because: list[str] = field(default_factory=list)
    upstream: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "license": self.license,
                               **_judgement_dict(self.own), "effective": self.effective.value}
        if self.because:
            out["because"] = list(self.because)
        if self.upstream:
            out["upstream"] = self.upstream
        return out


@lru_cache(maxsize=4096)
def _judgement_dict(judgement: Judgement) -> dict[str, Any]:
    # Shared by every artifact under the same licence; callers copy it (``**``).
    return judgement.to_dict()


def assess_artifacts(manifest: Manifest, upstream_artifacts: Mapping[str, ArtifactOpenness | None],
                     ) -> dict[str, ArtifactOpenness]:
    """Judge every artifact of ``manifest`` and every upstream artifact its steps consume.

    ``upstream_artifacts`` maps each consumed ``UP:ART`` reference to that artifact's
    judgement as its own release computed it (``effective`` included), or None when the
    upstream could not be checked.
    """
    out: dict[str, ArtifactOpenness] = {}
    index = manifest.artifact_index()
    default = manifest.license
    # A release repeats a few (licence, kind) pairs over many artifacts (100,000 dataset
    # shards under one licence): judge each pair once. An artifact no step makes is as
    # open as its own licence, so its effective status is known here already.
    judgements: dict[tuple[str | None, str | None], Judgement] = {}
    for ident, art in index.items():
        lic = art.license if art.license is not None else default
        kind = art.kind
        own = judgements.get((lic, kind))
        if own is None:
            own = judgements[lic, kind] = classify(lic, policy_for_kind(kind))
        out[ident] = ArtifactOpenness(ident, art.path or art.uri or ident, kind, lic, own,
                                      own.status)
    for ref, judged in upstream_artifacts.items():
        if judged is None:
            up, name = split_ref(ref)
            why = f"upstream {up!r} was not checked, so {name!r} cannot be judged"
            out[ref] = ArtifactOpenness(ref, ref, None, None,
                                        Judgement(OpennessStatus.UNKNOWN, (why,)),
                                        effective=OpennessStatus.UNKNOWN, upstream=up)
        else:
            out[ref] = judged
    producers = StepGraph(manifest).producers
    done: set[str] = set(upstream_artifacts)
    visiting: set[str] = set()
    # What a step's inputs add up to, once per step: one step may make 10,000 outputs
    # from 10,000 inputs. Kept only when no input was met mid-walk (a step cycle), where
    # the answer depends on which output the walk started from.
    by_step: dict[str, tuple[OpennessStatus | None, list[str]]] = {}
    cycles = [0]

    def inputs_of(step: Step) -> tuple[OpennessStatus | None, list[str]]:
        known = by_step.get(step.id)
        if known is not None:
            return known
        seen_cycles = cycles[0]
        worst: OpennessStatus | None = None
        because: list[str] = []
        for dep in needs(step):
            dep_status = effective(dep)
            if dep_status is not OpennessStatus.OPEN:
                because.append(dep)
            if worst is None or dep_status.rank < worst.rank:
                worst = dep_status
        if cycles[0] == seen_cycles:
            by_step[step.id] = (worst, because)
        return worst, because

    def effective(ref: str) -> OpennessStatus:
        item = out.get(ref)
        if item is None:
            return OpennessStatus.UNKNOWN
        if ref in done or ref in visiting:  # upstream, finished, or a step cycle
            if ref not in done:
                cycles[0] += 1
            return item.effective if ref in done else item.own.status
        visiting.add(ref)
        status = item.own.status
        step = producers.get(ref)
        if step is not None:
            worst, because = inputs_of(step)
            item.because.extend(because)
            if worst is not None and worst.rank < status.rank:
                status = worst
        item.effective = status
        visiting.discard(ref)
        done.add(ref)
        return status

    for ident in index:
        if ident in producers:
            effective(ident)
    return out


def release_failures(judged: Mapping[str, ArtifactOpenness]) -> list[ArtifactOpenness]:
    """What keeps a release from being open source: its own artifacts whose licence is
    not open, and consumed upstream artifacts that are not open (with their ancestry)."""
    return [item for item in judged.values()
            if (item.upstream is None and not item.own.open)
            or (item.upstream is not None and item.effective is not OpennessStatus.OPEN)]


def describe_failure(item: ArtifactOpenness) -> str:
    where = f"upstream artifact {item.ref!r}" if item.upstream else f"artifact {item.ref!r}"
    lic = item.license or "no licence"
    if item.upstream and item.own.open and item.because:
        why = f"it is built from {', '.join(item.because)}, which are not open"
    elif item.upstream and item.own.open:
        why = "what it is built from in its own release is not open"
    else:
        why = "; ".join(item.own.reasons) or item.own.status.value
    return f"{where} ({item.name}, {lic}): {why}"
