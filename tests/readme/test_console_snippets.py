"""The README's console snippets are what the tool prints (issue 9: the quick start showed
1 warning / 5 info where the run gives 0 / 4, and `init my-model` ran on a folder the
README never made).

Every console block is accounted for: the `rebuildable validate` and `rebuild` snippets on
a release of this repository run from the repository root (options before the release
too: the openness snippet showed 8 info where the run gives 9 because it was skipped);
the `init`/`hash` walk-through runs in order with bash in an empty folder (mkdir and
printf included); the `update` snippet must be the software tutorial's (which
docs/generate.py runs for real); the rest show no output, or need a server or a dataset
the test cannot have (listed in NOT_RUN). Every output line a snippet shows, except
`...`, must appear in the real output, in order, the summary line with its counts
included; a line ending in `...` matches as a prefix, and a float written with an
exponent matches any such float (a numeric rebuild's differences change from run to run).
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


_FLOAT = re.compile(r"[0-9]+(\.[0-9]+)?e[-+][0-9]+")


def _same(want: str, line: str) -> bool:
    want, line = _FLOAT.sub("<float>", want.rstrip()), _FLOAT.sub("<float>", line.rstrip())
    if want.endswith(" ...") or want.endswith("..."):
        return line.startswith(want.removesuffix("...").rstrip()) and want.strip() != "..."
    return line == want


def _shown_in_order(shown: list[str], actual: str) -> None:
    lines = actual.splitlines()
    at = 0
    for want in (w for w in shown if w.strip() and w.strip() != "..."):
        while at < len(lines) and not _same(want, lines[at]):
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


def _on_this_repository(command: str) -> bool:
    """A validate or rebuild snippet whose release is a folder of this repository."""
    words = command.split()
    return words[1] in ("validate", "rebuild") and any(
        not w.startswith("-") and (ROOT / w).is_dir() for w in words[2:])


RUN_HERE = [(cmd, shown) for block in _blocks() for cmd, shown in block
            if cmd.startswith("rebuildable ") and shown and _on_this_repository(cmd)]
#: the commands whose output the README shows but no test can produce here, and why
NOT_RUN = {
    "rebuildable serve --data ./registry": "a server",
    "rebuildable publish release/ --registry http://127.0.0.1:8080 --namespace demo":
        "a running registry",
    "rebuildable validate --fetch my-dataset": "an S3 dataset (illustration)",
}


@pytest.mark.parametrize(("command", "shown"), RUN_HERE, ids=[c for c, _ in RUN_HERE])
def test_snippets_print_what_the_readme_shows(command: str, shown: list[str]) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not here")
    if command.startswith("rebuildable rebuild "):
        # the snippet shows a bwrap sandbox and a numeric policy (the numeric extra)
        pytest.importorskip("numpy")
        if shutil.which("bwrap") is None:
            pytest.skip("bubblewrap is not here (.ci/run installs it)")
    _shown_in_order(shown, _run(command, ROOT))


def test_every_snippet_with_output_is_checked() -> None:
    """A console block that shows output is run above, or is the tutorial's, or is in
    NOT_RUN: a new snippet cannot drift unseen."""
    checked = {cmd for cmd, _ in RUN_HERE}
    for block in _blocks():
        if any(cmd.startswith(("rebuildable init my-model", "rebuildable hash my-model"))
               for cmd, _ in block):
            continue  # the walk-through, run whole below
        for command, shown in block:
            if not [w for w in shown if w.strip()] or command in checked \
                    or command.startswith("rebuildable update hello"):  # the tutorial's
                continue
            assert command in NOT_RUN, f"README shows output of {command!r}, which no test runs"


def test_the_update_snippet_is_the_tutorials() -> None:
    """The README's `update` output comes from the software tutorial, which
    docs/generate.py runs for real (tests/spec/test_docs.py keeps it fresh)."""
    tutorial = (ROOT / "docs" / "tutorial-software.md").read_text("utf-8")
    (shown,) = [shown for block in _blocks() for cmd, shown in block
                if cmd.startswith("rebuildable update hello")]
    assert [w for w in shown if w.strip()]
    _shown_in_order(shown, tutorial)


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
