"""Summaries and verdicts never disagree (issue 9, item 8).

The completeness summary once said "complete" beside a verdict "complete NO", and a
dangling reference was counted as an external source while a missing file counted as
shipped. Every summary is now derived from one computation; these properties hold for
random releases on disk, in every renderer.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from rebuildable.api import Options, validate
from rebuildable.checks.completeness import PLACES
from rebuildable.render import render
from rebuildable.report import Report
from tests.support.random_releases import build, releases
from tests.support.releases import make_release


def _assert_agree(report: Report) -> None:
    data = report.to_dict()
    verdicts = data["verdicts"]
    summaries = [f for f in data["findings"] if f["code"] == "completeness.summary"]
    assert len(summaries) == 1
    summary = summaries[0]
    complete = verdicts["complete"]["ok"]
    assert summary["data"]["complete"] is complete
    said = summary["message"].rsplit(": ", 1)[-1]
    assert said.startswith("complete") is complete
    assert said.startswith("not complete") is (not complete)
    counts = summary["data"]
    assert sum(counts[f"closure_{p}"] for p in PLACES) == counts["closure"]
    assert counts["closure_missing"] == counts["missing"]
    # the open-source verdict and its finding, and the report's own counts and ok
    (open_finding,) = [f for f in data["findings"] if f["code"] == "openness.verdict"]
    assert open_finding["data"]["ok"] is verdicts["open-source"]["ok"]
    for severity, n in data["counts"].items():
        assert n == sum(1 for f in data["findings"] if f["severity"] == severity)
    assert data["ok"] is (data["counts"]["error"] == 0)
    # every renderer says the same
    text = render(report, "text")
    assert f"complete {'yes' if complete else 'NO'}" in text
    assert text.rstrip().splitlines()[-1].startswith("OK" if data["ok"] else "FAIL")
    assert json.loads(render(report, "json"))["verdicts"]["complete"]["ok"] is complete
    sarif = json.loads(render(report, "sarif"))
    assert sarif["runs"][0]["properties"]["ok"] is data["ok"]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(releases())
def test_summaries_and_verdicts_never_disagree(spec: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _assert_agree(validate(build(Path(tmp) / "rel", spec), Options()))


def test_profile_error_makes_the_summary_not_complete(tmp_path: Path) -> None:
    """The contradiction as first seen: a closure with every source present, but a
    profile rule broken; the summary said "complete", the verdict "complete NO"."""
    root = make_release(tmp_path / "rel", {"w.safetensors": b"w", "train.py": b"print(1)\n"},
                        [{"id": "train", "run": "python train.py", "inputs": ["train.py"],
                          "outputs": ["w.safetensors"]}],
                        kinds={"w.safetensors": "weights", "train.py": "training-code"},
                        ids={"w.safetensors": "w.safetensors", "train.py": "train.py"},
                        profile="ml-model", license="MIT")
    report = validate(root, Options())
    _assert_agree(report)
    assert report.to_dict()["verdicts"]["complete"]["ok"] is False


def test_dangling_reference_is_not_counted_as_external(tmp_path: Path) -> None:
    root = make_release(tmp_path / "rel", {"a.txt": b"a", "b.txt": b"b"},
                        [{"id": "s", "run": "true", "inputs": ["a.txt", "ghost"],
                          "outputs": ["b.txt"]}],
                        ids={"a.txt": "a.txt", "b.txt": "b.txt"})
    (root / "a.txt").unlink()
    report = validate(root, Options())
    (summary,) = [f for f in report.findings if f.code == "completeness.summary"]
    assert summary.data["closure_external"] == 0
    assert summary.data["closure_shipped"] == 0
    assert summary.data["closure_missing"] == 1
    assert summary.data["closure_unresolved"] == 1
    _assert_agree(report)


def test_a_fetched_external_artifact_that_differs_makes_the_release_not_intact(
        tmp_path: Path) -> None:
    """With --fetch, an external artifact whose bytes differ from its digest is an error
    about the release's bytes: the verdict said "intact yes" beside it."""
    external = tmp_path / "corpus.txt"
    external.write_bytes(b"hello\n")
    root = make_release(tmp_path / "rel", {"a.txt": b"a"},
                        extra_artifacts=[{"id": "corpus", "uri": external.as_uri(),
                                          "kind": "dataset", "digest": {"sha256": "ab" * 32},
                                          "size": 6}])
    report = validate(root, Options(fetch=True))
    assert "fetch.digest-mismatch" in {f.code for f in report.findings}
    assert report.to_dict()["verdicts"]["intact"]["ok"] is False
    assert "intact NO" in render(report, "text")
    _assert_agree(report)
