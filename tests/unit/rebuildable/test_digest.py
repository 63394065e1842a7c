"""Streaming, parallel hashing of release members."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable import digest
from rebuildable.digest import (
    ALGORITHMS,
    BIG_FILE,
    CHUNK,
    HashJob,
    available,
    hash_members,
    hash_stream,
    well_formed,
)
from rebuildable.errors import MemberError
from rebuildable.release import FolderRelease
from tests.support import make_release


def test_well_formed() -> None:
    good = hashlib.sha256(b"").hexdigest()
    assert well_formed("sha256", good)
    assert not well_formed("sha256", good.upper())
    assert not well_formed("sha256", good[:-1])
    assert not well_formed("sha512", good)
    assert not well_formed("nope", good)
    assert not well_formed("sha256", "z" * 64)


def test_hash_stream_matches_hashlib_for_every_available_algorithm() -> None:
    data = os.urandom(3 * CHUNK + 17)
    names = [n for n in ALGORITHMS if available(n)]
    digests, size = hash_stream(io.BytesIO(data), names)
    assert size == len(data)
    for name in names:
        if name == "blake3":
            import blake3

            assert digests[name] == blake3.blake3(data).hexdigest()
            continue
        assert digests[name] == hashlib.new(name.replace("-", "_"), data).hexdigest()


def test_hash_stream_without_readinto() -> None:
    class ReadOnly:
        def __init__(self, data: bytes) -> None:
            self._b = io.BytesIO(data)

        def read(self, n: int = -1) -> bytes:
            return self._b.read(n)

    digests, size = hash_stream(ReadOnly(b"abc"), ["sha256"])  # type: ignore[arg-type]
    assert digests["sha256"] == hashlib.sha256(b"abc").hexdigest()
    assert size == 3


def test_hash_stream_refuses_unavailable_algorithm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ALGORITHMS, "blake3", digest.Algorithm("blake3", 64, True, None))
    with pytest.raises(ValueError, match="blake3"):
        hash_stream(io.BytesIO(b""), ["blake3"])


def test_empty_stream_hashes_to_the_empty_digest() -> None:
    digests, size = hash_stream(io.BytesIO(b""), ["sha256"])
    assert size == 0
    assert digests["sha256"] == hashlib.sha256(b"").hexdigest()


class _Recorder:
    def __init__(self) -> None:
        self.total = 0
        self.advanced = 0
        self.started = 0
        self.finished = 0
        self._lock = threading.Lock()

    def start(self, description: str, total: int) -> None:
        self.started += 1
        self.total = total

    def advance(self, amount: int) -> None:
        # deliberately not atomic: hash_members must serialise calls
        value = self.advanced
        self.advanced = value + amount

    def finish(self) -> None:
        self.finished += 1


def _release(tmp_path: Path, sizes: dict[str, int]) -> FolderRelease:
    files = {name: os.urandom(size) for name, size in sizes.items()}
    root = make_release(tmp_path / "r", files)
    return FolderRelease(root, "rebuild.yaml", "r")


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_parallel_and_sequential_hashing_agree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    # smaller thresholds keep the test fast while exercising both kinds of task
    monkeypatch.setattr(digest, "BIG_FILE", 64 * 1024)
    monkeypatch.setattr(digest, "BATCH_BYTES", 16 * 1024)
    big = digest.BIG_FILE
    sizes = {f"small/{i}": 100 * i for i in range(40)}
    sizes.update({"big1": big + 5, "big2": big * 2 + CHUNK, "empty": 0})
    release = _release(tmp_path, sizes)
    jobs = [HashJob(p, ("sha256", "sha512"), release.entries()[p].size) for p in sizes]
    progress = _Recorder()
    threads: set[str] = set()

    def opener(path: str) -> BinaryIO:
        threads.add(threading.current_thread().name)
        return release.open(path)

    results = hash_members(opener, jobs, workers=workers, progress=progress,
                           identify=release.identity)
    if workers > 1:
        assert all(t.startswith("rebuildable-hash") for t in threads)
    else:
        assert threads == {threading.current_thread().name}
    assert list(results) == list(sizes)  # in job order
    for path in sizes:
        data = (release.root / path).read_bytes()
        r = results[path]
        assert r.error is None
        assert not r.changed
        assert r.size == len(data)
        assert r.digests == {"sha256": hashlib.sha256(data).hexdigest(),
                             "sha512": hashlib.sha512(data).hexdigest()}
    assert progress.started == progress.finished == 1
    assert progress.total == progress.advanced == sum(sizes.values())


def test_tasks_batch_small_files_and_split_big_ones() -> None:
    jobs = [HashJob(f"s{i}", ("sha256",), 1000) for i in range(600)]
    jobs += [HashJob("big", ("sha256",), BIG_FILE), HashJob("bigger", ("sha256",), BIG_FILE * 3)]
    tasks = digest._tasks(jobs)
    assert [t[0].path for t in tasks[:2]] == ["bigger", "big"]  # largest first, one each
    small = tasks[2:]
    assert sum(len(t) for t in small) == 600
    assert all(len(t) <= digest.BATCH_FILES for t in small)


def test_unreadable_members_get_an_error_not_an_exception(tmp_path: Path) -> None:
    release = _release(tmp_path, {"a": 10})
    (release.root / "link").symlink_to("a")
    jobs = [HashJob(p, ("sha256",)) for p in ("a", "missing", "link", "../x")]
    results = hash_members(release.open, jobs, workers=2)
    assert results["a"].error is None
    assert results["missing"].error is not None
    assert results["missing"].error.code == "integrity.missing"
    assert results["link"].error is not None
    assert results["link"].error.code == "path.symlink"
    assert results["../x"].error is not None


def test_os_errors_become_member_errors() -> None:
    def failing(path: str) -> BinaryIO:
        raise PermissionError(13, "Permission denied")

    result = hash_members(failing, [HashJob("x", ("sha256",))])["x"]
    assert result.error is not None
    assert result.error.code == "release.unreadable"


def test_file_that_grows_while_hashed_is_changed(tmp_path: Path) -> None:
    """A release wrapper whose member stream appends to the file while it is read."""
    release = _release(tmp_path, {"grows": 3 * CHUNK})
    target = release.root / "grows"

    def open_growing(path: str) -> BinaryIO:
        fh = release.open(path)

        class Growing(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def fileno(self) -> int:
                return fh.fileno()

            def readinto(self, buffer: Any) -> int:
                with target.open("ab") as out:
                    out.write(b"more")
                return fh.readinto(buffer)  # type: ignore[attr-defined, no-any-return]

            def close(self) -> None:
                fh.close()
                super().close()

        return Growing()  # type: ignore[return-value]

    result = hash_members(open_growing, [HashJob("grows", ("sha256",), 3 * CHUNK)])["grows"]
    assert result.changed


def test_file_replaced_while_hashed_is_changed(tmp_path: Path) -> None:
    release = _release(tmp_path, {"f": 1000})
    calls = iter([(1, 2, 1000, 5), (1, 3, 1000, 6)])

    def identify(path: str) -> tuple[int, ...]:
        return next(calls)

    result = hash_members(release.open, [HashJob("f", ("sha256",))], identify=identify)["f"]
    assert result.changed


def test_unchanged_file_is_not_flagged(tmp_path: Path) -> None:
    release = _release(tmp_path, {"f": 5000})
    result = hash_members(release.open, [HashJob("f", ("sha256",))],
                          identify=release.identity)["f"]
    assert not result.changed


def test_unknown_algorithm_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="nope"):
        hash_members(lambda p: io.BytesIO(b""), [HashJob("x", ("nope",))])


def test_member_error_inside_read_is_kept(tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise MemberError("release.archive-corrupt", "x: truncated")

    result = hash_members(lambda p: Broken(), [HashJob("x", ("sha256",))])["x"]  # type: ignore[arg-type, return-value]
    assert result.error is not None
    assert result.error.code == "release.archive-corrupt"


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=4096))
def test_chunking_never_changes_the_digest(data: bytes, chunk: int) -> None:
    digests, size = hash_stream(io.BytesIO(data), ["sha256", "md5"], buffer=bytearray(chunk))
    assert size == len(data)
    assert digests["sha256"] == hashlib.sha256(data).hexdigest()
    assert digests["md5"] == hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_each_member_is_inspected_through_the_handle_it_was_hashed_from(
        tmp_path: Path) -> None:
    small, big = b"s" * 100, b"b" * (digest.CHUNK * 2 + 5)
    root = make_release(tmp_path / "r", {"small.bin": small, "big.bin": big})
    release = FolderRelease(root, "rebuild.yaml", str(root))
    jobs = [digest.HashJob("small.bin", ("sha256",), len(small)),
            digest.HashJob("big.bin", ("sha256",), len(big))]
    seen: dict[str, tuple[bytes, int]] = {}

    def inspect(path: str, fh: BinaryIO, size: int) -> str:
        fh.seek(0)
        seen[path] = (fh.read(), size)
        return f"looked at {path}"

    results = digest.hash_members(release.open, jobs, workers=2, inspect=inspect)
    assert seen == {"small.bin": (small, len(small)), "big.bin": (big, len(big))}
    assert results["small.bin"].inspected == "looked at small.bin"
    assert results["big.bin"].inspected == "looked at big.bin"
    assert results["big.bin"].digests["sha256"] == hashlib.sha256(big).hexdigest()


def test_a_member_that_changed_keeps_no_inspection(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"log.txt": b"line\n" * 10})
    release = FolderRelease(root, "rebuild.yaml", str(root))

    def grow(path: str, fh: BinaryIO, size: int) -> str:
        with (root / path).open("ab") as out:
            out.write(b"more")
        return "stale"

    result = digest.hash_members(release.open, [digest.HashJob("log.txt", ("sha256",), 50)],
                                 identify=release.identity, inspect=grow)["log.txt"]
    assert result.changed
    assert result.inspected is None


def test_content_check_does_not_open_hashed_files_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rebuildable.engine import Options, validate

    big = b"x" * (2 * 1024 * 1024)
    root = make_release(tmp_path / "r", {"a.txt": b"hello\n", "b.txt": b"bye\n",
                                         "c.bin": big})
    opened: list[str] = []
    real_open = FolderRelease.open

    def counting_open(self: FolderRelease, path: str) -> BinaryIO:
        opened.append(path)
        return real_open(self, path)

    monkeypatch.setattr(FolderRelease, "open", counting_open)
    report = validate(root, Options())
    assert report.ok
    assert opened.count("a.txt") == 1
    assert opened.count("b.txt") == 1
    assert opened.count("c.bin") == 1
