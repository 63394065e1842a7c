"""A sampled rebuild (``--sample N``, ``spec/rebuild.md`` §9): replay chosen segments
of the steps that declare checkpoints and a replay command, instead of every step."""

from __future__ import annotations

import dataclasses
import secrets

from rebuildable.findings import finding
from rebuildable.model import Step
from rebuildable.rebuild.comparing import OutputResult
from rebuildable.rebuild.plan import (
    InputOrigin,
    InputPlan,
    StepPlan,
    plan_step,
)
from rebuildable.rebuild.run import StepsRun
from rebuildable.rebuild.sampling import Segment, choose, replay_command, segments
from rebuildable.rebuild.sampling_report import sample_summary
from rebuildable.rebuild_records import SegmentRef, StepRecord


class SampledRun(StepsRun):
    """Replays ``--sample`` segments; everything else as in a full run."""

    def run_steps(self, ordered: list[Step]) -> None:
        pool = segments(self.manifest, ordered)
        wanted = self.options.sample or 0
        seed = self.options.seed if self.options.seed is not None else secrets.randbits(32)
        if not pool:
            self.add(finding(
                "rebuild.sample-unavailable",
                "--sample: no step declares checkpoints and a replay command, so there is "
                "nothing to replay in segments", location=self.locate("/steps")))
            self.sample = {"seed": seed, "requested": wanted, "segments": 0, "replayed": 0}
            return
        picked = choose(len(pool), wanted, seed)
        for n, pos in enumerate(picked, 1):
            seg = pool[pos]
            self.options.progress.start(f"segment {seg.label}", 0)
            try:
                self._replay(n, seg)
            finally:
                self.options.progress.finish()
        self.sample = sample_summary(pool, picked, seed=seed, wanted=wanted,
                                     records=self.steps, ordered=ordered)
        self.add(finding("rebuild.sample-summary", self.sample["statement"],
                         data={k: v for k, v in self.sample.items() if k != "statement"}))

    def _replay(self, n: int, seg: Segment) -> None:
        step = seg.step
        end = self.artifacts[seg.end]
        start = self.artifacts[seg.start] if seg.start else None
        assert step.replay is not None
        ref = SegmentRef(seg.index, seg.start, seg.end, seg.label)
        isolation = self.isolation.to_dict(self.options.timeout)
        if end.path is None or (start is not None and start.path is None):
            self.steps.append(StepRecord(step.id, "unavailable", step.replay, isolation,
                                         segment=ref))
            self.add(finding("rebuild.input-unavailable",
                             f"segment {seg.label}: a checkpoint it needs is not a file of "
                             "the release (replay needs shipped checkpoints)", step=step.id,
                             location=self.locate(f"{step.pointer}/checkpoints")))
            return
        command = replay_command(step.replay, seg, start.path if start else None, end.path)
        segment_step = dataclasses.replace(step, run=command, outputs=(seg.end,))
        record = StepRecord(step.id, "pending", command, isolation, segment=ref)
        self.steps.append(record)
        outputs = [OutputResult(end)]
        plan = plan_step(self.manifest, step, rebuilt_steps=set())
        extra = () if start is None or start.path is None else (InputPlan(
            ref=start.id, place=start.path, origin=InputOrigin.SHIPPED_OUTPUT, artifact=start,
            producer=step.id),)
        staged = self._stage_inputs(n, segment_step, StepPlan(segment_step, plan.inputs + extra),
                                    record, outputs)
        if staged is None:
            return
        # the folder {out} goes in exists, as it would after the segments before it
        parent = end.path.rpartition("/")[0]
        got = self._run_once(n, 0, segment_step, staged=staged, record=record, outputs=outputs,
                             folders=(parent,) if parent else ())
        if got is None:
            return
        outputs[0].file = got.get(seg.end)
        self._compare_outputs(segment_step, outputs)
        record.outputs = [o.record for o in outputs]
        record.status = ("reproduced" if outputs[0].status in ("reproduced", "equivalent")
                         else "differs")

