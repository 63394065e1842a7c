"""A file that differs from a listed path only by letter case or Unicode normalisation
is an error (``path.collision``), not just an unlisted file: on a case-insensitive or
normalising file system the two are one file, so two readers get two meanings."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from rebuildable.engine import validate
from tests.support import codes, make_release
from tests.support.hostile import manifest_bytes, tar_link, tar_with

NFC = "café.txt"
NFD = unicodedata.normalize("NFD", NFC)


def case_sensitive(folder: Path) -> bool:
    probe = folder / "Probe.case"
    probe.write_bytes(b"")
    try:
        return not (folder / "probe.case").exists()
    finally:
        probe.unlink()


def test_a_file_beside_a_listed_one_differing_only_in_case(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"data.txt": b"listed\n"})
    if not case_sensitive(root):
        pytest.skip("the file system folds case: the two names are one file here")
    (root / "Data.txt").write_bytes(b"other\n")
    report = validate(root)
    collisions = [f for f in report.findings if f.code == "path.collision"]
    assert len(collisions) == 1
    assert collisions[0].artifact is not None
    assert "unlisted.file" not in codes(report)
    assert not report.ok


def test_an_nfd_spelling_of_a_listed_nfc_name(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {NFC: b"listed\n"})
    try:
        (root / NFD).write_bytes(b"other\n")
    except OSError:
        pytest.skip("the file system refuses NFD names")
    if {p.name for p in root.iterdir()} >= {NFC, NFD}:
        report = validate(root)
        assert "path.collision" in codes(report)
        assert not report.ok
    else:
        pytest.skip("the file system normalises names: the two are one file here")


def test_an_ignored_twin_is_still_a_collision(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"data.txt": b"listed\n"})
    if not case_sensitive(root):
        pytest.skip("the file system folds case")
    (root / "DATA.TXT").write_bytes(b"other\n")
    (root / ".rebuildignore").write_text("*.TXT\n")
    assert "path.collision" in codes(validate(root))


@pytest.mark.parametrize("twin", ["Data.txt", "data.TXT"])
def test_archive_members_that_collide_with_a_listed_path(tmp_path: Path, twin: str) -> None:
    manifest = manifest_bytes(tmp_path, {"data.txt": b"listed\n"})
    archive = tar_with(tmp_path / "c.tar", [("rebuild.yaml", manifest),
                                            ("data.txt", b"listed\n"), (twin, b"other\n")])
    report = validate(archive)
    assert "path.collision" in codes(report)
    assert "unlisted.file" not in codes(report)
    assert not report.ok


def test_unrelated_unlisted_files_stay_warnings(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"data.txt": b"listed\n"})
    (root / "notes.txt").write_bytes(b"x")
    report = validate(root)
    assert codes(report).count("unlisted.file") == 1
    assert "path.collision" not in codes(report)


def test_a_link_twin_of_a_listed_file_is_a_collision(tmp_path: Path) -> None:
    """Extracted on a case-insensitive file system, the link replaces the listed file:
    the release validated clean with only a link warning."""
    manifest = manifest_bytes(tmp_path, {"data.txt": b"listed\n"})
    archive = tar_with(tmp_path / "l.tar", [("rebuild.yaml", manifest),
                                            ("data.txt", b"listed\n"),
                                            tar_link("Data.txt", "/etc/passwd")])
    report = validate(archive)
    collisions = [f for f in report.findings if f.code == "path.collision"]
    assert len(collisions) == 1
    assert "symbolic link" in collisions[0].message
    assert not report.ok
    root = make_release(tmp_path / "r", {"data.txt": b"listed\n"})
    if not case_sensitive(root):
        pytest.skip("the file system folds case")
    (root / "Data.txt").symlink_to("/etc/passwd")
    assert "path.collision" in codes(validate(root))


def test_a_folder_twin_of_a_listed_file_is_a_collision(tmp_path: Path) -> None:
    """'DATA.TXT/x' beside a listed 'data.txt': one of the two cannot be made there."""
    manifest = manifest_bytes(tmp_path, {"data.txt": b"listed\n"})
    archive = tar_with(tmp_path / "d.tar", [("rebuild.yaml", manifest),
                                            ("data.txt", b"listed\n"),
                                            ("DATA.TXT/x", b"x")])
    report = validate(archive)
    assert "path.collision" in codes(report)
    assert not report.ok
