"""The JSON renderer prints report.to_dict(), which follows schemas/report.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebuildable import schema
from rebuildable.engine import Options, validate
from rebuildable.findings import finding
from rebuildable.render import FORMATS, MACHINE_FORMATS, RENDERERS, render
from rebuildable.render.json_report import render_json
from rebuildable.report import ReleaseInfo, Report
from tests.support import make_release
from tests.support.render_samples import clean_report, fatal_report, sample_report


@pytest.mark.parametrize("report", [sample_report(), sample_report(strict=True), clean_report(),
                                    fatal_report()], ids=["sample", "strict", "clean", "fatal"])
def test_json_is_the_report_dict_and_follows_the_schema(report: Report) -> None:
    text = render_json(report)
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data == report.to_dict()
    errors = sorted(schema.validator("report").iter_errors(data), key=str)
    assert errors == []
    assert data["ok"] is report.ok
    assert len(data["findings"]) == len(report.findings)


def test_json_from_a_real_validation_follows_the_schema(tmp_path: Path) -> None:
    steps = [{"id": "s", "run": "true", "inputs": ["nowhere"], "outputs": ["a.txt"]}]
    root = make_release(tmp_path / "r", {"a.txt": b"a"}, steps, version="1.10")
    report = validate(root, Options())
    data = json.loads(render_json(report))
    assert list(schema.validator("report").iter_errors(data)) == []
    assert data["release"] == {"name": "example", "version": "1.10", "manifest": "rebuild.yaml"}
    assert not data["ok"]
    assert data["counts"]["error"] >= 1
    dangling = [f for f in data["findings"] if f["code"] == "refs.dangling-input"]
    assert dangling[0]["step"] == "s"
    assert dangling[0]["location"]["pointer"] == "/steps/0/inputs/0"


def test_non_ascii_is_kept_readable() -> None:
    report = sample_report()
    report.release = type(report.release)("modèle-ß", "1.0", "rebuild.yaml")
    assert '"modèle-ß"' in render_json(report)


def test_registry_names_every_format_once() -> None:
    assert FORMATS == ("text", "json", "sarif")
    assert set(RENDERERS) == set(FORMATS)
    assert set(FORMATS) >= MACHINE_FORMATS
    assert render(clean_report(), "json") == render_json(clean_report())
    with pytest.raises(ValueError, match="unknown report format"):
        render(clean_report(), "xml")


def test_non_finite_numbers_and_odd_values_still_give_strict_json() -> None:
    report = Report(ReleaseInfo("x", "1", "rebuild.yaml"), [
        finding("unlisted.file", "x", data={"psnr": float("inf"), "diff": float("nan"),
                                            "low": float("-inf"), "pair": (1, 2),
                                            "path": Path("a/b"), "ok": 1.5}),
    ])
    for text in (render_json(report), render(report, "sarif")):
        json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    data = json.loads(render_json(report))["findings"][0]["data"]
    assert data == {"psnr": "Infinity", "diff": "NaN", "low": "-Infinity", "pair": [1, 2],
                    "path": "a/b", "ok": 1.5}
