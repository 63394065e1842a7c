"""Outside tools from the npm registry that interop tests run: the SARIF multitool and
sigstore-js, pinned in ``tests/support/npm/package-lock.json``.

``.ci/run`` installs them (``npm ci``); a test that needs them installs them itself when
npm is here, is skipped locally when npm is not, and fails under ``CI=true``.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

from tests.support.corpus import corpus_required as in_ci

__all__ = ["NPM_DIR", "node", "node_modules", "sarif_multitool"]

NPM_DIR = Path(__file__).resolve().parent / "npm"


def _unavailable(why: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"{why}; CI=true requires it (.ci/run installs it)", pytrace=False)
    pytest.skip(why)


def node_modules() -> Path:
    """The installed ``node_modules`` folder (installed now if missing)."""
    modules = NPM_DIR / "node_modules"
    if (modules / ".package-lock.json").is_file():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed")
    # --ignore-scripts: the one install script (a chmod) is done below, by us.
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                          cwd=NPM_DIR, capture_output=True, text=True, timeout=600,
                          check=False)
    if done.returncode != 0:
        _unavailable(f"npm ci failed: {done.stderr.strip()[-500:]}")
    return modules


def node() -> str:
    found = shutil.which("node")
    if found is None:
        _unavailable("node is not installed")
    return found


def sarif_multitool() -> Path:
    """The SARIF multitool's executable for this platform."""
    found = sorted(node_modules().glob("@microsoft/sarif-multitool-*/Sarif.Multitool"))
    if not found:
        _unavailable("the SARIF multitool has no build for this platform")
    tool = found[0]
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool
