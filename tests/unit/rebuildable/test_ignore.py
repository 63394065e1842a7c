"""``.rebuildignore`` patterns come from the release: matching them must take time linear
in the path, in validation and in ``init`` alike (a backtracking engine spends minutes on
``*a*a*a*a*b`` against a long name)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rebuildable import api, ignore
from rebuildable.engine import validate
from tests.support import codes, make_release

#: a pattern of many '*' runs, and a name that makes a backtracking engine try them all
REDOS_PATTERN = "*a" * 12 + "*b"
LONG_NAME = "a" * 250


def redos_release(root: Path) -> Path:
    make_release(root, {"README.txt": b"hello\n"})
    (root / ".rebuildignore").write_text(f"{REDOS_PATTERN}\n*.log\n")
    for i in range(20):
        (root / f"{LONG_NAME[:-2]}{i:02d}").write_bytes(b"x")
    (root / "debug.log").write_bytes(b"log")
    return root


def test_the_linear_time_engine_is_the_one_in_use() -> None:
    # google-re2 is a dependency: without it, the fallback refuses complex patterns.
    assert ignore.BACKEND == "re2"


def test_validation_matches_a_redos_pattern_in_bounded_time(tmp_path: Path) -> None:
    root = redos_release(tmp_path / "r")
    start = time.perf_counter()
    report = validate(root)
    elapsed = time.perf_counter() - start
    # Measured: well under a second; a backtracking engine needs hours for these 20
    # names (about 3 s for one 255-byte name with four '*' runs, x255 per extra run).
    assert elapsed < 10, elapsed
    found = codes(report)
    assert found.count("unlisted.file") == 20  # the long names match nothing
    assert "debug.log" not in " ".join(f.message for f in report.findings)


def test_init_matches_a_redos_pattern_in_bounded_time(tmp_path: Path) -> None:
    root = redos_release(tmp_path / "r")
    (root / "rebuild.yaml").unlink()
    start = time.perf_counter()
    draft = api.draft(root)
    assert time.perf_counter() - start < 10
    assert "debug.log" not in draft.text
    assert LONG_NAME[:-2] + "00" in draft.text


def test_without_re2_a_pattern_of_many_wildcards_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fallback when google-re2 cannot be installed: bound the pattern instead.
    monkeypatch.setattr(ignore, "BACKEND", "simple")
    parsed = ignore.parse_ignore(f"{REDOS_PATTERN}\n**/*.pyc\n".encode())
    assert [number for number, _ in parsed.problems] == [1]
    assert parsed.spec is not None
    assert parsed.spec.match_file("x/y.pyc")
    report = validate(redos_release(tmp_path / "r"))
    assert "unlisted.bad-ignore-pattern" in codes(report)


def test_an_overlong_pattern_line_is_refused() -> None:
    parsed = ignore.parse_ignore(b"x" * 5000 + b"\n*.tmp\n")
    assert [number for number, _ in parsed.problems] == [1]
    assert parsed.spec is not None
    assert parsed.spec.match_file("a.tmp")


def test_gitignore_semantics_are_kept() -> None:
    parsed = ignore.parse_ignore(b"build/\n*.pyc\n!keep.pyc\n/top.txt\n# comment\n")
    spec = parsed.spec
    assert parsed.problems == []
    assert spec is not None
    assert spec.match_file("build/out.o")
    assert spec.match_file("a/b/c.pyc")
    assert not spec.match_file("keep.pyc")
    assert spec.match_file("top.txt")
    assert not spec.match_file("sub/top.txt")


#: a thousand patterns that each compile, and together exceed RE2's memory budget: the
#: set failed to compile inside validation and init ("internal error: failed to compile Set")
HEAVY_IGNORE = "\n".join(f"*a{i}*b{i}*c{i}" + "x" * 900 for i in range(1000)) + "\n"


def test_patterns_too_complex_together_are_a_finding_in_validation(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"README.txt": b"hello\n"})
    (root / ".rebuildignore").write_text(HEAVY_IGNORE)
    report = validate(root)
    assert "internal.error" not in codes(report)
    bad = [f for f in report.findings if f.code == "unlisted.bad-ignore-pattern"]
    assert bad
    assert "too complex" in bad[0].message


def test_patterns_too_complex_together_stop_init_with_a_message(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "a.txt").write_text("a\n")
    (root / ".rebuildignore").write_text(HEAVY_IGNORE)
    with pytest.raises(api.RebuildableError, match="too complex"):
        api.draft(root)


def test_a_file_of_too_many_patterns_is_refused_before_compiling_any() -> None:
    start = time.perf_counter()
    parsed = ignore.parse_ignore(
        "\n".join(f"d{i}/*.t{i}" for i in range(ignore.MAX_PATTERNS + 1)).encode())
    # Measured: a few milliseconds (compiling them took about 2 s, then failed).
    assert time.perf_counter() - start < 1
    assert parsed.spec is None
    assert "more than" in parsed.problems[0][1]
    assert ignore.parse_ignore(b"# only comments\n" * 10_000).spec is not None
