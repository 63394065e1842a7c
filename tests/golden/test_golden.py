"""Golden reports: `rebuildable validate` on fixed releases, compared byte for byte.

When a report changes on purpose, run ``python tests/golden/regenerate.py`` and review
``git diff tests/golden/expected``. Exit codes are the contract and live in
``tests/golden/cases.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuildable import schema
from tests.golden import regenerate
from tests.golden.cases import CASES, EXPECTED, Case, expected_path, run_case, scratch

PARAMS = [pytest.param(case, fmt, id=f"{case.name}-{fmt}")
          for case in CASES for fmt in case.formats]
STALE = "golden file {} is stale: run `python tests/golden/regenerate.py` and review the diff"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with scratch(tmp_path_factory.mktemp("golden")) as path:
        yield path


@pytest.mark.parametrize(("case", "fmt"), PARAMS)
def test_golden_report(workdir: Path, case: Case, fmt: str) -> None:
    code, text, stderr = run_case(case, fmt)
    assert code == case.exit_code, text
    if fmt in ("json", "sarif"):
        assert stderr == ""  # nothing but the document, and on stdout
    path = expected_path(case, fmt)
    assert path.exists(), STALE.format(path.name)
    assert text == path.read_text(encoding="utf-8"), STALE.format(path.name)


@pytest.mark.parametrize("case", [c for c in CASES if "json" in c.formats], ids=lambda c: c.name)
def test_golden_json_follows_the_report_schema(case: Case) -> None:
    data = json.loads(expected_path(case, "json").read_text(encoding="utf-8"))
    assert list(schema.validator("report").iter_errors(data)) == []
    assert data["ok"] is (case.exit_code == 0)


def test_golden_text_has_no_colour() -> None:
    for path in EXPECTED.glob("*.txt"):
        assert "\x1b[" not in path.read_text(encoding="utf-8"), path.name


def test_no_orphan_golden_files() -> None:
    wanted = {expected_path(case, fmt) for case in CASES for fmt in case.formats}
    assert set(EXPECTED.iterdir()) == wanted


def test_regenerate_check_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert regenerate.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
