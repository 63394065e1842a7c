"""A rebuild's step records: typed, and written as ``report.schema.json#/$defs/rebuildStep``
with the keys in the order reports have always printed them."""

from __future__ import annotations

from typing import Any

import jsonschema

from rebuildable.rebuild_records import (
    SegmentRef,
    StepInput,
    StepOutput,
    StepRecord,
    StepRunRecord,
)
from rebuildable.schema import load_schema
from rebuildable.sections import Rebuild

SCHEMA = load_schema("report")
ISOLATION = {"method": "none", "network": True, "readonly_system": False,
             "private_mounts": False, "not_enforced": ["no-network"], "timeout": 5.0}


def _validate(step: dict[str, Any]) -> None:
    jsonschema.validate(step, {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"],
                               "$ref": "#/$defs/rebuildStep"})


def _full_record() -> StepRecord:
    record = StepRecord("train", "differs", "python train.py --resume a --out b", ISOLATION,
                        segment=SegmentRef(1, "ckpt-1", "ckpt-2", "ckpt-1 → ckpt-2"))
    record.inputs += [StepInput("code", "release", available=True, path="train.py"),
                      StepInput("corpus", "external", available=False, reason="not fetched")]
    record.runs.append(StepRunRecord(0, False, 1.25, False, "", None))
    record.outputs.append(StepOutput("ckpt-2", "ckpt/2.npy", "differs",
                                     digest={"sha256": "ab" * 32},
                                     matches_declared_digest=False, policy="exact",
                                     summary="sizes differ", details={"size": 3},
                                     second_run="identical"))
    record.environment = {"artifact": "lock", "lock": "pylock", "packages": []}
    record.nondeterministic = True
    return record


def test_a_full_record_fits_the_schema_in_the_reports_key_order() -> None:
    data = _full_record().to_dict()
    _validate(data)
    assert list(data) == ["id", "status", "run", "segment", "isolation", "inputs", "outputs",
                          "runs", "work_dir", "environment", "nondeterministic"]
    assert data["segment"] == {"index": 1, "from": "ckpt-1", "to": "ckpt-2",
                               "label": "ckpt-1 → ckpt-2"}
    assert [list(i) for i in data["inputs"]] == [["ref", "origin", "path", "available"],
                                                 ["ref", "origin", "available", "reason"]]
    assert list(data["outputs"][0]) == ["id", "path", "digest", "matches_declared_digest",
                                        "policy", "summary", "details", "status", "second_run"]
    assert list(data["runs"][0]) == ["exit_code", "timed_out", "seconds",
                                     "leftover_processes_killed", "stderr_tail", "logs"]


def test_a_step_that_did_not_run_says_only_what_is_known() -> None:
    record = StepRecord("build", "skipped", "make", ISOLATION,
                        outputs=[StepOutput("app", "dist/app", "not-built")])
    data = record.to_dict()
    _validate(data)
    assert data == {"id": "build", "status": "skipped", "run": "make", "isolation": ISOLATION,
                    "inputs": [], "outputs": [{"id": "app", "path": "dist/app",
                                               "status": "not-built"}],
                    "runs": [], "work_dir": None}


def test_the_rebuild_section_writes_its_step_records() -> None:
    section = Rebuild(refused=False, validation={"ok": True}, isolation=ISOLATION,
                      steps=[_full_record()])
    assert section.to_dict()["steps"] == [_full_record().to_dict()]
