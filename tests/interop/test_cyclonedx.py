"""`export --to cyclonedx`: every example release gives a CycloneDX 1.6 BOM that
cyclonedx-python-lib's strict JSON validator accepts, with ML-BOM data where it belongs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rebuildable import api
from rebuildable.cli import cli
from tests.support import EXAMPLE_NAMES, EXAMPLES, corpus_file

cyclonedx = pytest.importorskip("cyclonedx.validation.json")
from cyclonedx.schema import SchemaVersion  # noqa: E402


def strict_errors(text: str) -> object:
    return cyclonedx.JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)


def bom(example: str) -> dict[str, Any]:
    result = api.export(EXAMPLES / example, "cyclonedx")
    assert result.document is not None, result.error
    return result.document


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_examples_validate_strictly(example: str) -> None:
    assert strict_errors(json.dumps(bom(example))) is None


def test_the_validator_is_not_a_rubber_stamp() -> None:
    broken = bom("ml-tiny-sentiment")
    broken["components"][0]["hashes"] = [{"alg": "SHA-257", "content": "00"}]
    assert strict_errors(json.dumps(broken)) is not None
    corpus = corpus_file("boms/cyclonedx_valid-machine-learning-1.6.json").read_text()
    assert strict_errors(corpus) is None


def test_ml_bom_content() -> None:
    doc = bom("ml-tiny-sentiment")
    assert doc["metadata"]["component"]["type"] == "machine-learning-model"
    by_type: dict[str, list[dict[str, Any]]] = {}
    for comp in doc["components"]:
        by_type.setdefault(comp["type"], []).append(comp)
    model = by_type["machine-learning-model"][0]
    datasets = {d["ref"] for d in model["modelCard"]["modelParameters"]["datasets"]}
    data_refs = {c["bom-ref"] for c in by_type["data"]}
    assert datasets
    assert datasets <= data_refs
    assert all(h["alg"] == "SHA-256" and len(h["content"]) == 64 for h in model["hashes"])
    assert model["licenses"][0]["expression"]
    tasks = doc["formulation"][0]["workflows"][0]["tasks"]
    assert all(t["steps"][0]["commands"][0]["executed"] for t in tasks)
    produced = {o["resource"]["ref"] for t in tasks for o in t.get("outputs", [])}
    assert model["bom-ref"] in produced


def test_adapter_names_its_base_as_ancestor() -> None:
    doc = bom("adapter-lora-tiny")
    ancestors = doc["metadata"]["component"]["pedigree"]["ancestors"]
    relations = {p["value"] for a in ancestors for p in a["properties"]
                 if p["name"] == "rebuildable:relation"}
    assert "adapter-of" in relations


def test_same_manifest_same_bom_and_cli(tmp_path: Path) -> None:
    assert bom("software-hello") == bom("software-hello")
    out = tmp_path / "bom.json"
    result = CliRunner().invoke(cli, ["export", str(EXAMPLES / "software-hello"), "--to",
                                      "cyclonedx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == bom("software-hello")
