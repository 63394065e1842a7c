"""The text renderer: grouping, every finding's parts, the verdict line, colour."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable.codes import CODES
from rebuildable.findings import Location, finding
from rebuildable.render import render
from rebuildable.render.text import render_text, safe
from rebuildable.report import ReleaseInfo, Report
from tests.support.render_samples import (
    clean_report,
    fatal_report,
    sample_report,
    warning_report,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_groups_artifacts_then_steps_then_upstreams_then_release() -> None:
    text = render_text(sample_report())
    headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert headings == [
        "artifact train-code", "artifact weights", "step train", "upstream base", "release",
        "FAIL tiny-sentiment 1.2.0: 4 errors, 2 warnings, 1 info",
    ]


def test_every_finding_shows_severity_code_message_location_and_hint() -> None:
    text = render_text(sample_report())
    assert ("  error    integrity.digest-mismatch  digest mismatch for "
            "model/weights.safetensors") in text
    assert "           at rebuild.yaml:14:7 (/artifacts/2/digest)" in text
    # the registry's hint is shown under the finding that has one
    hint = CODES["unlisted.file"].hint
    assert hint is not None
    assert f"           hint: {hint}" in text


def test_within_a_group_errors_come_before_warnings_and_notes() -> None:
    text = render_text(sample_report())
    block = text.split("artifact weights\n")[1].split("\n\n")[0]
    assert block.index("integrity.digest-mismatch") < block.index("integrity.no-size")


def test_a_finding_about_a_step_and_an_upstream_names_both() -> None:
    report = Report(ReleaseInfo("x", "1", "rebuild.yaml"), [
        finding("refs.dangling-input", "input 'base:w' names no artifact of upstream 'base'",
                step="train", upstream="base"),
    ])
    lines = render_text(report).splitlines()
    assert lines[0] == "step train"
    assert "refs.dangling-input" in lines[1]
    assert lines[2] == "           upstream base"


def test_verdict_lines() -> None:
    assert render_text(clean_report()).splitlines()[-1] == (
        "OK tiny-sentiment 1.2.0: 0 errors, 0 warnings, 1 info")
    assert render_text(warning_report()).splitlines()[-1] == (
        "OK tiny-sentiment 1.2.0: 0 errors, 1 warning")
    assert render_text(warning_report(strict=True)).splitlines()[-1] == (
        "FAIL tiny-sentiment 1.2.0: 0 errors, 1 warning (strict: warnings count as errors)")
    assert render_text(fatal_report()).splitlines()[-1] == (
        "FAIL release: could not be read; 1 error, 0 warnings")


def test_no_colour_unless_asked() -> None:
    plain = render_text(sample_report())
    assert "\x1b[" not in plain
    coloured = render_text(sample_report(), color=True)
    assert "\x1b[" in coloured
    # colour changes the styling, never the text
    assert ANSI.sub("", coloured) == plain


def test_markup_in_messages_is_printed_literally() -> None:
    report = Report(ReleaseInfo("x", "1", "rebuild.yaml"), [
        finding("unlisted.file", "[red]notes[/red] and [bold]x is not listed"),
    ])
    assert "[red]notes[/red] and [bold]x is not listed" in render_text(report, color=True)


def test_long_messages_are_not_wrapped() -> None:
    message = "a" * 300
    report = Report(ReleaseInfo("x", "1", "rebuild.yaml"), [finding("unlisted.file", message)])
    assert f"unlisted.file  {message}\n" in render_text(report)


def test_registry_dispatch() -> None:
    assert render(sample_report(), "text") == render_text(sample_report())


_codes = st.sampled_from(sorted(CODES))
_names = st.none() | st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
_messages = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Zl", "Zp")),
                    min_size=1, max_size=40).filter(lambda s: s.strip() == s and s != "")


@st.composite
def _reports(draw: st.DrawFn) -> Report:
    findings = []
    for _ in range(draw(st.integers(0, 8))):
        line = draw(st.none() | st.integers(1, 500))
        location = None if line is None else Location("rebuild.yaml", line, 1, "/x")
        findings.append(finding(draw(_codes), draw(_messages), artifact=draw(_names),
                                step=draw(_names), upstream=draw(_names), location=location))
    return Report(ReleaseInfo("r", "1", "rebuild.yaml"), findings, strict=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(_reports())
def test_every_finding_is_rendered_once_and_the_verdict_counts_them(report: Report) -> None:
    text = render_text(report)
    lines = text.splitlines()
    finding_lines = [line for line in lines if re.match(r"  (error|warning|info) +\S", line)]
    assert len(finding_lines) == len(report.findings)
    for f in report.findings:
        assert any(f"{f.severity.value:<8} {f.code}  {safe(f.message)}" in line for line in lines)
    verdict = lines[-1]
    assert verdict.startswith("OK " if report.ok else "FAIL ")
    counts = report.counts
    assert f"{counts['error']} error" in verdict
    assert f"{counts['warning']} warning" in verdict


def test_base_makes_manifest_places_relative_to_the_working_folder() -> None:
    text = render_text(sample_report(), base="releases/model/")
    assert "at releases/model/rebuild.yaml:14:7 (/artifacts/2/digest)" in text
    assert "at rebuild.yaml:" not in text
    assert render_text(sample_report(), base="") == render_text(sample_report())


def test_hostile_names_cannot_drive_the_terminal() -> None:
    report = Report(ReleaseInfo("evil\x1b]0;pwned\x07", "1", "rebuild.yaml"), [
        finding("unlisted.file", "\x1b[2J\x1b[31mfake OK\r\nOK all good \u202egnp.exe",
                artifact="a\x1bb", location=Location("x\x1b[8m.txt", 1, 1, "/a\x9b")),
    ])
    for color in (False, True):
        text = render_text(report, color=color)
        stripped = ANSI.sub("", text)
        assert "\x1b" not in stripped
        assert "\u202e" not in text
        assert "\x9b" not in text
        assert "\\x1b[2J" in stripped
        assert "\\u202egnp.exe" in stripped
        # one finding stays on one line
        assert sum("unlisted.file" in line for line in stripped.splitlines()) == 1


def test_sections_are_summed_up_before_the_verdict() -> None:
    from rebuildable.rebuild_records import StepRecord
    from rebuildable.render.text import render_text as _render
    from rebuildable.report import ReleaseInfo as _Info
    from rebuildable.report import Report as _Report
    from rebuildable.sections import (
        OpenSourceVerdict,
        PolicyOutcome,
        Rebuild,
        Signatures,
        Verdict,
        Verdicts,
    )

    isolation = {"method": "unshare", "network": False, "readonly_system": False,
                 "timeout": 5.0}
    report = _Report(_Info("r", "1", "rebuild.yaml"), sections={
        "verdicts": Verdicts(Verdict(True), Verdict(False, ["x"]),
                             OpenSourceVerdict(False, False, ["y"], "SPDX"), {}),
        "signatures": Signatures("rebuild.dsse.json", checked=True,
                                 outcome=PolicyOutcome(False, [], 2, [], [], [])),
        "rebuild": Rebuild(refused=False, validation={}, isolation=isolation,
                           steps=[StepRecord("train", "reproduced", None, isolation),
                                  StepRecord("eval", "failed", None,
                                             {**isolation, "method": "none",
                                              "network": True})]),
    })
    lines = _render(report).splitlines()
    assert "verdicts: intact yes, complete NO, open source NO" in lines
    assert "signatures: NO 0 trusted key(s) verified, 2 more needed" in lines
    assert "isolation: unshare (network blocked, writable system, timeout 5 s)" in lines
    assert "  step train: reproduced" in lines
    assert ("  step eval: failed, isolation none (network OPEN, writable system, timeout 5 s)"
            in lines)
    assert lines[-1].startswith("OK r 1")
