"""SARIF 2.1.0 output: the required structure, one rule per code, located results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from rebuildable.codes import CODES
from rebuildable.findings import Location, finding
from rebuildable.render._places import ArchivePlace
from rebuildable.render.sarif import help_uri, render_sarif, to_sarif
from rebuildable.report import Report
from tests.support.render_samples import clean_report, fatal_report, sample_report

# The parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json) that our logs
# use, with the same required properties, types and enums as the official schema.
_MESSAGE = {"type": "object", "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1}}}
SARIF_SUBSET: dict[str, Any] = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "tool": {"type": "object", "required": ["driver"], "properties": {
                    "driver": {"type": "object", "required": ["name"], "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "informationUri": {"type": "string", "format": "uri"},
                        "rules": {"type": "array", "items": {
                            "type": "object", "required": ["id"],
                            "properties": {
                                "id": {"type": "string"},
                                "shortDescription": _MESSAGE,
                                "help": _MESSAGE,
                                "helpUri": {"type": "string", "format": "uri"},
                                "defaultConfiguration": {"type": "object", "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]}}},
                            }}},
                    }}}},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"],
                    "properties": {"executionSuccessful": {"type": "boolean"}}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": _MESSAGE,
                        "partialFingerprints": {"type": "object",
                                                "additionalProperties": {"type": "string"}},
                        "locations": {"type": "array", "items": {"type": "object", "properties": {
                            "physicalLocation": {
                                "type": "object",
                                "anyOf": [{"required": ["address"]},
                                          {"required": ["artifactLocation"]}],
                                "properties": {
                                    "artifactLocation": {"type": "object", "properties": {
                                        "uri": {"type": "string", "format": "uri-reference"}}},
                                    "region": {"type": "object", "properties": {
                                        "startLine": {"type": "integer", "minimum": 1},
                                        "startColumn": {"type": "integer", "minimum": 1}}},
                                }},
                            "logicalLocations": {"type": "array", "items": {
                                "type": "object", "properties": {
                                    "name": {"type": "string"}, "kind": {"type": "string"}}}},
                        }}},
                        "properties": {"type": "object"},
                    }}},
            }}},
    },
}


@pytest.mark.parametrize("report", [sample_report(), clean_report(), fatal_report()],
                         ids=["sample", "clean", "fatal"])
def test_sarif_has_the_required_structure(report: Report) -> None:
    log = json.loads(render_sarif(report))
    validator = jsonschema.Draft202012Validator(
        SARIF_SUBSET, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert sorted(validator.iter_errors(log), key=str) == []
    assert log == to_sarif(report)


def test_one_rule_per_code_with_title_and_help_uri() -> None:
    report = sample_report()
    run = to_sarif(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f.code for f in report.findings})
    for rule in rules:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]].title
        assert rule["helpUri"] == help_uri(rule["id"])
        assert rule["helpUri"].endswith(f"codes.md#{rule['id']}")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_are_located_in_the_manifest_with_mapped_levels() -> None:
    run = to_sarif(sample_report())["runs"][0]
    by_code = {r["ruleId"]: r for r in run["results"]}
    digest = by_code["integrity.digest-mismatch"]
    assert digest["level"] == "error"
    physical = digest["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "rebuild.yaml"},
                        "region": {"startLine": 14, "startColumn": 7}}
    assert digest["locations"][0]["logicalLocations"] == [{"name": "weights",
                                                           "kind": "artifact"}]
    assert digest["properties"]["pointer"] == "/artifacts/2/digest"
    assert by_code["unlisted.file"]["level"] == "warning"
    # No place of its own: the top of the manifest (code scanning refuses a result
    # without a physical location).
    assert by_code["unlisted.file"]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "rebuild.yaml"}, "region": {"startLine": 1}}
    assert by_code["integrity.no-size"]["level"] == "note"
    assert len(run["results"]) == len(sample_report().findings)


def test_fatal_report_marks_the_invocation_unsuccessful() -> None:
    run = to_sarif(fatal_report())["runs"][0]
    assert run["invocations"] == [{"executionSuccessful": False}]
    assert run["results"][0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "dist"}, "region": {"startLine": 1}}
    assert to_sarif(clean_report())["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_fingerprints_are_stable_and_distinct() -> None:
    first = to_sarif(sample_report())["runs"][0]["results"]
    again = to_sarif(sample_report())["runs"][0]["results"]
    prints = [r["partialFingerprints"]["rebuildableFinding/v1"] for r in first]
    assert prints == [r["partialFingerprints"]["rebuildableFinding/v1"] for r in again]
    assert len(set(prints)) == len(prints)
    assert to_sarif(sample_report())["runs"][0]["columnKind"] == "unicodeCodePoints"


def test_base_prefixes_every_place_in_the_release() -> None:
    """URIs are relative to the working folder (the repository root) for every file of
    the release, the envelope and unlisted files too, never only for the manifest."""
    report = sample_report()
    report.findings.append(finding("sig.invalid", "no signature verifies",
                                   location=Location("rebuild.dsse.json", None, None,
                                                     "/signatures")))
    report.findings.append(finding("unlisted.file", "stray.txt is not listed",
                                   location=Location("stray.txt")))
    run = to_sarif(report, base="releases/model/")["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]}
    assert uris == {"releases/model/rebuild.yaml", "releases/model/rebuild.dsse.json",
                    "releases/model/stray.txt"}
    fatal = to_sarif(fatal_report(), base="x/")["runs"][0]["results"][0]
    assert fatal["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dist"
    policy = Report(report.release, [finding("sig.bad-policy", "bad",
                                             location=Location("trust.yaml", from_cwd=True))])
    result = to_sarif(policy, base="x/")["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "trust.yaml"


def test_every_result_has_a_physical_location_and_every_rule_full_help() -> None:
    for report in (sample_report(), clean_report(), fatal_report()):
        run = to_sarif(report, base="rel/")["runs"][0]
        for result in run["results"]:
            assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for rule in run["tool"]["driver"]["rules"]:
            assert rule["fullDescription"]["text"]
            assert rule["help"]["text"]
            assert rule["help"]["markdown"]


def _uris(log: dict[str, Any]) -> list[str]:
    return [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]]


def test_uris_are_percent_encoded_and_absolute_places_file_uris() -> None:
    """A file name with a space, '#', '%', '?' or 'é' is no URI as it stands (the
    multitool's SARIF1002); a release outside the working folder is named absolutely,
    as a file: URI, never as '../' (no place in a repository)."""
    report = sample_report()
    report.findings[:] = [finding("unlisted.file", "odd", location=Location("a b#1%?é.txt"))]
    assert _uris(to_sarif(report, base="rel/")) == ["rel/a%20b%231%25%3F%C3%A9.txt"]
    assert _uris(to_sarif(report, base="/srv/my rel/")) == [
        "file:///srv/my%20rel/a%20b%231%25%3F%C3%A9.txt"]
    assert _uris(to_sarif(report, base="C:/work/rel/")) == [
        "file:///C:/work/rel/a%20b%231%25%3F%C3%A9.txt"]
    # a name that is not UTF-8 on disk keeps its bytes; a lone surrogate never crashes
    report.findings[:] = [finding("unlisted.file", "odd", location=Location("x\udcff"))]
    assert _uris(to_sarif(report, base="")) == ["x%FF"]
    report.findings[:] = [finding("unlisted.file", "odd", location=Location("x\ud800"))]
    assert _uris(to_sarif(report, base="")) == ["x%ED%A0%80"]


def test_a_place_the_user_named_above_the_working_folder_is_absolute(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`--trust ../policy.yaml`: a relative '../' URI names nothing in a repository, so
    it is given as the file: URI of the file it names (as a release outside is)."""
    work = tmp_path / "repo" / "ci"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    report = sample_report()
    report.findings[:] = [
        finding("sig.bad-key", "bad", location=Location("../p.yaml", from_cwd=True)),
        finding("sig.bad-key", "bad", location=Location("x/../../q r.yaml", from_cwd=True)),
        finding("sig.bad-key", "bad", location=Location("./s.yaml", from_cwd=True))]
    root = (tmp_path / "repo").as_posix()
    assert sorted(_uris(to_sarif(report, base="rel/"))) == sorted([
        f"file://{root}/p.yaml", f"file://{root}/q%20r.yaml", "./s.yaml"])


def test_places_in_an_archive_are_the_archive() -> None:
    """The archive is the one file of the repository a place inside it can be: each
    result sits at its top, and the message says where in the member."""
    report = sample_report()
    report.findings[:] = [
        finding("integrity.size-mismatch", "too big", location=Location("rebuild.yaml", 12, 5)),
        finding("release.archive-link", "dist/r.tgz: a link", location=Location("dist/r.tgz")),
        finding("completeness.summary", "complete"),
        finding("sig.bad-policy", "bad", location=Location("trust.yaml", from_cwd=True)),
    ]
    def by_code(log: dict[str, Any], part: str) -> dict[str, Any]:
        results = log["runs"][0]["results"]
        if part == "uri":
            return {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    for r in results}
        if part == "region":
            return {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"] for r in results}
        return {r["ruleId"]: r["message"]["text"].split(" (hint: ")[0] for r in results}

    log = to_sarif(report, archive=ArchivePlace("dist/r.tgz", "dist/r.tgz"))
    assert by_code(log, "uri") == {
        "integrity.size-mismatch": "dist/r.tgz", "release.archive-link": "dist/r.tgz",
        "completeness.summary": "dist/r.tgz", "sig.bad-policy": "trust.yaml"}
    assert by_code(log, "text") == {
        "integrity.size-mismatch": "too big (at rebuild.yaml:12:5 in dist/r.tgz)",
        "release.archive-link": "dist/r.tgz: a link", "completeness.summary": "complete",
        "sig.bad-policy": "bad"}
    assert by_code(log, "region")["integrity.size-mismatch"] == {"startLine": 1}
    beside = to_sarif(report, archive=ArchivePlace("../r.tgz", "/srv/r.tgz"))
    assert by_code(beside, "uri")["integrity.size-mismatch"] == "file:///srv/r.tgz"
    assert by_code(beside, "text")["integrity.size-mismatch"] == (
        "too big (at rebuild.yaml:12:5 in ../r.tgz)")
