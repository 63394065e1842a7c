"""The licences check: SPDX expressions, known and deprecated ids, missing licences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable.checks import licenses
from rebuildable.checks.licenses import REPLACEMENTS, _catalogue, analyze
from rebuildable.engine import validate
from rebuildable.report import Report
from tests.support import make_release, read_manifest, write_manifest


@pytest.mark.parametrize(
    "expression",
    ["MIT", "mit", "Apache-2.0", "MIT OR Apache-2.0", "MIT and Apache-2.0",
     "(MIT OR Apache-2.0) AND BSD-3-Clause", "Apache-2.0 WITH LLVM-exception",
     "GPL-2.0-or-later WITH Classpath-exception-2.0 OR MIT", "LicenseRef-my-own",
     "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "Apache-1.0+", "CC-BY-4.0",
     "((MIT))", "CC0-1.0 OR (CC-BY-SA-4.0 AND LicenseRef-x)", "MIT WITH AdditionRef-x"],
)
def test_valid_expressions(expression: str) -> None:
    info = analyze(expression)
    assert info.valid, info.error
    assert not info.unknown
    assert not info.deprecated


@pytest.mark.parametrize(
    ("expression", "reason"),
    [("", "empty"), ("   ", "empty"), ("MIT AND", "requires"), ("AND MIT", ""),
     ("(MIT", ""), ("MIT)", "parenthesis"), ("()", "empty parentheses"),
     ("Apache 2.0", "operator"), ("MIT/Apache-2.0", "not a licence identifier"),
     ("MIT, Apache-2.0", "not a licence identifier"), ("MIT And BSD-3-Clause", "'AND' or 'and'"),
     ("MIT (Apache-2.0)", "operator is missing"), ("Classpath-exception-2.0", "exception"),
     ("Classpath-exception-2.0 WITH MIT", "exception"), ("MIT WITH Apache-2.0", "not an exception"),
     ("(MIT OR Apache-2.0) WITH LLVM-exception", ""), ("MIT WITH", ""),
     ("LicenseRef-x+", "'+'"), ("GPL-2.0-only WITH Classpath-exception-2.0+", "'+'"),
     ("MIT OR OR Apache-2.0", ""), ("MIT WITH LicenseRef-x", "not an exception"),
     ("AdditionRef-x", "exception")],
)
def test_invalid_expressions(expression: str, reason: str) -> None:
    info = analyze(expression)
    assert not info.valid
    assert info.error is not None
    assert reason in info.error


def test_unknown_and_deprecated_ids() -> None:
    info = analyze("Foo-1.0 OR GPL-2.0+ OR gpl-3.0 OR NOASSERTION")
    assert info.valid
    assert info.unknown == ("Foo-1.0", "NOASSERTION")
    assert dict(info.deprecated) == {"GPL-2.0+": "GPL-2.0-or-later", "GPL-3.0": "GPL-3.0-only"}


def test_every_deprecated_id_of_the_list_is_reported() -> None:
    deprecated = _catalogue().deprecated.values()
    assert {"GPL-2.0", "GPL-2.0+", "LGPL-2.1", "eCos-2.0", "wxWindows"} <= set(deprecated)
    for ident in deprecated:
        expr = ident if "exception" not in ident.lower() else f"LGPL-2.1-only WITH {ident}"
        if ident.startswith("GPL-") and ident.endswith("-exception"):
            expr = ident  # the deprecated 'GPL-2.0-with-...-exception' ids are licences
        info = analyze(expr)
        assert info.valid, (ident, info.error)
        assert ident in dict(info.deprecated), ident


def test_replacements_name_current_ids() -> None:
    cat = _catalogue()
    for old, new in REPLACEMENTS.items():
        assert old.lower() in cat.deprecated, old
        for ident in re.findall(r"[A-Za-z0-9.+-]+", new):
            if ident not in ("or", "WITH"):
                assert ident.lower() in cat.licenses or ident.lower() in cat.exceptions, ident
                assert ident.lower() not in cat.deprecated, ident


def test_canonical_spelling() -> None:
    assert analyze("apache-2.0 OR mit").canonical == ("Apache-2.0", "MIT")


def test_analysis_is_cached() -> None:
    assert analyze("MIT OR Zlib") is analyze("MIT OR Zlib")


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="MITAND OR()+-.WHa/,", max_size=30))
def test_analyze_never_raises(expression: str) -> None:
    info = analyze(expression)
    assert info.valid or info.error


# ------------------------------------------------------------------ through the engine


def _license_findings(report: Report) -> list[tuple[str, str | None, str | None]]:
    return sorted((f.code, f.artifact, f.location.pointer if f.location else None)
                  for f in report.findings if f.code.startswith("license."))


def _release(tmp_path: Path, release_license: str | None,
             artifact_licenses: dict[str, str | None]) -> Path:
    files = {name: name.encode() for name in artifact_licenses}
    root = make_release(tmp_path, files)
    data = read_manifest(root)
    if release_license is None:
        data.pop("license")
    else:
        data["license"] = release_license
    for art in data["artifacts"]:
        lic = artifact_licenses[art["path"]]
        if lic is not None:
            art["license"] = lic
    write_manifest(root / "rebuild.yaml", data)
    return root


def test_findings_are_located_at_the_field(tmp_path: Path) -> None:
    root = _release(tmp_path, "Apache 2.0", {"a": "GPL-2.0", "b": "Foo", "c": None})
    report = validate(root)
    assert _license_findings(report) == [
        ("license.deprecated-id", "a", "/artifacts/0/license"),
        ("license.invalid", None, "/license"),
        ("license.unknown-id", "b", "/artifacts/1/license"),
    ]
    invalid = next(f for f in report.findings if f.code == "license.invalid")
    assert invalid.location is not None
    assert invalid.location.line == 4
    assert not report.ok


def test_missing_licence_only_without_release_licence(tmp_path: Path) -> None:
    report = validate(_release(tmp_path, None, {"a": "MIT", "b": None}))
    assert _license_findings(report) == [("license.missing", "b", "/artifacts/1")]
    assert report.ok  # a warning


def test_release_licence_covers_artifacts(tmp_path: Path) -> None:
    report = validate(_release(tmp_path, "MIT", {"a": None, "b": None}))
    assert _license_findings(report) == []


def test_many_artifacts_share_one_expression(tmp_path: Path) -> None:
    n = 300
    report = validate(_release(tmp_path, None, {f"f{i}": "Foo-1.0" for i in range(n)}))
    found = [f for f in report.findings if f.code == "license.unknown-id"]
    # one per field for the first 20, then one that counts the rest
    assert len(found) == 21
    assert found[-1].data["more"] == n - 20
    assert len(found[-1].data["artifacts"]) == n - 20


@pytest.mark.parametrize("token", ["MIT", "mit", "GPL-2.0+", "Classpath-exception-2.0",
                                   "Classpath-exception-2.0+", "LicenseRef-acme", "Not-A-Licence"])
def test_one_id_is_judged_as_the_expression_parser_would(token: str) -> None:
    # analyze() skips the parser for a lone id (start-up): its verdict must be the parser's
    ids, _raw, placeholder = licenses._placeholders(token, [token])
    kinds = {i: licenses._kind(ident) for i, ident in enumerate(ids)}
    parsed = licenses._structure_parser().parse(" ".join(placeholder))
    assert analyze(token).error == licenses._with_error(parsed, ids, kinds)
