"""Report sections: typed data whose ``to_dict`` keeps the JSON reports have always had
(key order included: the golden reports pin it), read back with ``Report.section``."""

from __future__ import annotations

from rebuildable.openness import (
    ArtifactOpenness,
    Judgement,
    MofComponent,
    OpennessStatus,
    OsaidAssessment,
    OsaidElement,
)
from rebuildable.report import ReleaseInfo, Report
from rebuildable.schema import validator
from rebuildable.sections import (
    Formats,
    Keyless,
    LicenceCount,
    MofVerdict,
    OpenSourceVerdict,
    PolicyOutcome,
    Rebuild,
    Signatures,
    UpstreamVerdict,
    Verdict,
    Verdicts,
)

REPORT = validator("report")


def _report(**sections: object) -> Report:
    return Report(ReleaseInfo("r", "1", "rebuild.yaml"), sections=dict(sections))  # type: ignore[arg-type]


def test_an_unchecked_envelope_is_only_mentioned() -> None:
    section = Signatures("rebuild.dsse.json", checked=False)
    assert list(section.to_dict()) == ["envelope", "verified", "checked"]


def test_a_checked_envelope_lists_what_was_found_in_the_order_it_was_found() -> None:
    section = Signatures("rebuild.dsse.json", checked=True, policy={"threshold": 1},
                         payload_type="application/vnd.in-toto+json", signature_count=1,
                         outcome=PolicyOutcome(True, ["k"], 0, [], [], []),
                         predicate_matches=True, subjects_match=True, verified=True)
    assert list(section.to_dict()) == [
        "envelope", "checked", "verified", "policy", "payloadType", "signature_count",
        "policy_holds", "verified_keys", "missing", "signers", "checks", "violations",
        "predicate_matches", "subjects_match"]
    assert section.verified_keys == ["k"]
    assert section.missing == 0


def test_a_refused_rebuild_has_its_validation_and_no_steps() -> None:
    data = Rebuild(refused=True, validation={"ok": False}).to_dict()
    assert data == {"refused": True, "validation": {"ok": False}, "steps": []}


def test_a_run_puts_the_validation_last_and_the_sample_only_when_sampled() -> None:
    run = Rebuild(refused=False, validation={"ok": True}, isolation={"method": "none"})
    assert list(run.to_dict())[-1] == "validation"
    assert "sample" not in run.to_dict()
    run.sample = {"seed": 1}
    assert list(run.to_dict())[-2:] == ["sample", "validation"]


def test_verdicts_outside_a_model_profile_say_mof_does_not_apply() -> None:
    verdicts = Verdicts(Verdict(True), Verdict(True),
                        OpenSourceVerdict(True, False, [], "SPDX License List 3.25"),
                        {"base": UpstreamVerdict("valid", "up/rebuild.yaml", "ab",
                                                 release=("base", "1"), counts={"error": 0},
                                                 open_source=True)})
    data = verdicts.to_dict()
    assert data["mof"] == {"class": None, "applicable": False, "components": {}}
    assert "osaid" not in data
    assert "rebuildable" not in data
    assert list(data["upstream"]["base"]) == ["status", "source", "sha256", "name", "version",
                                              "counts", "open-source"]


def test_every_section_fits_the_report_schema() -> None:
    report = _report(
        verdicts=Verdicts(Verdict(True), Verdict(False, ["x"]),
                          OpenSourceVerdict(False, True, ["y"], "SPDX License List 3.25"), {},
                          mof=MofVerdict(None, name=None, next="Class III",
                                         missing_for_next=["Model architecture"],
                                         framework="MOF")),
        signatures=Signatures("rebuild.dsse.json", checked=False),
        keyless=Keyless("rebuild.sigstore.json", "me@example.org", "https://issuer",
                        "production", False),
        formats=Formats({"w": {"path": "w.bin", "format": "npy", "family": "tensor",
                               "layered": False, "layers": None, "details": {},
                               "problems": [], "warnings": [], "notes": []}}),
        rebuild=Rebuild(refused=True, validation={"ok": True, "counts": {}, "errors": []}))
    REPORT.validate(report.to_dict())


def test_a_section_is_read_back_by_its_type() -> None:
    run = Rebuild(refused=True, validation={})
    report = _report(rebuild=run)
    assert report.section(Rebuild) is run
    assert report.section(Verdicts) is None


def test_the_typed_openness_records_fit_the_schema_in_the_reports_key_order() -> None:
    weights = ArtifactOpenness("w", "model/w.bin", "weights", "CC-BY-NC-4.0",
                               Judgement(OpennessStatus.NOT_OPEN, ("non-commercial",)),
                               OpennessStatus.NOT_OPEN, ["data"])
    element = OsaidElement(present=True, open=False, artifacts=["w"])
    verdicts = Verdicts(
        Verdict(True), Verdict(True),
        OpenSourceVerdict(False, False, ["w"], "SPDX License List 3.25",
                          artifacts={"w": weights},
                          licences={"CC-BY-NC-4.0": LicenceCount("not-open", 1)}),
        {}, mof=MofVerdict(None, name=None, next="Class III",
                           missing_for_next=["Model parameters (final)"], framework="MOF",
                           components={"model-parameters": MofComponent(
                               "Model parameters (final)", "III", True, False, ["w"])}),
        osaid=OsaidAssessment(element, element, element))
    data = verdicts.to_dict()
    REPORT.validate(_report(verdicts=verdicts).to_dict())
    assert list(data["open-source"]["artifacts"]["w"]) == [
        "name", "kind", "license", "status", "reasons", "effective", "because"]
    assert data["open-source"]["licences"] == {"CC-BY-NC-4.0": {"status": "not-open",
                                                                "count": 1}}
    assert data["mof"]["components"]["model-parameters"] == {
        "title": "Model parameters (final)", "class": "III", "present": True, "open": False,
        "artifacts": ["w"]}
    assert list(data["osaid"]) == ["definition", "ok", "data-information", "code",
                                   "parameters"]
    assert data["osaid"]["ok"] is False
