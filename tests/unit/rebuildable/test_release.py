"""Folder releases: listing without following links, opening only regular files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuildable import openbeneath
from rebuildable.engine import validate
from rebuildable.errors import MemberError, ReleaseError
from rebuildable.release import EntryType, FolderRelease, open_release
from tests.support import make_release, read_manifest, write_manifest

FILES = {"src/a.py": b"print(1)\n", "data/x.bin": b"\x00\x01", "empty": b""}


@pytest.fixture(params=["openat2", "walk"])
def opener(request: pytest.FixtureRequest) -> Iterator[str]:
    """Open members both ways: one openat2 call (Linux 5.6+) and the component walk."""
    if request.param == "walk":
        openbeneath.disable()
    try:
        yield str(request.param)
    finally:
        openbeneath.enable()


def test_open_release_on_folder_and_on_manifest_path(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    with open_release(root) as release:
        assert isinstance(release, FolderRelease)
        assert release.manifest_name == "rebuild.yaml"
        assert release.local_root() == root
    with open_release(root / "rebuild.yaml") as release:
        assert release.local_root() == root
    assert validate(root).ok


def test_json_manifest_is_found(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES, manifest_name="rebuild.json")
    with open_release(root) as release:
        assert release.manifest_name == "rebuild.json"


def test_missing_folder_and_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError) as info:
        open_release(tmp_path / "nope")
    assert info.value.code == "release.not-found"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReleaseError) as info:
        open_release(tmp_path / "empty")
    assert info.value.code == "release.no-manifest"


def test_two_manifests_are_ambiguous(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    write_manifest(root / "rebuild.json", read_manifest(root))
    with pytest.raises(ReleaseError) as info:
        open_release(root)
    assert info.value.code == "release.ambiguous-manifest"


def test_entries_list_links_and_special_files_without_following(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "to-outside").symlink_to("/etc/passwd")
    (root / "loop").symlink_to("loop")
    (root / "dirlink").symlink_to("/")
    os.mkfifo(root / "pipe")
    entries = FolderRelease(root, "rebuild.yaml", "r").entries()
    assert entries["src"].type is EntryType.DIR
    assert entries["src/a.py"].type is EntryType.FILE
    assert entries["src/a.py"].size == len(FILES["src/a.py"])
    assert entries["to-outside"].type is EntryType.SYMLINK
    assert entries["to-outside"].target == "/etc/passwd"
    assert entries["loop"].type is EntryType.SYMLINK
    assert entries["pipe"].type is EntryType.OTHER
    assert not any(p.startswith("dirlink/") for p in entries)  # never descended


@pytest.mark.parametrize(("make", "path", "code"), [
    (lambda r: (r / "l").symlink_to("/etc/passwd"), "l", "path.symlink"),
    (lambda r: (r / "d").symlink_to(r / "src"), "d/a.py", "path.symlink"),
    (lambda r: (r / "loop").symlink_to("loop"), "loop", "path.symlink"),
    (lambda r: os.mkfifo(r / "p"), "p", "path.not-regular"),
    (lambda r: None, "src", "path.not-regular"),
    (lambda r: None, "nope.txt", "integrity.missing"),
    (lambda r: None, "src/a.py/x", "integrity.missing"),
    (lambda r: None, "../outside", "path.escapes"),
    (lambda r: None, "src//a.py", "path.escapes"),
])
def test_open_refuses_anything_but_a_regular_file_inside(
        tmp_path: Path, make: object, path: str, code: str, opener: str) -> None:
    root = make_release(tmp_path / "r", FILES)
    (tmp_path / "outside").write_bytes(b"secret")
    make(root)  # type: ignore[operator]
    release = FolderRelease(root, "rebuild.yaml", "r")
    with pytest.raises(MemberError) as info:
        release.open(path)
    assert info.value.code == code


def test_open_reads_regular_files_either_way(tmp_path: Path, opener: str) -> None:
    root = make_release(tmp_path / "r", FILES)
    release = FolderRelease(root, "rebuild.yaml", "r")
    for path, data in FILES.items():
        with release.open(path) as fh:
            assert fh.read() == data


def test_folder_swapped_for_a_link_between_two_of_its_files(
        tmp_path: Path, opener: str) -> None:
    """Files of one folder are opened one after the other; the folder turning into a link
    to another folder with the same names meanwhile must never yield the other's bytes."""
    root = make_release(tmp_path / "r", {"d/one": b"one", "d/two": b"two"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "one").write_bytes(b"secret one")
    (elsewhere / "two").write_bytes(b"secret two")
    release = FolderRelease(root, "rebuild.yaml", "r")
    with release.open("d/one") as fh:
        assert fh.read() == b"one"
    os.rename(root / "d", tmp_path / "moved")
    (root / "d").symlink_to(elsewhere)
    with pytest.raises(MemberError) as info:
        release.open("d/two")
    assert info.value.code == "path.symlink"
    (root / "d").unlink()
    (root / "d").symlink_to("../moved")  # a link back into a copy of the same folder
    with pytest.raises(MemberError) as info:
        release.open("d/one")
    assert info.value.code == "path.symlink"


@pytest.mark.parametrize(("swap", "code"), [
    (os.mkfifo, "path.not-regular"),  # must not block either
    (lambda p: p.symlink_to("/etc/passwd"), "path.symlink"),
    (lambda p: p.mkdir(), "path.not-regular"),
    (lambda p: None, "integrity.missing"),
])
def test_listed_file_swapped_after_the_listing(
        tmp_path: Path, swap: object, code: str, opener: str) -> None:
    """The listing saw a regular file; what is there when it is opened is what counts."""
    root = make_release(tmp_path / "r", FILES)
    release = FolderRelease(root, "rebuild.yaml", "r")
    assert release.entries()["src/a.py"].type is EntryType.FILE
    (root / "src/a.py").unlink()
    swap(root / "src/a.py")  # type: ignore[operator]
    with pytest.raises(MemberError) as info:
        release.open("src/a.py")
    assert info.value.code == code


def test_release_root_named_through_a_symlink_works(tmp_path: Path) -> None:
    root = make_release(tmp_path / "real", FILES)
    (tmp_path / "alias").symlink_to(root)
    assert validate(tmp_path / "alias").ok


def test_identity_changes_when_a_file_is_replaced(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    release = FolderRelease(root, "rebuild.yaml", "r")
    before = release.identity("src/a.py")
    assert before is not None
    (root / "src/a.py.new").write_bytes(b"print(2)\n")
    os.replace(root / "src/a.py.new", root / "src/a.py")
    assert release.identity("src/a.py") != before
    assert release.identity("gone") is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any folder")
def test_unreadable_folder_is_a_finding(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    locked = root / "locked"
    locked.mkdir()
    (locked / "f").write_bytes(b"x")
    locked.chmod(0)
    try:
        release = FolderRelease(root, "rebuild.yaml", "r")
        release.entries()
        assert [f.code for f in release.findings] == ["release.unreadable"]
    finally:
        locked.chmod(0o755)


def test_file_path_that_is_not_an_archive_or_manifest(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(ReleaseError) as info:
        open_release(other)
    assert info.value.code == "release.unreadable"
