"""A rebuild's records of each step (or replayed segment), as typed data:
``schemas/report.schema.json#/$defs/rebuildStep`` field for field.

The runner makes a :class:`StepRecord` when a step starts and fills it as the step goes
(its inputs as they are staged, each run as it ends, its outputs once compared), so the
records are mutable dataclasses. Each ``to_dict`` writes the keys in the order reports
have always printed them and leaves optional keys out rather than writing null, as the
schema says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StepStatus = Literal["pending", "reproduced", "differs", "failed", "timeout", "skipped",
                     "unavailable"]
OutputStatus = Literal["reproduced", "equivalent", "differs", "missing", "unchecked",
                       "not-built", "too-large"]
SecondRun = Literal["identical", "equivalent", "differs"]


@dataclass
class StepInput:
    """One input of a step: where it came from and where it was placed, or why not."""

    ref: str
    #: release, shipped-output, rebuilt:STEP, inputs-dir:PATH, fetched:URI, upstream:ID;
    #: the planned origin when unavailable
    origin: str
    available: bool
    #: where the input was placed in the work folder (available inputs)
    path: str | None = None
    #: why it is unavailable
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ref": self.ref, "origin": self.origin}
        if self.path is not None:
            out["path"] = self.path
        out["available"] = self.available
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass
class StepOutput:
    """One output of a step: how the rebuilt bytes compare with the published ones."""

    id: str
    path: str | None
    status: OutputStatus
    #: the rebuilt bytes' digests (only when they were made)
    digest: dict[str, str] | None = None
    matches_declared_digest: bool | None = None
    #: the equivalence policy compared under (its ``to_dict``)
    policy: Any = None
    summary: str | None = None
    details: dict[str, Any] | None = None
    #: how a second run's bytes compared with the first's (``twice``)
    second_run: SecondRun | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "path": self.path}
        for key, value in (("digest", self.digest),
                           ("matches_declared_digest", self.matches_declared_digest),
                           ("policy", self.policy), ("summary", self.summary),
                           ("details", self.details)):
            if value is not None:
                out[key] = value
        out["status"] = self.status
        if self.second_run is not None:
            out["second_run"] = self.second_run
        return out


@dataclass
class StepRunRecord:
    """One run of a step's command."""

    exit_code: int | None
    timed_out: bool
    seconds: float
    leftover_processes_killed: bool
    stderr_tail: str
    #: the folder holding the run's full stdout and stderr (``keep``), else None
    logs: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"exit_code": self.exit_code, "timed_out": self.timed_out,
                "seconds": self.seconds,
                "leftover_processes_killed": self.leftover_processes_killed,
                "stderr_tail": self.stderr_tail, "logs": self.logs}


@dataclass(frozen=True)
class SegmentRef:
    """The segment a replay ran (``sample``): between two checkpoints of a step."""

    index: int
    #: the checkpoint it starts from; None for the first segment
    start: str | None
    #: the checkpoint it must reproduce
    end: str
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "from": self.start, "to": self.end, "label": self.label}


@dataclass
class StepRecord:
    """What became of one step (or one replayed segment of it)."""

    id: str
    status: StepStatus
    #: the command run (a segment's replay command, filled in)
    run: str | None
    #: how the step was isolated (``rebuildIsolation``)
    isolation: dict[str, Any]
    inputs: list[StepInput] = field(default_factory=list)
    outputs: list[StepOutput] = field(default_factory=list)
    runs: list[StepRunRecord] = field(default_factory=list)
    #: the kept work folder (``keep``), else None
    work_dir: str | None = None
    segment: SegmentRef | None = None
    #: the locked environment as built ([REB-24]). It stays an open dict: the part the
    #: runner knows (artifact, lock, source, packages) is extended by whatever the
    #: environment builder reports of itself (interpreter, platform, installed, ...)
    environment: dict[str, Any] | None = None
    #: two runs (``twice``) gave outputs that are not equivalent
    nondeterministic: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status, "run": self.run}
        if self.segment is not None:
            out["segment"] = self.segment.to_dict()
        out.update({"isolation": self.isolation,
                    "inputs": [i.to_dict() for i in self.inputs],
                    "outputs": [o.to_dict() for o in self.outputs],
                    "runs": [r.to_dict() for r in self.runs], "work_dir": self.work_dir})
        if self.environment is not None:
            out["environment"] = self.environment
        if self.nondeterministic:
            out["nondeterministic"] = True
        return out
