"""No two places of one report disagree (issue 9, item 8, the whole population).

A report says the same thing in many places: ``ok`` and ``counts`` beside the findings,
the verdicts section beside the findings that sum it up (``completeness.summary``,
``openness.verdict``, ``sig.verified``), the signatures section, the text report's
verdict lines and last line, the SARIF log's levels and ``ok``, and the command's exit
code. For random releases (missing files, dangling and upstream references, folded
infos, strict mode, signatures good, tampered or unchecked) every pair must agree.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from rebuildable.api import Options, sign, validate
from rebuildable.checks.openness import COMPLETE_PREFIXES, INTACT_PREFIXES
from rebuildable.cli import cli
from rebuildable.render import render
from tests.support.random_releases import build, report_cases
from tests.support.signing import key

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_TEXT_VERDICTS = re.compile(r"^verdicts: intact (yes|NO), complete (yes|NO), "
                            r"open source (yes|NO)", re.MULTILINE)
_TEXT_COUNTS = re.compile(r"(\d+) errors?, (\d+) warnings?(?:, (\d+) info)?")


def _prepare(root: Path, spec: dict[str, Any]) -> tuple[Path, Options, list[str]]:
    """The release on disk, the options the API gets and the CLI flags that match."""
    build(root, spec)
    keys: tuple[bytes, ...] = ()
    flags = ["--strict"] if spec["strict"] else []
    if spec["signature"] != "none":
        sign(root, key("alice"), force=True)
        if spec["signature"] == "tampered":
            manifest = root / "rebuild.yaml"
            manifest.write_text(manifest.read_text().replace("version: 1.0.0",
                                                             "version: 1.0.1"))
        if spec["signature"] != "unchecked":
            pub = root.parent / "alice.pub"
            pub.write_bytes(key("alice").public.pem())
            keys = (pub.read_bytes(),)
            flags += ["--key", str(pub)]
    return root, Options(strict=spec["strict"], keys=keys), flags


def _assert_json_agrees(data: dict[str, Any]) -> None:
    counts = data["counts"]
    for severity, n in counts.items():
        assert n == sum(1 for f in data["findings"] if f["severity"] == severity), severity
    assert data["ok"] is (counts["error"] == 0 and not (data["strict"] and counts["warning"]))
    codes = [f["code"] for f in data["findings"]]
    errors = [f["code"] for f in data["findings"] if f["severity"] == "error"]
    verdicts = data["verdicts"]
    assert verdicts["intact"]["ok"] is not any(c.startswith(INTACT_PREFIXES) for c in errors)
    assert verdicts["complete"]["ok"] is not any(
        c.startswith(COMPLETE_PREFIXES) and not c.startswith(INTACT_PREFIXES) for c in errors)
    (summary,) = [f for f in data["findings"] if f["code"] == "completeness.summary"]
    assert summary["data"]["complete"] is verdicts["complete"]["ok"]
    (openness,) = [f for f in data["findings"] if f["code"] == "openness.verdict"]
    assert openness["data"]["ok"] is verdicts["open-source"]["ok"]
    assert openness["message"].startswith("the release is open source") is \
        verdicts["open-source"]["ok"]
    signatures = data.get("signatures")
    if signatures is not None and signatures.get("checked"):
        verified = signatures["verified"]
        assert ("sig.verified" in codes) is verified
        # SIG-20: a check that ends unverified says so with an error
        assert verified or any(c.startswith("sig.") for c in errors)
        if verified:
            assert not any(c.startswith("sig.") for c in errors)


def _assert_text_agrees(text: str, data: dict[str, Any]) -> None:
    last = text.rstrip().splitlines()[-1]
    assert last.startswith("OK " if data["ok"] else "FAIL "), last
    found = _TEXT_COUNTS.search(last)
    assert found is not None, last
    errors, warnings, infos = (int(x) if x else 0 for x in found.groups())
    assert (errors, warnings, infos) == (data["counts"]["error"], data["counts"]["warning"],
                                         data["counts"]["info"])
    said = _TEXT_VERDICTS.search(text)
    assert said is not None
    verdicts = data["verdicts"]
    assert [w == "yes" for w in said.groups()] == [
        verdicts["intact"]["ok"], verdicts["complete"]["ok"], verdicts["open-source"]["ok"]]
    signatures = data.get("signatures") or {}
    line = re.search(r"^signatures: (yes|NO)", text, re.MULTILINE)
    assert (line is not None) is bool(signatures.get("checked"))
    if line is not None:
        assert (line.group(1) == "yes") is signatures["verified"]


def _assert_sarif_agrees(sarif: dict[str, Any], data: dict[str, Any]) -> None:
    run = sarif["runs"][0]
    assert run["properties"]["ok"] is data["ok"]
    results = run["results"]
    assert len(results) == len(data["findings"])
    for severity, level in _LEVEL.items():
        assert sum(r["level"] == level for r in results) == data["counts"][severity]
    assert sorted(r["ruleId"] for r in results) == sorted(f["code"] for f in data["findings"])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(report_cases())
def test_every_place_of_a_report_says_the_same(spec: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, options, flags = _prepare(Path(tmp) / "rel", spec)
        report = validate(root, options)
        data = json.loads(render(report, "json"))
        _assert_json_agrees(data)
        _assert_text_agrees(render(report, "text"), data)
        _assert_sarif_agrees(json.loads(render(report, "sarif")), data)
        # the command: its exit code, and the same report on stdout
        result = CliRunner().invoke(cli, ["validate", str(root), "--format", "json", *flags])
        assert result.exit_code == (0 if data["ok"] else 1), result.output
        assert json.loads(result.stdout)["counts"] == data["counts"]
