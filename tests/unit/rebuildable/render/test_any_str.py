"""Every renderer writes any str (issue 9: a lone surrogate in rebuild.json crashed them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable.cli import cli
from rebuildable.cli.common import note
from rebuildable.findings import Finding, Location, Severity
from rebuildable.rebuild_records import SegmentRef, StepRecord
from rebuildable.render import FORMATS, render
from rebuildable.report import ReleaseInfo, Report
from rebuildable.sections import MofVerdict, OpenSourceVerdict, Rebuild, Verdict, Verdicts
from tests.support.hostile_releases import lone_surrogate_json

#: any str, lone surrogates included (st.text never makes them, so lists of characters)
ANY_TEXT = st.lists(st.one_of(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                              st.characters(exclude_categories=())), max_size=12).map("".join)


@pytest.mark.parametrize("fmt", FORMATS)
def test_lone_surrogate_manifest_is_a_finding_in_every_format(tmp_path: Path, fmt: str) -> None:
    root = lone_surrogate_json(tmp_path / "rel")
    result = CliRunner().invoke(cli, ["validate", str(root), "--format", fmt],
                                catch_exceptions=False)
    out = result.stdout_bytes.decode("utf-8")  # strict: no surrogate reached the output
    assert result.exit_code == 1, out + result.stderr
    assert "internal error" not in result.stderr
    if fmt == "json":
        codes = [(f["code"], (f["location"] or {}).get("pointer"))
                 for f in json.loads(out)["findings"]]
        assert ("load.encoding", "/name") in codes
        assert ("load.encoding", "/artifacts/0/path") in codes
    elif fmt == "sarif":
        assert any(r["ruleId"] == "load.encoding" for r in json.loads(out)["runs"][0]["results"])
    else:
        assert "load.encoding" in out
        assert "\\ud800" in out


@settings(max_examples=40, deadline=None)
@given(ANY_TEXT, ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_every_renderer_encodes_any_str(message: str, ident: str, hint: str,
                                        value: str) -> None:
    f = Finding(code="integrity.missing", severity=Severity.ERROR, message=message,
                artifact=ident or None, step=None, upstream=None,
                location=Location(value or "rebuild.yaml", 1, 1, "/" + ident), hint=hint,
                data={value: [message], "k": value})
    report = Report(ReleaseInfo(ident, value, "rebuild.yaml"), [f],
                    sections={"verdicts": Verdicts(
                                  Verdict(True), Verdict(True, [value]),
                                  OpenSourceVerdict(True, False, [value], value),
                                  {}, mof=MofVerdict(value, name=value)),
                              "rebuild": Rebuild(refused=False, validation={}, steps=[
                                  StepRecord(ident, "failed", value, {}, segment=SegmentRef(
                                      0, value, ident, value))])})
    for fmt in FORMATS:
        for color in (False, True):
            text = render(report, fmt, color=color, base=value + "/")
            text.encode("utf-8")  # strict
            if fmt != "text":
                json.loads(text)


def test_cli_notes_write_any_str(capsys: pytest.CaptureFixture[str]) -> None:
    note("cannot read a\udc80.txt\n  x\ud800")
    err = capsys.readouterr().err
    err.encode("utf-8")
    assert "a\\udc80.txt" in err
