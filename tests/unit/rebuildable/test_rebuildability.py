"""ml-model releases: rebuildable in full, in sampled segments only, or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rebuildable.api import validate
from rebuildable.render.text import render_text
from tests.support import EXAMPLES, make_release

FILES = {"train.py": b"print()\n", "data.csv": b"1\n", "config.json": b"{}\n",
         "ckpt-1.npy": b"a", "weights.npy": b"b"}
IDS = {"train.py": "code", "data.csv": "data", "config.json": "config",
       "ckpt-1.npy": "ckpt-1", "weights.npy": "weights"}
KINDS = {"train.py": "training-code", "data.csv": "dataset", "config.json": "config",
         "ckpt-1.npy": "weights", "weights.npy": "weights"}


def model_release(root: Path, **step: Any) -> Path:
    steps = [{"id": "train", "run": "python3 train.py", "inputs": ["code", "data", "config"],
              "outputs": ["weights"], **step}]
    # A checkpoint shipped by a step that declares none would be weights as a source: the
    # release would not be complete, and so not rebuildable at all whatever its cost.
    files = {p: d for p, d in FILES.items() if p != "ckpt-1.npy" or "checkpoints" in step}
    return make_release(root, files, steps, ids=IDS, kinds=KINDS, profile="ml-model",
                        license="Apache-2.0")


@pytest.mark.parametrize(("step", "mode"), [
    ({}, "full"),
    ({"cost": {"hardware": "8 x A100", "hours": 12}}, "full"),
    ({"cost": {"hardware": "1000 x A100", "hours": 4300}, "checkpoints": ["ckpt-1", "weights"],
      "replay": "python3 train.py --resume {from} --out {out}"}, "sampled"),
    ({"cost": {"hardware": "1000 x A100", "hours": 4300}}, "none"),
])
def test_the_verdict_says_how_the_model_can_be_rebuilt(tmp_path: Path, step: dict[str, Any],
                                                      mode: str) -> None:
    report = validate(model_release(tmp_path / "rel", **step))
    verdict = report.to_dict()["verdicts"]["rebuildable"]
    assert verdict["mode"] == mode
    found = next(f for f in report.findings if f.code == "openness.rebuildable")
    assert found.data["mode"] == mode
    words = {"full": "in full", "sampled": "in sampled segments only", "none": "not at all"}
    assert f"rebuildable {words[mode]}" in render_text(report)


def test_the_checkpoint_example_is_rebuildable_in_full() -> None:
    report = validate(EXAMPLES / "ml-checkpoints")
    assert report.ok
    assert report.to_dict()["verdicts"]["rebuildable"]["mode"] == "full"
