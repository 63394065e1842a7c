"""Summarising a report unless detail is asked for (spec/manifest.md [REP-5])."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rebuildable import schema
from rebuildable.aggregate import (
    MAX_EXAMPLES,
    MAX_LISTED,
    MAX_SIMILAR,
    bound_sections,
    fold_findings,
    shape,
)
from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.findings import Finding, Location, Severity, finding
from rebuildable.openness import ArtifactOpenness, Judgement, OpennessStatus
from rebuildable.sections import C2pa, Formats, OpenSourceVerdict, Section, Verdict, Verdicts
from tests.support import make_release


def _not_open(i: int, severity: Severity = Severity.INFO) -> Finding:
    return finding("openness.not-open", f"artifact 'a{i}' (f{i}.bin, no licence): no licence "
                   "is declared", severity=severity, artifact=f"a{i}",
                   location=Location("rebuild.yaml", 10 + i, 3, f"/artifacts/{i}"))


def test_shape_sets_names_parentheses_and_numbers_aside() -> None:
    assert shape(_not_open(1).message) == shape(_not_open(2).message)
    assert shape("artifact 'x': 12 bytes") == "artifact _: _ bytes"
    assert shape("licence 'MIT' is open") != shape("licence 'MIT' is not open")


def test_more_than_the_bound_of_alike_infos_fold_into_the_first() -> None:
    group = [_not_open(i) for i in range(MAX_SIMILAR + 5)]
    other = finding("completeness.summary", "0 outputs", severity=Severity.INFO)
    (folded, kept) = fold_findings([*group, other])
    assert kept is other
    assert folded.code == "openness.not-open"
    assert folded.severity is Severity.INFO
    assert folded.message == f"{group[0].message} (and {len(group) - 1} more like it)"
    assert folded.artifact is None
    assert folded.location is None
    assert folded.data["count"] == len(group)
    assert folded.data["examples"] == [f.to_dict() for f in group[:MAX_EXAMPLES]]


def test_a_group_at_the_bound_is_left_alone() -> None:
    group = [_not_open(i) for i in range(MAX_SIMILAR)]
    assert fold_findings(group) == group


def test_warnings_and_errors_never_fold() -> None:
    group = [_not_open(i, Severity.ERROR) for i in range(MAX_SIMILAR * 2)]
    assert fold_findings(group) == group


def test_alike_infos_of_different_shapes_fold_apart() -> None:
    a = [_not_open(i) for i in range(MAX_SIMILAR + 1)]
    b = [finding("openness.not-open", f"artifact 'b{i}' (b{i}, GPL-3.0-only): copyleft",
                 severity=Severity.INFO,
                 artifact=f"b{i}") for i in range(MAX_SIMILAR + 1)]
    out = fold_findings([*a, *b])
    assert [f.data["count"] for f in out] == [MAX_SIMILAR + 1, MAX_SIMILAR + 1]


def _verdicts(entries: dict[str, dict[str, Any]]) -> Verdicts:
    artifacts = {ref: ArtifactOpenness(ref, entry["path"], None, None,
                                       Judgement(OpennessStatus.UNKNOWN))
                 for ref, entry in entries.items()}
    return Verdicts(Verdict(True), Verdict(True),
                    OpenSourceVerdict(False, False, [], "SPDX", artifacts=artifacts), {})


def test_per_artifact_sections_are_bounded_and_the_rest_counted() -> None:
    entries = {f"a{i}": {"path": f"f{i}"} for i in range(MAX_LISTED + 7)}
    formats, verdicts = Formats(dict(entries)), _verdicts(dict(entries))
    sections: dict[str, Section] = {"formats": formats, "verdicts": verdicts}
    out = bound_sections(sections)
    assert list(out["formats"].to_dict()) == list(entries)[:MAX_LISTED]
    bounded = out["verdicts"].to_dict()
    assert len(bounded["open-source"]["artifacts"]) == MAX_LISTED
    assert bounded["intact"] == {"ok": True, "reasons": []}
    assert out["omitted"].to_dict() == {"/formats": 7, "/verdicts/open-source/artifacts": 7}
    # the caller's sections (the engine's state) keep every entry
    assert len(formats.artifacts) == MAX_LISTED + 7
    assert len(verdicts.open_source.artifacts) == MAX_LISTED + 7


def test_the_c2pa_section_is_bounded_like_the_others() -> None:
    entries = {f"a{i}": {"path": f"f{i}.png"} for i in range(MAX_LISTED + 3)}
    c2pa = C2pa(dict(entries))
    out = bound_sections({"c2pa": c2pa})
    assert list(out["c2pa"].to_dict()) == list(entries)[:MAX_LISTED]
    assert out["omitted"].to_dict() == {"/c2pa": 3}
    assert len(c2pa.artifacts) == MAX_LISTED + 3


def test_small_sections_are_the_same_and_say_nothing_omitted() -> None:
    sections: dict[str, Section] = {"formats": Formats({"a": {"path": "a"}}),
                                    "verdicts": _verdicts({})}
    out = bound_sections(sections)
    assert "omitted" not in out
    assert {k: v.to_dict() for k, v in out.items()} == {
        k: v.to_dict() for k, v in sections.items()}


def _many_files(tmp_path: Path, count: int) -> Path:
    files = {f"data/f{i:03d}.bin": bytes([i % 256]) * 8 for i in range(count)}
    return make_release(tmp_path / "many", files, license="CC-BY-NC-4.0")


def test_a_release_of_many_not_open_files_gets_a_summary(tmp_path: Path) -> None:
    release = _many_files(tmp_path, MAX_LISTED + 3)
    report = validate(release, Options(workers=1))
    not_open = [f for f in report.findings if f.code == "openness.not-open"]
    assert len(not_open) == 1
    assert not_open[0].data["count"] == MAX_LISTED + 3
    data = json.loads(json.dumps(report.to_dict()))
    assert data["omitted"] == {"/formats": 3, "/verdicts/open-source/artifacts": 3}
    assert list(schema.validator("report").iter_errors(data)) == []


def test_detail_reports_every_info_and_every_entry(tmp_path: Path) -> None:
    release = _many_files(tmp_path, MAX_LISTED + 3)
    report = validate(release, Options(workers=1, detail=True))
    assert sum(f.code == "openness.not-open" for f in report.findings) == MAX_LISTED + 3
    data = report.to_dict()
    assert "omitted" not in data
    assert len(data["formats"]) == MAX_LISTED + 3
    assert list(schema.validator("report").iter_errors(json.loads(json.dumps(data)))) == []
