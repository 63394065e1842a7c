"""The README's console snippets are what the tool prints (issue 9: the quick start showed
1 warning / 5 info where the run gives 0 / 4, and `init my-model` ran on a folder the
README never made).

Two kinds of blocks are run: the `rebuildable validate` snippets, from the repository
root, and the `init`/`hash` walk-through, whose commands (mkdir and printf included) run
in order with bash in an empty folder. Every output line a snippet shows, except `...`,
must appear in the real output, in order.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def _blocks() -> list[list[tuple[str, list[str]]]]:
    """Each console block as (command, shown output lines) pairs."""
    out = []
    for body in BLOCK.findall(README.read_text("utf-8")):
        pairs: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                pairs.append((line[2:], []))
            elif pairs:
                pairs[-1][1].append(line)
        out.append(pairs)
    return out


def _shown_in_order(shown: list[str], actual: str) -> None:
    lines = actual.splitlines()
    at = 0
    for want in (w for w in shown if w.strip() and w.strip() != "..."):
        while at < len(lines) and lines[at].rstrip() != want.rstrip():
            at += 1
        assert at < len(lines), f"README shows {want!r}, the tool printed:\n{actual}"
        at += 1


def _env() -> dict[str, str]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(command: str, cwd: Path) -> str:
    done = subprocess.run(["bash", "-c", command + " 2>&1"], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    return done.stdout


VALIDATE = [(cmd, shown) for block in _blocks() for cmd, shown in block
            if cmd.startswith("rebuildable validate ") and shown
            and (ROOT / cmd.split()[2]).exists()]


@pytest.mark.parametrize(("command", "shown"), VALIDATE, ids=[c for c, _ in VALIDATE])
def test_validate_snippets_print_what_the_readme_shows(command: str, shown: list[str]) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not here")
    _shown_in_order(shown, _run(command, ROOT))


def test_the_init_walk_through_runs_as_written(tmp_path: Path) -> None:
    walk = [block for block in _blocks()
            if any(cmd.startswith("rebuildable init my-model") for cmd, _ in block)]
    hashes = [block for block in _blocks()
              if any(cmd.startswith("rebuildable hash my-model") for cmd, _ in block)]
    assert walk, "README has no `rebuildable init my-model` walk-through"
    assert any(cmd.startswith("mkdir") for cmd, _ in walk[0]), \
        "the walk-through must make the folder it initialises"
    for block in walk + hashes:
        for command, shown in block:
            _shown_in_order(shown, _run(command, tmp_path))
