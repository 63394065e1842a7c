"""The GitHub Action and the GitLab CI template: their YAML checked by `check-jsonschema`
against the schemas it vendors (SchemaStore's github-action and gitlab-ci schemas), and
their shell scripts run for real on a good and a tampered release."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import make_release

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
GITLAB = ROOT / "ci" / "rebuildable.gitlab-ci.yml"
BIN = Path(sys.executable).parent


def check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    tool = BIN / "check-jsonschema"
    if not tool.exists():
        pytest.skip("check-jsonschema (test extra) is not installed")
    return subprocess.run([str(tool), *args], capture_output=True, text=True, check=False)


def test_action_matches_the_github_action_schema(tmp_path: Path) -> None:
    ok = check_jsonschema("--builtin-schema", "vendor.github-actions", str(ACTION))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    broken["runs"]["using"] = "bash"
    (tmp_path / "action.yml").write_text(yaml.safe_dump(broken))
    bad = check_jsonschema("--builtin-schema", "vendor.github-actions",
                           str(tmp_path / "action.yml"))
    assert bad.returncode == 1


def test_gitlab_template_matches_the_gitlab_ci_schema(tmp_path: Path) -> None:
    ok = check_jsonschema("--builtin-schema", "vendor.gitlab-ci", "--data-transform",
                          "gitlab-ci", str(GITLAB))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    broken["rebuildable-validate"]["artifacts"]["when"] = "sometimes"
    (tmp_path / "ci.yml").write_text(yaml.safe_dump(broken))
    bad = check_jsonschema("--builtin-schema", "vendor.gitlab-ci", "--data-transform",
                           "gitlab-ci", str(tmp_path / "ci.yml"))
    assert bad.returncode == 1


def _releases(tmp_path: Path) -> tuple[Path, Path]:
    files = {"src/main.c": b"int main(void){return 0;}\n"}
    good = make_release(tmp_path / "good", files, kinds={"src/main.c": "source-code"})
    bad = make_release(tmp_path / "bad", files, kinds={"src/main.c": "source-code"})
    (bad / "src" / "main.c").write_bytes(b"tampered\n")
    return good, bad


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed")
def test_action_validate_step_runs(tmp_path: Path) -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "validate")
    script = tmp_path / "validate.sh"
    script.write_text(step["run"])
    good, bad = _releases(tmp_path)
    for release, code in ((good, "0"), (bad, "1")):
        out = tmp_path / f"{release.name}.out"
        sarif = tmp_path / f"{release.name}.sarif"
        env = _env(RELEASE=str(release), STRICT="false", KEYS="", THRESHOLD="", TRUST="",
                   REQUIRE="", EXTRA="", SARIF=str(sarif), GITHUB_OUTPUT=str(out))
        run = subprocess.run(["bash", "-eo", "pipefail", str(script)], env=env, cwd=tmp_path,
                             capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        assert out.read_text() == f"exit-code={code}\n"
        assert json.loads(sarif.read_text())["version"] == "2.1.0"
        if code == "1":
            assert "::error file=" in run.stdout
            assert "integrity.digest-mismatch" in run.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed")
def test_gitlab_job_script_runs(tmp_path: Path) -> None:
    job = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))["rebuildable-validate"]
    script = "\n".join(job["script"])
    good, bad = _releases(tmp_path)
    for release, code in ((good, 0), (bad, 1)):
        run = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True,
                             text=True, check=False,
                             env=_env(REBUILDABLE_RELEASE=str(release), REBUILDABLE_ARGS=""))
        assert run.returncode == code, run.stdout + run.stderr
        report = json.loads((tmp_path / "rebuildable-report.json").read_text())
        assert report["ok"] is (code == 0)
        assert ("FAIL" if code else "ok") in run.stdout
