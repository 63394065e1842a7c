"""Taking a step's outputs out of its work folder: bounded in size and in time, sparse
files kept sparse ([REB-8], [REB-20])."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from rebuildable.api import rebuild
from rebuildable.rebuild import RebuildOptions
from rebuildable.rebuild.outputs import CHUNK, OutputOverTimeError, copy_new
from tests.support.hostile_steps import sparse_output_step

MIB = 1024 * 1024


def _sparse(path: Path, size: int, data: dict[int, bytes]) -> Path:
    with path.open("wb") as fh:
        for offset, chunk in data.items():
            fh.seek(offset)
            fh.write(chunk)
        fh.truncate(size)
    return path


def _dense_sha256(size: int, data: dict[int, bytes]) -> str:
    h, pos = hashlib.sha256(), 0
    for offset, chunk in sorted(data.items()):
        h.update(bytes(offset - pos))
        h.update(chunk)
        pos = offset + len(chunk)
    h.update(bytes(size - pos))
    return h.hexdigest()


def test_a_sparse_output_is_copied_sparse_with_its_digest(tmp_path: Path) -> None:
    size = 256 * MIB
    data = {0: b"head", 100 * MIB + 7: b"middle" * 1000, size - 3: b"end"}
    src = _sparse(tmp_path / "src.bin", size, data)
    sha = hashlib.sha256()
    with src.open("rb") as fh:
        dst = copy_new(fh, tmp_path / "dst.bin", None, hasher=sha)
    assert sha.hexdigest() == _dense_sha256(size, data)
    st = dst.stat()
    assert st.st_size == size
    assert st.st_blocks * 512 < 4 * MIB  # the old copy wrote all 256 MiB
    with dst.open("rb") as fh:
        for offset, chunk in data.items():
            fh.seek(offset)
            assert fh.read(len(chunk)) == chunk
        fh.seek(50 * MIB)
        assert fh.read(16) == bytes(16)


def test_a_hole_up_to_the_end_and_an_empty_file(tmp_path: Path) -> None:
    for size, data in ((10 * MIB, {0: b"x"}), (0, {})):
        src = _sparse(tmp_path / f"s{size}", size, data)
        sha = hashlib.sha256()
        with src.open("rb") as fh:
            dst = copy_new(fh, tmp_path / f"d{size}", None, hasher=sha)
        assert dst.stat().st_size == size
        assert sha.hexdigest() == _dense_sha256(size, data)


def test_the_copy_stops_at_the_deadline(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(3 * CHUNK))
    with src.open("rb") as fh, pytest.raises(OutputOverTimeError):
        copy_new(fh, tmp_path / "late.bin", None, deadline=time.monotonic() - 1)
    assert not (tmp_path / "late.bin").exists()
    small = tmp_path / "small.bin"
    small.write_bytes(b"one chunk or less always makes it\n")
    with small.open("rb") as fh:
        copy_new(fh, tmp_path / "small-copy.bin", None, deadline=time.monotonic() - 1)


def test_a_sparse_output_under_the_size_bound_is_taken_out_within_the_time_limit(
        tmp_path: Path) -> None:
    """Hostile asset ``sparse_output_step`` at 8 GiB (under the 64 GiB bound): the old
    rebuilder wrote 8 GiB of zeros to disk and hashed them, 40 s and more after a step
    of 3 s had ended. Now its holes cost no disk, and the copy (with the digest) is
    stopped at the step's time limit."""
    rel = sparse_output_step(tmp_path / "rel", "8G")
    start = time.monotonic()
    report = rebuild(rel, RebuildOptions(timeout=3, work_root=tmp_path / "w"))
    elapsed = time.monotonic() - start
    assert elapsed < 12, elapsed
    timeout = next(f for f in report.findings if f.code == "rebuild.step-timeout")
    assert "taken out of its work folder" in timeout.message
    step = report.to_dict()["rebuild"]["steps"][0]
    assert step["status"] == "timeout"
    assert not report.ok


@pytest.mark.parametrize(("make", "why"), [
    ("mkfifo out/x.txt", "not a regular file"),
    ("ln -s /etc/hostname out/x.txt", "link"),
    ("mkdir -p out/x.txt", "not a regular file"),
])
def test_an_output_that_is_no_regular_file_says_what_it_is(tmp_path: Path, make: str,
                                                            why: str) -> None:
    """A FIFO (whose open would block the rebuilder), a link, a folder: never read,
    and the finding says why the output counts as not produced."""
    rel = sparse_output_step(tmp_path / "rel", "0")
    manifest = (rel / "rebuild.yaml").read_text()
    (rel / "rebuild.yaml").write_text(manifest.replace(
        "truncate -s 0 out/big.bin", make.replace("x.txt", "big.bin")))
    report = rebuild(rel, RebuildOptions(timeout=30))
    missing = next(f for f in report.findings if f.code == "rebuild.output-missing")
    assert why in missing.message, missing.message
