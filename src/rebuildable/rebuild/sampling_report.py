"""What a sampled rebuild says: per segment, the share of the run verified, the cost it
saved, and the bound on fabricated segments (``spec/rebuild.md`` [REB-23])."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rebuildable.model import Step
from rebuildable.rebuild.sampling import CONFIDENCE, Segment, fabricated_bound
from rebuildable.rebuild_records import SegmentRef, StepRecord


def _segment_result(record: StepRecord, seg: SegmentRef) -> dict[str, Any]:
    out: dict[str, Any] = {"segment": seg.label, "index": seg.index, "from": seg.start,
                           "to": seg.end, "status": record.status}
    if record.outputs:
        details = record.outputs[0].details or {}
        if "max_abs_diff" in details:
            out["max_abs_diff"] = details["max_abs_diff"]
        first = details.get("first_difference")
        if isinstance(first, dict):
            out["differing_tensor"] = first.get("tensor")
        if record.outputs[0].summary:
            out["summary"] = record.outputs[0].summary
    if record.runs:
        out["seconds"] = record.runs[-1].seconds
    return out


def sample_summary(pool: Sequence[Segment], picked: Sequence[int], *, seed: int, wanted: int,
                   records: Sequence[StepRecord],
                   ordered: Sequence[Step]) -> dict[str, Any]:
    results = [_segment_result(r, r.segment) for r in records if r.segment is not None]
    reproduced = sum(1 for r in results if r["status"] == "reproduced")
    failed = sum(1 for r in results if r["status"] not in ("reproduced", "differs"))
    differs = len(results) - reproduced - failed
    total, replayed = len(pool), len(picked)
    out: dict[str, Any] = {
        "seed": seed, "requested": wanted, "segments": total, "replayed": replayed,
        "chosen": [pool[i].label for i in picked], "reproduced": reproduced,
        "differs": differs, "failed": failed,
        "fraction_verified": replayed / total if total else 0.0,
        "confidence": CONFIDENCE, "results": results,
        "not_replayable_steps": [s.id for s in ordered if not (s.checkpoints and s.replay)],
    }
    costs = {s.id: s.cost for s in ordered if s.cost and s.checkpoints and s.replay}
    if costs:
        out["cost"] = costs
        hours = sum(float(c.get("hours", 0) or 0) for c in costs.values())
        if hours:
            out["cost_saved_hours"] = float(f"{hours * (1 - replayed / total):.3g}")
    if reproduced == replayed:
        bound = fabricated_bound(total, replayed)
        out["fabricated_at_most"] = bound
        claim = (f"at {CONFIDENCE:.0%} confidence at most {bound} of {total} segments "
                 f"({bound / total:.0%}) are fabricated")
    else:
        claim = (f"{differs + failed} segment(s) not reproduced: the run is not "
                 "reproduced")
    saved = (f"; about {out['cost_saved_hours']:g} h of the declared "
             f"{sum(float(c.get('hours', 0) or 0) for c in costs.values()):g} h not spent"
             if "cost_saved_hours" in out else "")
    out["statement"] = (f"sampled replay (seed {seed}): {reproduced} of {replayed} segment(s) "
                        f"reproduced, {replayed} of {total} segments replayed "
                        f"({replayed / total:.0%} of the run); {claim}{saved}")
    return out
