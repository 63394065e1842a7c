"""The digest cache of ``validate --cache`` (digest_cache.py): what it may skip, and
that a cache it cannot trust is never used."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rebuildable import digest_cache
from rebuildable.context import Options
from rebuildable.engine import run
from rebuildable.findings import Finding
from rebuildable.release import FolderRelease
from tests.support import make_release

FILES = {"a.bin": b"a" * 100, "b.bin": b"b" * 5000}


@pytest.fixture(autouse=True)
def no_racy_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    # Files written by a test are seconds old at most; the racy-write guard has its own test.
    monkeypatch.setattr(digest_cache, "RACY_NS", -10**12)


def _release(tmp_path: Path) -> Path:
    return make_release(tmp_path / "r", FILES)


def _validate(root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
              ) -> tuple[list[Finding], list[str]]:
    """Findings, and the files the run opened."""
    opened: list[str] = []
    real_open = FolderRelease.open

    def counting_open(self: FolderRelease, path: str):  # type: ignore[no-untyped-def]
        opened.append(path)
        return real_open(self, path)

    monkeypatch.setattr(FolderRelease, "open", counting_open)
    result = run(root, Options(workers=1, cache_dir=cache))
    monkeypatch.setattr(FolderRelease, "open", real_open)
    return result.report.findings, [p for p in opened if p.endswith(".bin")]


def _codes(findings: list[Finding]) -> list[str]:
    return sorted(f.code for f in findings if f.code.startswith("integrity."))


def _cache_file(cache: Path) -> Path:
    (path,) = cache.glob("*.json")
    return path


def test_unchanged_files_are_not_read_again(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _release(tmp_path), tmp_path / "cache"
    findings, opened = _validate(root, cache, monkeypatch)
    assert sorted(opened) == ["a.bin", "b.bin"]
    assert _codes(findings) == []
    assert _cache_file(cache).stat().st_mode & 0o777 == 0o600
    findings, opened = _validate(root, cache, monkeypatch)
    assert opened == []
    (cached,) = [f for f in findings if f.code == "integrity.cached"]
    assert cached.data["cached"] == 2


@pytest.mark.parametrize("change", ["size", "mtime", "ctime"])
def test_a_changed_file_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      change: str) -> None:
    root, cache = _release(tmp_path), tmp_path / "cache"
    _validate(root, cache, monkeypatch)
    target = root / "b.bin"
    st = target.stat()
    if change == "size":
        target.write_bytes(b"b" * 5001)
    elif change == "mtime":
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    else:
        target.chmod(0o600)  # changes ctime alone
    findings, opened = _validate(root, cache, monkeypatch)
    assert opened == ["b.bin"]
    if change == "size":
        assert "integrity.size-mismatch" in _codes(findings)


def test_a_tampered_file_with_its_mtime_restored_is_caught(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _release(tmp_path), tmp_path / "cache"
    _validate(root, cache, monkeypatch)
    target = root / "b.bin"
    st = target.stat()
    target.write_bytes(b"c" * 5000)  # same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime; ctime moves
    findings, opened = _validate(root, cache, monkeypatch)
    assert opened == ["b.bin"]
    assert "integrity.digest-mismatch" in _codes(findings)


def _corrupt(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


def _retarget(path: Path) -> None:
    # a well-formed cache whose digests are wrong would be a false pass if it were used
    head, _, body = path.read_bytes().partition(b"\n")
    data = json.loads(body)
    for row in data["entries"].values():
        row[5] = dict.fromkeys(row[5], "0" * 64)
    path.write_bytes(head + b"\n" + json.dumps(data).encode())


def _foreign_format(path: Path) -> None:
    head, _, body = path.read_bytes().partition(b"\n")
    header = json.loads(head)
    header["format"] = "rebuildable-digest-cache/0"
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)


def _other_uid(path: Path) -> None:
    head, _, body = path.read_bytes().partition(b"\n")
    header = json.loads(head)
    header["uid"] = header["uid"] + 1
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)


def _world_writable(path: Path) -> None:
    path.chmod(0o666)


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xff not json")


@pytest.mark.parametrize("spoil", [_corrupt, _retarget, _foreign_format, _other_uid,
                                   _world_writable, _garbage])
def test_a_cache_that_cannot_be_trusted_is_ignored(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   spoil: object) -> None:
    root, cache = _release(tmp_path), tmp_path / "cache"
    _validate(root, cache, monkeypatch)
    assert callable(spoil)
    spoil(_cache_file(cache))
    findings, opened = _validate(root, cache, monkeypatch)
    assert sorted(opened) == ["a.bin", "b.bin"]
    assert _codes(findings) == ["integrity.cache-ignored"]
    # and it was replaced by a good one
    findings, opened = _validate(root, cache, monkeypatch)
    assert opened == []


def test_an_unwritable_cache_folder_still_validates(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = _release(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    findings, opened = _validate(root, blocker / "cache", monkeypatch)
    assert sorted(opened) == ["a.bin", "b.bin"]
    assert _codes(findings) == ["integrity.cache-ignored"]


def test_a_file_changed_just_before_the_run_is_not_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digest_cache, "RACY_NS", 3600 * 10**9)
    root, cache = _release(tmp_path), tmp_path / "cache"
    _validate(root, cache, monkeypatch)
    _, opened = _validate(root, cache, monkeypatch)
    assert sorted(opened) == ["a.bin", "b.bin"]


def test_digests_of_other_algorithms_are_not_used(tmp_path: Path) -> None:
    cache = digest_cache.DigestCache.load(tmp_path / "c", tmp_path)
    key = (1, 2, 3, 4, 5)
    cache.record("x", key, {"sha256": "0" * 64})
    assert cache.save() is None
    again = digest_cache.DigestCache.load(tmp_path / "c", tmp_path)
    assert again.lookup("x", key, ("sha512",)) is None
    assert again.lookup("x", (1, 2, 3, 4, 6), ("sha256",)) is None
    hit = again.lookup("x", key, ("sha256",))
    assert hit is not None
    assert hit.digests == {"sha256": "0" * 64}


def test_the_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert digest_cache.default_cache_dir() == tmp_path / "rebuildable"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    assert digest_cache.default_cache_dir() == Path.home() / ".cache" / "rebuildable"


def test_the_cache_is_off_unless_asked_for() -> None:
    assert Options().cache_dir is None
