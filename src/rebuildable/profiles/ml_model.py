"""``ml-model``: weights are outputs of training code, a config and data (ML)."""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable.findings import Finding, finding
from rebuildable.model import Artifact, Step
from rebuildable.profiles._base import (
    VAGUE_KINDS,
    WEIGHTS,
    Profile,
    Rule,
    View,
    environment_rule,
    output_copies_input,
    python_environment,
    rule,
)

#: kinds that are trained, never written by hand
TRAINED_KINDS = frozenset({"weights", "adapter", "checkpoint"})
#: a shard index is the data its shards are (spec/shards.md)
DATA_KINDS = frozenset({"dataset", "shard-index", "data-recipe"})


def trained(view: View) -> Iterator[tuple[Artifact, Step]]:
    for art, step in view.outputs():
        if art.kind in TRAINED_KINDS or (art.kind in VAGUE_KINDS and view.family(art) == WEIGHTS):
            yield art, step


@rule("ML-1", "weights, adapters, tokenizers and checkpoints MUST be outputs, never sources")
def weights_are_outputs(view: View, r: Rule) -> Iterator[Finding]:
    for art in view.sources():
        if view.family(art) == WEIGHTS:
            yield finding("profile.weights-as-source",
                          f"{art.name} ({art.kind or 'recognised as weights'}) is declared as a "
                          "source: weights are not the source of a model",
                          artifact=art.id, location=view.at_artifact(art, "kind"))


def _needs(label: str, summary: str, code: str, kinds: frozenset[str], what: str) -> Rule:
    def run(view: View, r: Rule) -> Iterator[Finding]:
        for art, step in trained(view):
            have = view.closure_kinds(step)
            if not any(k in have for k in kinds):
                yield finding(code, f"{art.name} is made by step {step.id!r}, which consumes no "
                              f"{what}, directly or through earlier steps",
                              artifact=art.id, step=step.id, location=view.at_step(step, "inputs"))
    return Rule(label, summary, run)


training_code = _needs("ML-2", "the step that makes weights MUST consume training code",
                       "profile.no-training-code", frozenset({"training-code"}),
                       "training code (kind training-code)")
training_data = _needs("ML-3", "the step that makes weights MUST consume data or a data recipe",
                       "profile.no-training-data", DATA_KINDS,
                       "data (kind dataset, or data-recipe when the data cannot be shipped)")
training_config = _needs("ML-4", "the step that makes weights SHOULD consume a config",
                         "profile.no-training-config", frozenset({"config"}),
                         "config (kind config)")


def _ships(label: str, code: str, kind: str, what: str) -> Rule:
    def run(view: View, r: Rule) -> Iterator[Finding]:
        trains = any(True for _ in trained(view))
        if trains and not any(a.kind == kind for a in view.index.values()):
            yield finding(code, f"the release ships no {what} (kind {kind})",
                          location=view.ctx.locate("/artifacts"))
    return Rule(label, f"the release SHOULD ship {what}", run)


PROFILE = Profile("ml-model", "Machine-learning models", (
    weights_are_outputs,
    training_code,
    training_data,
    training_config,
    _ships("ML-5", "profile.no-evaluation-code", "evaluation-code", "evaluation code"),
    _ships("ML-6", "profile.no-model-card", "model-card", "model card"),
    environment_rule("ML-7", "trains", frozenset({WEIGHTS}), python_rule=True),
    python_environment,
    output_copies_input,
))
