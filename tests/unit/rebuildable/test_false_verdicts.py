"""Verdicts that hand-built releases got out of the validator and must not (issue 9).

Each test feeds one named hostile release (tests/support/hostile_releases.py) and checks
the verdict it used to get wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rebuildable.api import Options, validate
from rebuildable.openness.licences import OpennessStatus, classify
from tests.support.hostile_releases import licence_with_unlisted_addition


def test_with_an_addition_ref_is_not_open_source(tmp_path: Path) -> None:
    report = validate(licence_with_unlisted_addition(tmp_path / "rel"),
                      Options(require=frozenset({"open-source"})))
    verdicts = report.to_dict()["verdicts"]
    assert verdicts["complete"]["ok"] is True  # the release is fine but for its licence
    assert verdicts["open-source"]["ok"] is False
    assert any(f.code == "openness.not-open" for f in report.findings)
    assert not report.ok


@pytest.mark.parametrize(("expression", "status"), [
    ("MIT WITH AdditionRef-NonCommercial", OpennessStatus.UNKNOWN),
    ("MIT WITH Made-up-exception", OpennessStatus.UNKNOWN),  # on no list
    ("CC-BY-NC-4.0 WITH AdditionRef-x", OpennessStatus.NOT_OPEN),  # least open of the two
    ("MIT OR (Apache-2.0 WITH AdditionRef-x)", OpennessStatus.OPEN),  # MIT is a choice
    ("Apache-2.0 WITH LLVM-exception", OpennessStatus.OPEN),  # listed: adds permissions
    ("GPL-2.0-only WITH Classpath-exception-2.0", OpennessStatus.OPEN),
])
def test_with_judges_the_addition(expression: str, status: OpennessStatus) -> None:
    assert classify(expression).status is status
