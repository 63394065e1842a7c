"""The paths check: unsafe, unportable, duplicate, colliding and non-regular paths."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from rebuildable.checks.paths import (
    collision_key,
    portability_problem,
    syntax_problems,
)
from rebuildable.engine import Options, validate
from rebuildable.findings import Finding
from rebuildable.report import Report
from rebuildable.uris import uri_problem
from tests.support import make_release, read_manifest, sha256_hex, write_manifest
from tests.support.hostile import hostile_paths

STRUCTURE = Options(hash_files=False)


def path_findings(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.code.startswith("path.")]


def with_paths(tmp_path: Path, paths: list[str], files: dict[str, bytes] | None = None) -> Path:
    """A release whose artifacts name ``paths`` (files need not exist)."""
    root = make_release(tmp_path / "r", files or {"ok.txt": b"ok"})
    data = read_manifest(root)
    for i, path in enumerate(paths):
        data["artifacts"].append({"id": f"a{i}", "path": path, "kind": "other",
                                  "digest": {"sha256": sha256_hex(b"")}})
    write_manifest(root / "rebuild.yaml", data)
    return root


@pytest.mark.parametrize(("path", "code"), [
    ("/etc/passwd", "path.absolute"),
    ("C:/Windows/x.dll", "path.absolute"),
    ("c:relative", "path.absolute"),
    ("../outside", "path.escapes"),
    ("a/../../b", "path.escapes"),
    ("a\\b.txt", "path.backslash"),
    ("a//b", "path.empty-segment"),
    ("./a", "path.empty-segment"),
    ("a/./b", "path.empty-segment"),
    ("dir/", "path.empty-segment"),
    (".", "path.empty-segment"),
    ("a\x00b", "path.control-character"),
    ("a\nb", "path.control-character"),
    ("a\x7fb", "path.control-character"),
    ("x" * 256, "path.too-long"),
    ("/".join(["abcdefgh"] * 500), "path.too-long"),
    ("e\u0301.txt", "path.not-nfc"),
    ("rebuild.yaml", "path.reserved"),
    ("rebuild.dsse.json", "path.reserved"),
    ("Rebuild.YAML", "path.reserved"),
])
def test_bad_path_is_an_error_located_at_the_path(tmp_path: Path, path: str, code: str) -> None:
    root = with_paths(tmp_path, [path])
    report = validate(root, STRUCTURE)
    found = [f for f in path_findings(report) if f.artifact == "a0"]
    assert code in {f.code for f in found}, found
    hit = next(f for f in found if f.code == code)
    assert hit.severity.value == "error"
    assert hit.location is not None
    assert hit.location.pointer == "/artifacts/1/path"
    assert hit.location.line is not None
    assert not report.ok
    # an unusable path is not reported again by the integrity check
    assert not [f for f in report.findings if f.artifact == "a0" and f.code == "integrity.missing"]


def test_good_paths_pass(tmp_path: Path) -> None:
    files = {"src/ünïcode/naïve.py": b"x", "a b/c-d_e.f": b"y", ".hidden/x": b"z"}
    assert validate(make_release(tmp_path / "r", files)).ok


def test_duplicate_paths(tmp_path: Path) -> None:
    root = with_paths(tmp_path, ["ok.txt"])
    found = path_findings(validate(root, STRUCTURE))
    assert [(f.code, f.artifact) for f in found] == [("path.duplicate", "a0")]


def test_nfc_nfd_collision(tmp_path: Path) -> None:
    nfc = unicodedata.normalize("NFC", "café.txt")
    nfd = unicodedata.normalize("NFD", "café.txt")
    root = with_paths(tmp_path, [nfc, nfd])
    codes = {(f.code, f.artifact) for f in path_findings(validate(root, STRUCTURE))}
    assert ("path.not-nfc", "a1") in codes  # the NFD one is refused outright


def test_case_collision(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"README.md": b"a", "readme.md": b"b"})
    found = path_findings(validate(root))
    assert [f.code for f in found] == ["path.collision"]
    assert found[0].data["other"] == "readme.md"


def test_collision_key_folds_case_and_normalisation() -> None:
    assert collision_key("A/É") == collision_key("a/e\u0301")
    assert collision_key("Straße") == collision_key("STRASSE")


def test_symlink_in_folder_to_outside(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"secret")
    root = with_paths(tmp_path, ["link"])
    (root / "link").symlink_to(tmp_path / "secret")
    report = validate(root)
    found = path_findings(report)
    assert [(f.code, f.artifact) for f in found] == [("path.symlink", "a0")]
    assert str(tmp_path / "secret") in found[0].message
    assert "integrity.digest-mismatch" not in {f.code for f in report.findings}


def test_symlinked_folder_along_the_path(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "f.txt").write_bytes(b"")
    root = with_paths(tmp_path, ["dir/f.txt"])
    (root / "dir").symlink_to(tmp_path / "elsewhere")
    found = path_findings(validate(root))
    assert [(f.code, f.artifact) for f in found] == [("path.symlink", "a0")]


def test_symlink_loop(tmp_path: Path) -> None:
    root = with_paths(tmp_path, ["loop", "loop/inner"])
    (root / "loop").symlink_to("loop")
    report = validate(root)
    assert {(f.code, f.artifact) for f in path_findings(report)} == {
        ("path.symlink", "a0"), ("path.symlink", "a1")}


def test_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    root = with_paths(tmp_path, ["pipe"])
    os.mkfifo(root / "pipe")
    report = validate(root)  # must not block on the FIFO
    assert [(f.code, f.artifact) for f in path_findings(report)] == [("path.not-regular", "a0")]


def test_directory_is_not_a_regular_file(tmp_path: Path) -> None:
    root = with_paths(tmp_path, ["sub"])
    (root / "sub").mkdir()
    assert [f.code for f in path_findings(validate(root))] == ["path.not-regular"]


def test_hard_link_is_a_warning(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.bin": b"data"})
    os.link(root / "a.bin", tmp_path / "other-name")
    report = validate(root)
    found = path_findings(report)
    assert [(f.code, f.severity.value) for f in found] == [("path.hardlink", "warning")]
    assert report.ok


def test_not_portable_path_is_a_warning(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"aux.txt": b"a", "what?.txt": b"b", "dot.": b"c"})
    found = path_findings(validate(root))
    assert [f.code for f in found] == ["path.not-portable"] * 3
    assert all(f.severity.value == "warning" for f in found)


@pytest.mark.parametrize(("uri", "bad"), [
    ("https://data.example.org/corpus.parquet", False),
    ("s3://bucket/key", False),
    ("urn:sha256:abc", False),
    ("https://example.org/a%20b", False),
    ("data/corpus.parquet", True),
    ("//example.org/x", True),
    ("https:/example.org/x", True),
    ("https://example.org/a b", True),
    ("https://example.org/%zz", True),
    ("https://exämple.org/", True),
    ("HTTPS://data.example.org/x", False),
    ("ftp://host/a%2", True),
    ("gs://bucket/a\tb", True),
    # [PATH-11]: these schemes need a host, not only the two slashes
    ("https://", True),
    ("https:///corpus.parquet", True),
    ("s3://", True),
    ("https://?q=1", True),
    ("https://user@:80/x", True),
    ("https://user@host:80/x", False),
    ("http://[::1]:8080/x", False),
])
def test_external_uri(tmp_path: Path, uri: str, bad: bool) -> None:
    assert (uri_problem(uri) is not None) is bad
    root = make_release(tmp_path / "r", {"a": b"a"}, extra_artifacts=[
        {"id": "ext", "uri": uri, "kind": "dataset", "digest": {"sha256": sha256_hex(b"x")}}])
    found = [f for f in validate(root, STRUCTURE).findings if f.code == "path.bad-uri"]
    assert bool(found) is bad
    if bad:
        assert found[0].location is not None
        assert found[0].location.pointer == "/artifacts/1/uri"


def test_portability_problem() -> None:
    assert portability_problem("a/b/c.txt") is None
    assert portability_problem("con") is not None
    assert portability_problem("LPT1.log") is not None
    assert portability_problem("a/b ") is not None


# -- property: every escaping / absolute / backslash / dot-segment path is refused -------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_paths())
def test_property_hostile_path_is_always_refused(path: str) -> None:
    problems = syntax_problems(path)
    assert problems, path
    assert all(code.startswith("path.") for code, _ in problems)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(hostile_paths())
def test_property_hostile_path_fails_validation(tmp_path: Path, path: str) -> None:
    import shutil

    shutil.rmtree(tmp_path / "r", ignore_errors=True)
    root = with_paths(tmp_path, [path])
    report = validate(root, STRUCTURE)
    errors = [f for f in report.findings if f.artifact == "a0" and f.severity.value == "error"]
    assert errors
    assert all(f.code.startswith("path.") for f in errors)
    assert not report.ok
