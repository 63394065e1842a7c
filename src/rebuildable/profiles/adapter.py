"""``adapter``: a LoRA/PEFT adapter or fine-tune on a pinned base (AD), plus every
``ml-model`` rule: the adapter is trained, like any weights."""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable.findings import Finding, finding
from rebuildable.model import split_ref
from rebuildable.profiles import ml_model
from rebuildable.profiles._base import Rule, View, rule

#: relations that say "this release is built on that model"
BASE_RELATIONS = frozenset({"adapter-of", "fine-tune-of", "distilled-from", "derived-from"})


@rule("AD-1", "an adapter MUST declare the base it stands on as an upstream")
def has_base(view: View, r: Rule) -> Iterator[Finding]:
    if not view.manifest.upstream:
        yield finding("profile.no-base",
                      "an adapter or fine-tune is only as open and as rebuildable as its base, "
                      "but the release declares no upstream base",
                      location=view.ctx.locate("/profile"),
                      hint="Add an 'upstream' entry (relation adapter-of or fine-tune-of) "
                           "pinning the base release's manifest by digest.")


@rule("AD-3", "the step that makes the adapter MUST consume the base's artifacts as BASE:ARTIFACT")
def consumes_base(view: View, r: Rule) -> Iterator[Finding]:
    if not view.manifest.upstream:
        return  # AD-1 already says so
    for art, step in ml_model.trained(view):
        ups = {split_ref(ref)[0] for ref in view.closure(step)} - {None}
        if not ups:
            yield finding("profile.base-not-consumed",
                          f"{art.name} is made by step {step.id!r}, which consumes no artifact of "
                          "an upstream base (write inputs such as base:weights)",
                          artifact=art.id, step=step.id, location=view.at_step(step, "inputs"))


PROFILE = ml_model.PROFILE.including(
    "adapter", "Adapters and fine-tunes (LoRA, LoHa, PEFT) on a base model",
    has_base, consumes_base)
