"""`export --to spdx3`: SPDX 3.0.1 JSON-LD read back by the SPDX 3 Python bindings
(spdx-python-model): every type and property known, every reference resolved, every
required property present (the serializer enforces the shapes' cardinalities)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rebuildable import api
from tests.support import corpus_file

spdx = pytest.importorskip("spdx_python_model.bindings.v3_0_1.model")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KINDS = ["ml-tiny-sentiment", "adapter-lora-tiny", "dataset-reviews-clean", "software-hello",
         "artwork-ora"]


def check(document: dict[str, Any]) -> dict[str, int]:
    """Read ``document`` with the bindings, link it, write it back; the element counts."""
    objset = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.StringIO(json.dumps(document)), objset)
    missing = objset.link()
    assert not missing, f"dangling references: {sorted(missing)}"
    spdx.JSONLDSerializer().write(objset, io.BytesIO())
    counts: dict[str, int] = {}
    for obj in objset.foreach():
        counts[type(obj).__name__] = counts.get(type(obj).__name__, 0) + 1
    return counts


def export(example: str) -> dict[str, Any]:
    result = api.export(EXAMPLES / example, "spdx3")
    assert result.document is not None, result.error
    return result.document


@pytest.mark.parametrize("example", KINDS)
def test_examples_read_back(example: str) -> None:
    counts = check(export(example))
    assert counts["SpdxDocument"] == 1
    assert counts["software_Sbom"] == 1


def test_profiles_and_relationships() -> None:
    doc = export("ml-tiny-sentiment")
    counts = check(doc)
    assert counts["ai_AIPackage"] >= 2  # the release and its weights
    assert counts["dataset_DatasetPackage"] >= 1
    assert counts["build_Build"] >= 1
    kinds = {n.get("relationshipType") for n in doc["@graph"]}
    assert {"hasInput", "hasOutput", "generates", "trainedOn", "contains",
            "hasDeclaredLicense"} <= kinds
    document = next(n for n in doc["@graph"] if n["type"] == "SpdxDocument")
    assert {"ai", "dataset"} <= set(document["profileConformance"])


def test_the_bindings_are_not_a_rubber_stamp() -> None:
    doc = export("software-hello")
    dangling = json.loads(json.dumps(doc))
    rel = next(n for n in dangling["@graph"] if n["type"] == "Relationship")
    rel["to"] = ["https://example.org/nowhere"]
    with pytest.raises(AssertionError, match="dangling"):
        check(dangling)
    required = json.loads(json.dumps(doc))
    rel = next(n for n in required["@graph"] if n["type"] == "Relationship")
    del rel["relationshipType"]
    with pytest.raises(ValueError, match="required"):
        check(required)
    unknown = json.loads(json.dumps(doc))
    unknown["@graph"][1]["type"] = "ai_NoSuchThing"
    with pytest.raises((TypeError, KeyError)):
        check(unknown)
    corpus = json.loads(corpus_file("boms/spdx-examples_ai-example02_sbom.spdx3.json").read_text())
    assert check(corpus)["ai_AIPackage"] == 1


def test_ids_are_stable_and_created_follows_source_date_epoch(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first, second = export("software-hello"), export("software-hello")
    assert first == second
    created = next(n for n in first["@graph"] if n["type"] == "CreationInfo")["created"]
    assert created == datetime.fromtimestamp(1700000000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
