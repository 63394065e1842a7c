"""The test suite's own rules: a missing corpus skips locally and fails in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebuildable.findings import Finding, Severity, finding
from tests.support import codes, corpus


@pytest.fixture
def no_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus, "CORPUS", tmp_path / "absent")


@pytest.mark.usefixtures("no_corpus")
@pytest.mark.parametrize("ci", ["", "false"])
def test_missing_corpus_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception):
        corpus.corpus_file("layered/x.psd")
    with pytest.raises(pytest.skip.Exception):
        corpus.require_corpus()


@pytest.mark.usefixtures("no_corpus")
@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_corpus_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        corpus.corpus_file("layered/x.psd")
    with pytest.raises(pytest.fail.Exception):
        corpus.corpus_dir("layered")


def test_codes_keeps_one_entry_per_finding_and_filters() -> None:
    def f(code: str, severity: Severity) -> Finding:
        return finding(code, "m", severity=severity)

    found = [f("integrity.digest-mismatch", Severity.ERROR), f("unlisted.file", Severity.WARNING),
             f("integrity.digest-mismatch", Severity.ERROR), f("completeness.summary",
                                                               Severity.INFO)]
    assert codes(found) == ["completeness.summary", "integrity.digest-mismatch",
                            "integrity.digest-mismatch", "unlisted.file"]
    assert codes(found, Severity.WARNING) == ["unlisted.file"]
    assert codes(found, "error", prefix="integrity.") == ["integrity.digest-mismatch"] * 2


def test_the_support_package_loads_no_implementation() -> None:
    # vector generators use tests.support; they must not import what they write vectors for
    import subprocess
    import sys

    code = ("import sys, tests.support, tests.support.releases; "
            "print(sorted(m for m in sys.modules if m.startswith('rebuildable')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
