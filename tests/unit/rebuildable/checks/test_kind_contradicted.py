"""A declared kind that the bytes contradict (issue 9: weights relabelled as a dataset
passed the ml-model profile as complete and open source)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebuildable.api import Options, validate
from rebuildable.findings import Severity
from tests.support import formats_build as fb
from tests.support.hostile_releases import weights_relabelled_as_dataset
from tests.support.releases import make_release

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 56
SAFETENSORS = fb.safetensors({"w": ("F32", [2], b"\0" * 8)})


def test_weights_relabelled_as_dataset_fail_the_ml_model_profile(tmp_path: Path) -> None:
    report = validate(weights_relabelled_as_dataset(tmp_path / "rel"), Options())
    by_code = {f.code: f for f in report.findings}
    contradicted = by_code["content.kind-contradicted"]
    assert contradicted.severity is Severity.ERROR
    assert contradicted.artifact == "model-weights.safetensors"
    assert contradicted.location is not None
    assert contradicted.location.pointer == "/artifacts/0/kind"
    # the profile judges the file by its bytes: weights are never a source
    assert by_code["profile.weights-as-source"].severity is Severity.ERROR
    assert report.to_dict()["verdicts"]["complete"]["ok"] is False
    assert not report.ok


def test_without_a_profile_the_contradiction_is_a_warning(tmp_path: Path) -> None:
    report = validate(weights_relabelled_as_dataset(tmp_path / "rel", "generic"), Options())
    (f,) = [f for f in report.findings if f.code == "content.kind-contradicted"]
    assert f.severity is Severity.WARNING
    assert report.ok
    assert not validate(tmp_path / "rel", Options(strict=True)).ok


GGUF_WEIGHTS = fb.gguf(tensors=[("w", [4], 0, b"\0" * 16)])


@pytest.mark.parametrize(("data", "kind", "family"), [
    (SAFETENSORS, "dataset", "weights"),
    (fb.gguf(), "document", "weights"),
    (SAFETENSORS, "config", "weights"),  # a code kind: only binaries were refused before
    (ELF, "dataset", "binary"),
    (ELF, "data-card", "binary"),
    (fb.psd([("a", None), ("b", None)]), "document", "layered-image"),
    (SAFETENSORS, "made-up-kind", "weights"),
    # the same class, beyond the first samples
    (fb.onnx(), "dataset", "weights"),  # ONNX was not sniffed at all
    (fb.onnx(), "evaluation-code", "weights"),
    (fb.pytorch(), "dataset", "weights"),
    (fb.xcf((False, False)), "document", "layered-image"),
    (fb.kra(["a", "b"]), "dataset", "layered-image"),
    (fb.ora(["a", "b"]), "config", "layered-image"),
    (SAFETENSORS, "tokenizer", "weights"),  # tensors are no vocabulary
    (GGUF_WEIGHTS, "tokenizer", "weights"),
])
def test_siblings_are_contradicted(tmp_path: Path, data: bytes, kind: str, family: str) -> None:
    root = make_release(tmp_path / "rel", {"f.bin": data}, kinds={"f.bin": kind})
    found = [f for f in validate(root, Options()).findings
             if f.code == "content.kind-contradicted"]
    assert [f.data["family"] for f in found] == [family]


@pytest.mark.parametrize(("data", "kind"), [
    (SAFETENSORS, "weights"), (SAFETENSORS, "checkpoint"), (fb.onnx(), "weights"),
    (fb.gguf(), "tokenizer"),  # a vocabulary-only GGUF, as llama.cpp ships them
    (SAFETENSORS, "other"), (ELF, "environment"), (ELF, "binary"),
    (b"\x7fELF\x02", "dataset"),  # damaged: proves nothing
    (fb.psd([("a", None), ("b", None)]), "layered-image"),
])
def test_honest_kinds_are_not_contradicted(tmp_path: Path, data: bytes, kind: str) -> None:
    root = make_release(tmp_path / "rel", {"f.bin": data}, kinds={"f.bin": kind})
    assert "content.kind-contradicted" not in {f.code for f in validate(root, Options()).findings}


def test_a_binary_declared_source_is_reported_once(tmp_path: Path) -> None:
    root = make_release(tmp_path / "rel", {"f.bin": ELF}, kinds={"f.bin": "source-code"})
    found = {f.code for f in validate(root, Options()).findings}
    assert "content.kind-mismatch" in found
    assert "content.kind-contradicted" not in found


@pytest.mark.parametrize("name", ["model.onnx", "model.bin"])
def test_an_onnx_model_relabelled_as_a_dataset_fails_the_ml_model_profile(
        tmp_path: Path, name: str) -> None:
    root = make_release(tmp_path / "rel", {name: fb.onnx(), "README.md": b"# m\n"},
                        kinds={name: "dataset", "README.md": "model-card"},
                        profile="ml-model", license="Apache-2.0")
    report = validate(root, Options())
    found = {f.code: f for f in report.findings}
    assert found["content.kind-contradicted"].severity is Severity.ERROR
    assert "profile.weights-as-source" in found
    assert not report.ok
