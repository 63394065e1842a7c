"""[PY-1]: a step that runs Python names its environment, or the software and ml-model
profiles warn; which commands run Python is read from the command's words alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebuildable.engine import validate
from rebuildable.findings import Severity
from rebuildable.profiles.python_commands import python_command
from tests.support import make_release


@pytest.mark.parametrize(("command", "word"), [
    ("python3 build.py", "python3"),
    ("python -m pytest -q", "python"),
    ("/usr/local/bin/python3.12 train.py", "python3.12"),
    ("pypy3 x.py", "pypy3"),
    ("pip3 install --no-index .", "pip3"),
    ("pytest tests", "pytest"),
    ("py.test", "py.test"),
    ("uv run train.py", "uv"),
    ("poetry run python x", "poetry"),
    ("./train.py --epochs 2", "train.py"),
    ("FOO=1 BAR='a b' python3 x", "python3"),
    ("env -i HOME=/x PATH=/bin python3 x", "python3"),
    ("nice -n 10 nohup time python3 x", "python3"),
    ("exec python3 x", "python3"),
    ("cd src && python3 -m zipfile -c ../a.zip .", "python3"),
    ("make all; pytest", "pytest"),
    ("cat a | python3 -c 'import sys'", "python3"),
    ("(cd a || exit 1) && pip install .", "pip"),
    ("make\npython3 x.py", "python3"),
    ("make \\\n  && python3 x.py", "python3"),
    ("sh -c 'python3 x.py'", "python3"),
    ("bash -euc \"cd x; uv pip sync pylock.toml\"", "uv"),
    ("python3 'unbalanced", "python3"),
])
def test_commands_that_run_python(command: str, word: str) -> None:
    assert python_command(command) == word


@pytest.mark.parametrize("command", [
    "make", "sh build.sh", "cc -o hello src/main.c", "echo python3", "echo 'a; python3 x'",
    "pythonic --version", "python3-config --libs", "cp train.py out/", "rsvg-convert a > b.png",
    "bash build.sh", "sh -c 'make all'", "", "FOO=python3 make", "nice -n 10",
])
def test_commands_that_do_not(command: str) -> None:
    assert python_command(command) is None


def _release(root: Path, step: dict[str, object], profile: str,
             files: dict[str, bytes] | None = None) -> Path:
    base = {"src/app.py": b"print(1)\n", "dist/app.pyz": b"PK\x05\x06" + b"\0" * 18,
            **(files or {})}
    kinds = {"src/app.py": "source-code", "dist/app.pyz": "binary", "pylock.toml": "environment"}
    return make_release(root, base, [{"id": "build", "inputs": ["src-app.py"],
                                      "outputs": ["dist-app.pyz"], **step}],
                        kinds=kinds, ids={"src/app.py": "src-app.py",
                                          "dist/app.pyz": "dist-app.pyz", "pylock.toml": "lock"},
                        profile=profile)


LOCK = b'lock-version = "1.0"\ncreated-by = "hand"\npackages = []\n'


@pytest.mark.parametrize("profile", ["software", "ml-model"])
def test_a_python_step_without_environment_is_a_warning(tmp_path: Path, profile: str) -> None:
    root = _release(tmp_path / "r", {"run": "python3 -m zipapp src -o dist/app.pyz"}, profile)
    found = [f for f in validate(root).findings
             if f.code == "profile.python-without-environment"]
    assert len(found) == 1
    assert found[0].severity is Severity.WARNING
    assert found[0].step == "build"
    assert found[0].data["requirement"] == "PY-1"
    assert found[0].data["command"] == "python3"
    assert "python3" in found[0].message
    assert found[0].location is not None
    assert found[0].location.pointer == "/steps/0/run"


def test_one_finding_per_step_and_no_note_besides(tmp_path: Path) -> None:
    root = _release(tmp_path / "r", {"run": "python3 -m zipapp src -o dist/app.pyz"},
                    "software")
    root_codes = [f.code for f in validate(root).findings if f.code.startswith("profile.")]
    assert root_codes == ["profile.python-without-environment"]
    # both profiles share the rule: still one finding
    both = make_release(tmp_path / "b", {"a.py": b"1\n"}, [
        {"id": "s", "run": "python3 a.py", "inputs": ["a.py"], "outputs": []}],
        profile=["software", "ml-model"])
    assert [f.code for f in validate(both).findings
            if f.code == "profile.python-without-environment"] == [
        "profile.python-without-environment"]


def test_a_named_environment_silences_it(tmp_path: Path) -> None:
    root = _release(tmp_path / "r", {"run": "python3 -m zipapp src -o dist/app.pyz",
                                     "environment": "lock"}, "software",
                    {"pylock.toml": LOCK})
    assert not [f for f in validate(root).findings if f.code.startswith("profile.")]


def test_a_lock_only_among_the_inputs_is_named_in_the_hint(tmp_path: Path) -> None:
    root = _release(tmp_path / "r", {"run": "python3 -m zipapp src -o dist/app.pyz",
                                     "inputs": ["src-app.py", "lock"]}, "software",
                    {"pylock.toml": LOCK})
    found = next(f for f in validate(root).findings
                 if f.code == "profile.python-without-environment")
    assert found.hint is not None
    assert "'lock'" in found.hint
    assert "environment" in found.hint


@pytest.mark.parametrize("profile", ["dataset", "artwork", "generic"])
def test_other_profiles_do_not_apply_it(tmp_path: Path, profile: str) -> None:
    root = _release(tmp_path / "r", {"run": "python3 -m zipapp src -o dist/app.pyz"}, profile)
    assert "profile.python-without-environment" not in {f.code for f in validate(root).findings}
