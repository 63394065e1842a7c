"""The pre-commit hook, run by the real `pre-commit` tool: `pre-commit try-repo` installs
the hook from a git copy of this project into its own virtualenv (with the machine's
package index, as pip is configured here) and runs it on a release in another
repository: it passes on a good release and fails on a tampered one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import make_release

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))

pytestmark = pytest.mark.skipif(not Path(PRE_COMMIT).exists() or shutil.which("git") is None,
                                reason="pre-commit (test extra) and git are needed")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
                   cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy of what pip needs to install the project (symlinks resolved)."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "src", repo / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hook")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(project: Path, hook_repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([PRE_COMMIT, "try-repo", str(hook_repo), "rebuildable-validate",
                           "--all-files", "--color", "never"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900, check=False)


def test_hook_definition() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["rebuildable-validate"]
    assert hooks[0]["entry"].startswith("rebuildable validate")


def test_try_repo_passes_good_and_fails_tampered(tmp_path: Path, hook_repo: Path,
                                                 pre_commit_home: Path) -> None:
    project = make_release(tmp_path / "project", {"src/main.c": b"int main(void){return 0;}\n",
                                                  "README.md": b"# demo\n"},
                           kinds={"src/main.c": "source-code", "README.md": "document"})
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "release")
    good = try_repo(project, hook_repo, pre_commit_home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "rebuildable validate" in good.stdout
    assert "Passed" in good.stdout

    (project / "src" / "main.c").write_bytes(b"int main(void){return 1;}\n")
    git(project, "add", "-A")
    tampered = try_repo(project, hook_repo, pre_commit_home)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert "Failed" in tampered.stdout
    assert "integrity.digest-mismatch" in tampered.stdout
