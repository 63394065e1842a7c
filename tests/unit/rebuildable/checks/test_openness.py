"""Verdicts: intact, complete, open source (inherited through steps and upstreams), the
MOF view, and what the reports say about an adapter on a non-commercial base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from rebuildable import schema
from rebuildable.cli import cli
from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.findings import Severity
from rebuildable.report import Report
from tests.support import make_release, read_manifest, write_manifest
from tests.support.paths import ROOT

NC_EXAMPLE = ROOT / "examples" / "adapter-on-noncommercial-base"
OPEN_EXAMPLE = ROOT / "examples" / "adapter-lora-tiny"


def verdicts(report: Report) -> dict[str, Any]:
    v: dict[str, Any] = report.to_dict()["verdicts"]
    return v


def test_noncommercial_base_text_report_names_the_base_weights() -> None:
    result = CliRunner().invoke(cli, ["validate", str(NC_EXAMPLE), "--no-color"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "not open source" in result.output
    assert "base:weights" in result.output
    assert "CC-BY-NC-4.0" in result.output
    assert "upstream/base/model/weights.safetensors" in result.output


def test_noncommercial_base_fails_when_open_source_is_required() -> None:
    result = CliRunner().invoke(cli, ["validate", str(NC_EXAMPLE), "--require", "open-source",
                                      "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 1
    data = json.loads(result.output)
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert [(f["code"], f["artifact"], f["upstream"]) for f in errors] == [
        ("openness.not-open", "base:weights", "base")]
    assert errors[0]["location"]["pointer"] == "/steps/0/inputs/3"
    v = data["verdicts"]
    assert v["intact"]["ok"]
    assert v["complete"]["ok"]
    assert not v["open-source"]["ok"]
    assert v["open-source"]["required"]
    weights = v["open-source"]["artifacts"]["base:weights"]
    assert weights["license"] == "CC-BY-NC-4.0"
    assert weights["status"] == "not-open"
    assert weights["effective"] == "not-open"
    # the adapter itself is Apache-2.0, but it is built from the base's weights
    adapter = v["open-source"]["artifacts"]["adapter"]
    assert adapter["status"] == "open"
    assert adapter["effective"] == "not-open"
    assert adapter["because"] == ["base:weights"]
    assert not list(schema.validator("report").iter_errors(data))


def test_open_adapter_is_open_source_when_required() -> None:
    report = validate(OPEN_EXAMPLE, Options(require=frozenset({"open-source"})))
    assert report.ok, [f.message for f in report.findings if f.severity is Severity.ERROR]
    v = verdicts(report)
    assert v["open-source"]["ok"]
    assert v["upstream"]["base"]["open-source"] is True
    assert v["mof"]["components"]["model-parameters"]["artifacts"] == ["adapter"]
    assert v["osaid"]["ok"]


def _tiny(tmp_path: Path, data_licence: str = "CC0-1.0", **fields: Any) -> Path:
    files = {"make.py": b"print(1)\n", "in.csv": b"a\n", "out.csv": b"b\n"}
    root = make_release(tmp_path / "r", files,
                        [{"id": "make", "run": "python3 make.py", "inputs": ["make.py", "in.csv"],
                          "outputs": ["out.csv"]}],
                        kinds={"make.py": "source-code", "in.csv": "dataset", "out.csv": "dataset"},
                        **fields)
    data = read_manifest(root)
    data["artifacts"][1]["license"] = data_licence
    write_manifest(root / "rebuild.yaml", data)
    return root


def test_output_inherits_its_inputs_closedness(tmp_path: Path) -> None:
    report = validate(_tiny(tmp_path, "CC-BY-NC-4.0"))
    arts = verdicts(report)["open-source"]["artifacts"]
    assert arts["out.csv"]["status"] == "open"
    assert arts["out.csv"]["effective"] == "not-open"
    assert arts["out.csv"]["because"] == ["in.csv"]
    not_open = [f for f in report.findings if f.code == "openness.not-open"]
    # only the artifact at fault is named, as information without --require
    assert [(f.artifact, f.severity) for f in not_open] == [("in.csv", Severity.INFO)]
    assert not_open[0].location is not None
    assert not_open[0].location.pointer == "/artifacts/1/license"
    assert report.ok


def test_release_licence_applies_to_artifacts_without_their_own(tmp_path: Path) -> None:
    root = _tiny(tmp_path, license="LicenseRef-Proprietary")
    report = validate(root, Options(require=frozenset({"open-source"})))
    names = {f.artifact for f in report.findings if f.code == "openness.not-open"}
    assert names == {"make.py", "out.csv"}
    assert all(f.location is not None and f.location.pointer == "/license"
               for f in report.findings if f.code == "openness.not-open")


def test_intact_and_complete_follow_the_findings(tmp_path: Path) -> None:
    root = _tiny(tmp_path)
    (root / "in.csv").write_bytes(b"changed\n")
    v = verdicts(validate(root))
    assert not v["intact"]["ok"]
    assert any(r.startswith("integrity.") for r in v["intact"]["reasons"])
    assert v["complete"]["ok"]
    (root / "in.csv").unlink()
    v = verdicts(validate(root))
    assert not v["intact"]["ok"]
    assert not v["complete"]["ok"]


def test_unknown_requirement(tmp_path: Path) -> None:
    report = validate(_tiny(tmp_path), Options(require=frozenset({"gratis"})))
    assert {f.code for f in report.findings if f.severity is Severity.ERROR} == {
        "openness.unknown-requirement"}


def _model(tmp_path: Path, kinds: dict[str, str], weights_licence: str = "Apache-2.0") -> Path:
    files = {f"f/{k}": k.encode() for k in kinds}
    steps = [{"id": "train", "run": "python3 f/train",
              "inputs": [f"f-{k}" for k in kinds if k not in ("weights", "ckpt")],
              "outputs": ["f-weights", "f-ckpt"]}]
    root = make_release(tmp_path / "m", files, steps, profile="ml-model",
                        kinds={f"f/{k}": v for k, v in kinds.items()})
    data = read_manifest(root)
    for a in data["artifacts"]:
        if a["id"] == "f-weights":
            a["license"] = weights_licence
        if a["kind"] in ("dataset", "technical-report", "data-card", "research-paper",
                         "evaluation-results", "sample-outputs", "evaluation-data",
                         "model-card"):
            a["license"] = "CC-BY-4.0"
    write_manifest(root / "rebuild.yaml", data)
    return root


CLASS_III = {"train": "training-code", "weights": "weights", "report": "technical-report",
             "results": "evaluation-results", "card": "model-card", "dcard": "data-card",
             "samples": "sample-outputs", "data": "dataset", "cfg": "config"}
CLASS_II = {**CLASS_III, "infer": "inference-code", "eval": "evaluation-code",
            "edata": "evaluation-data", "env": "environment"}
CLASS_I = {**CLASS_II, "paper": "research-paper", "prep": "data-processing-code",
           "ckpt": "checkpoint"}


def test_mof_classes(tmp_path: Path) -> None:
    got = {}
    for name, kinds in (("III", CLASS_III), ("II", CLASS_II), ("I", CLASS_I)):
        mof = verdicts(validate(_model(tmp_path / name, kinds)))["mof"]
        got[name] = mof["class"]
    assert got == {"III": "Class III", "II": "Class II", "I": "Class I"}


def test_mof_needs_open_components(tmp_path: Path) -> None:
    report = validate(_model(tmp_path, CLASS_I, weights_licence="CC-BY-NC-4.0"))
    mof = verdicts(report)["mof"]
    assert mof["class"] is None
    assert mof["components"]["model-parameters"] == {
        "title": "Model parameters (final)", "class": "III", "present": True, "open": False,
        "artifacts": ["f-weights"]}
    assert mof["missing-for-next"] == ["Model parameters (final)"]
    [info] = [f for f in report.findings if f.code == "openness.mof"]
    assert "Model parameters (final)" in info.message


def test_mof_is_only_shown_for_models(tmp_path: Path) -> None:
    report = validate(_tiny(tmp_path))
    assert verdicts(report)["mof"] == {"class": None, "applicable": False, "components": {}}
    assert "openness.mof" not in {f.code for f in report.findings}
