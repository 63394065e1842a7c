"""How a model release can be rebuilt: in full, in sampled segments only, or not at all
(``spec/profiles.md`` §4.4). Pure: reads the manifest only.
"""

from __future__ import annotations

from typing import Any

from rebuildable.model import Manifest, Step

#: kinds of trained parameters
TRAINED_KINDS = frozenset({"weights", "adapter"})
#: a full run longer than this (declared ``cost.hours``) is not one a checker repeats
PRACTICAL_HOURS = 24.0
_ORDER = {"none": 0, "sampled": 1, "full": 2}
_WORDS = {"full": "in full", "sampled": "in sampled segments only", "none": "not at all"}


def _step_mode(step: Step) -> tuple[str, str]:
    hours = (step.cost or {}).get("hours")
    long = isinstance(hours, int | float) and not isinstance(hours, bool) and (
        hours > PRACTICAL_HOURS)
    replayable = bool(step.checkpoints) and step.replay is not None
    if not long:
        return "full", f"step {step.id!r} can be rerun" + (
            f" ({hours:g} h declared)" if isinstance(hours, int | float) else "")
    if replayable:
        return "sampled", (f"step {step.id!r} takes {hours:g} h; its {len(step.checkpoints)} "
                           "checkpoints can be replayed in sampled segments")
    return "none", (f"step {step.id!r} takes {hours:g} h and declares no checkpoints and "
                    "replay command")


def assess(manifest: Manifest, incomplete: list[str] | None = None) -> dict[str, Any]:
    """``{"mode": "full"|"sampled"|"none", "reasons": [...], "steps": {id: mode}}``.

    ``incomplete``: why the release is not complete (the completeness verdict's reasons),
    when it is not. A rebuild needs every source, so such a release is rebuildable not at
    all, however short its steps: "in full" beside "complete NO" would be a contradiction.
    """
    kinds = {a.id: a.kind for a in manifest.artifacts}
    trainers = [s for s in manifest.steps if any(kinds.get(o) in TRAINED_KINDS
                                                 for o in s.outputs)]
    if not trainers:
        return {"mode": "none", "words": _WORDS["none"],
                "reasons": ["no step makes the trained parameters"], "steps": {},
                "practical-hours": PRACTICAL_HOURS}
    if incomplete:
        why = "the release is not complete, so no step can be rerun as declared: " + \
            incomplete[0]
        return {"mode": "none", "words": _WORDS["none"], "reasons": [why],
                "steps": {s.id: "none" for s in trainers},
                "practical-hours": PRACTICAL_HOURS}
    modes = {s.id: _step_mode(s) for s in trainers}
    mode = min((m for m, _ in modes.values()), key=_ORDER.__getitem__)
    return {"mode": mode, "words": _WORDS[mode],
            "reasons": [why for _, why in modes.values()],
            "steps": {k: m for k, (m, _) in modes.items()},
            "practical-hours": PRACTICAL_HOURS}
