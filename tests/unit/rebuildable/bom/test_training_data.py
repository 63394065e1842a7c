"""Both exports name the same training data for a model: the datasets its step consumed,
directly or through earlier steps (bom/common.py ``training_data``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rebuildable import api
from tests.support import make_release

FILES = {"raw.csv": b"text,label\nhi,1\n", "clean.csv": b"hi,1\n", "other.csv": b"x\n",
         "model.npy": b"weights", "train.py": b"print('train')\n"}
KINDS = {"raw.csv": "dataset", "clean.csv": "dataset", "other.csv": "dataset",
         "model.npy": "weights", "train.py": "source"}
IDS = {"raw.csv": "raw", "clean.csv": "clean", "other.csv": "other", "model.npy": "model",
       "train.py": "train-py"}
STEPS = [{"id": "clean", "run": "clean raw.csv > clean.csv", "inputs": ["raw"],
          "outputs": ["clean"]},
         {"id": "train", "run": "python3 train.py", "inputs": ["clean", "train-py"],
          "outputs": ["model"]}]


def chain(tmp_path: Path) -> Path:
    return make_release(tmp_path / "r", FILES, STEPS, kinds=KINDS, ids=IDS)


def _export(root: Path, to: str) -> dict[str, Any]:
    result = api.export(root, to)
    assert result.document is not None, result.error
    return result.document


def test_cyclonedx_model_card_follows_the_chain(tmp_path: Path) -> None:
    doc = _export(chain(tmp_path), "cyclonedx")
    model = next(c for c in doc["components"] if c["type"] == "machine-learning-model")
    datasets = model["modelCard"]["modelParameters"]["datasets"]
    refs = {d["ref"] for d in datasets}
    names = {c["bom-ref"]: c["name"] for c in doc["components"]}
    assert {names[r] for r in refs} == {"clean.csv", "raw.csv"}


def test_spdx3_trained_on_names_the_same_datasets(tmp_path: Path) -> None:
    doc = _export(chain(tmp_path), "spdx3")
    nodes = {n.get("spdxId"): n for n in doc["@graph"]}
    trained = [n for n in doc["@graph"] if n.get("relationshipType") == "trainedOn"]
    assert len(trained) == 1
    assert nodes[trained[0]["from"]]["name"] == "model.npy"
    assert {nodes[t]["name"] for t in trained[0]["to"]} == {"clean.csv", "raw.csv"}
