"""SARIF that GitHub code scanning accepts (issue 9): every log `rebuildable` writes passes
the SARIF multitool's validation with GitHub's rules (``--rule-kind Sarif;Gh;Ghas``).

Code scanning refused our logs: results without ``locations`` (the summaries, in every
log), file URIs relative to the release instead of the repository root, rebuild results
with only logical locations, rules without ``fullDescription`` and ``help``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from tests.golden.cases import CASES, run_case, scratch
from tests.support.npm_tools import sarif_multitool
from tests.support.releases import make_release

SARIF_CASES = [c for c in CASES if c.exit_code != 2] + [c for c in CASES if c.exit_code == 2]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with scratch(tmp_path_factory.mktemp("sarif-gh")) as path:
        yield path


def _problems(tool: Path, log: Path) -> list[str]:
    """What the multitool reports (errors and warnings), one line each."""
    out = log.with_suffix(".validation.sarif")
    done = subprocess.run([str(tool), "validate", "--rule-kind", "Sarif;Gh;Ghas",
                           "--output", str(out), str(log)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert out.is_file(), done.stdout + done.stderr
    results: list[dict[str, Any]] = json.loads(out.read_text("utf-8"))["runs"][0].get(
        "results", [])
    return [f"{r['ruleId']} {r.get('level', 'warning')}: {r['message'].get('text', '')}"
            for r in results if r.get("level", "warning") in ("error", "warning")]


@pytest.mark.parametrize("case", SARIF_CASES, ids=lambda c: c.name)
def test_validate_sarif_passes_githubs_rules(workdir: Path, case: Any) -> None:
    tool = sarif_multitool()
    code, text, _ = run_case(case, "sarif")
    assert code == case.exit_code
    log = workdir / f"{case.name}.sarif"
    log.write_text(text, encoding="utf-8")
    # The golden copies carry a placeholder version; a real log carries a real one.
    data = json.loads(text)
    data["runs"][0]["tool"]["driver"]["version"] = "0.1.0"
    log.write_text(json.dumps(data), encoding="utf-8")
    assert _problems(tool, log) == []
    # Every file URI resolves from the working folder (the repository root).
    for result in data["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        if case.exit_code != 2 and not case.target.endswith((".tar", ".tar.gz", ".zip")):
            assert (workdir / uri).exists() or "missing" in result["ruleId"] \
                or result["ruleId"].startswith(("integrity.", "path.", "completeness.")), uri


def test_rebuild_sarif_passes_githubs_rules(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild log (results about steps, with no place in the manifest of their own)."""
    tool = sarif_multitool()
    make_release(tmp_path / "rel", {"in.txt": b"a\n", "out.txt": b"not what it makes\n"},
                        [{"id": "copy", "run": "cp in.txt out.txt", "inputs": ["in.txt"],
                          "outputs": ["out.txt"]}], ids={"in.txt": "in", "out.txt": "out"})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["rebuild", "rel", "--format", "sarif",
                                      "--isolation", "none"], catch_exceptions=False)
    data = json.loads(result.stdout)
    assert data["runs"][0]["results"]
    for r in data["runs"][0]["results"]:
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("rel/")
    log = tmp_path / "rebuild.sarif"
    log.write_text(result.stdout, encoding="utf-8")
    assert _problems(tool, log) == []
