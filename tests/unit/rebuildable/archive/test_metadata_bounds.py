"""Tar metadata records (GNU long names, PAX headers) are bounded before they are read:
tarfile alone reads a record whole, whatever size it declares (a 6.9 MB .tgz reached
1.9 GB of memory). The bound is measured: the peak memory of a validation in a fresh
process, hostile archive against a plain one."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from rebuildable.archive import ArchiveLimits
from rebuildable.engine import validate
from rebuildable.release import open_release
from tests.support import codes
from tests.support.hostile import manifest_bytes, tar_with
from tests.support.hostile_names import (
    pax_records,
    tar_blocks,
    tar_gnu_sparse_map,
    tar_huge_metadata,
)

_PEAK = """
import resource, sys
from rebuildable.engine import validate
report = validate(sys.argv[1])
print(" ".join(sorted({f.code for f in report.findings})))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
#: a record this large fits under the decompression floor (64 MiB), so before the bound
#: tarfile read it whole
RECORD = 60 * 1024 * 1024


def peak_kib(archive: Path) -> tuple[set[str], int]:
    out = subprocess.run([sys.executable, "-c", _PEAK, str(archive)], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    return set(out[0].split()), int(out[1])


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.XHDTYPE],
                         ids=["gnu-long-name", "pax"])
def test_a_huge_metadata_record_is_refused_without_reading_it(tmp_path: Path,
                                                             kind: bytes) -> None:
    manifest = manifest_bytes(tmp_path, {"data.bin": b"data"})
    hostile = tar_huge_metadata(tmp_path / "huge.tar.gz", manifest, kind, RECORD)
    assert hostile.stat().st_size < 1024 * 1024
    plain = tar_with(tmp_path / "plain.tar.gz",
                     [("rebuild.yaml", manifest), ("data.bin", b"data")], "w:gz")
    found, peak = peak_kib(hostile)
    _, baseline = peak_kib(plain)
    assert "release.archive-too-large" in found
    # Measured: about +0.3 MiB over the plain archive (before: +120 MiB and more).
    assert peak - baseline < 16 * 1024, (peak, baseline)


def test_the_total_of_metadata_records_is_bounded(tmp_path: Path) -> None:
    manifest = manifest_bytes(tmp_path, {})
    parts = [("rebuild.yaml", tarfile.REGTYPE, manifest)]
    for i in range(8):
        parts.append(("PaxHeaders/x", tarfile.XHDTYPE,
                      pax_records({"comment": "c" * 60_000})))
        parts.append((f"f{i}.bin", tarfile.REGTYPE, b"x"))
    archive = tmp_path / "many.tar"
    archive.write_bytes(tar_blocks(parts))
    limits = ArchiveLimits(max_metadata_bytes=200_000)
    with open_release(archive, archive_limits=limits) as release:
        found = {f.code for f in release.findings}
        assert "release.archive-too-large" in found
        assert "f7.bin" not in release.entries()
    with open_release(archive) as release:  # the default bound allows it
        assert "f7.bin" in release.entries()


def test_a_chain_of_metadata_records_before_one_member_is_bounded(tmp_path: Path) -> None:
    manifest = manifest_bytes(tmp_path, {})
    parts = [("rebuild.yaml", tarfile.REGTYPE, manifest)]
    parts += [("././@LongLink", tarfile.GNUTYPE_LONGNAME, f"n{i}\0".encode())
              for i in range(2000)]
    parts.append(("short", tarfile.REGTYPE, b"x"))
    archive = tmp_path / "chain.tar"
    archive.write_bytes(tar_blocks(parts))
    report = validate(archive)
    assert "release.archive-too-large" in codes(report)
    assert "internal.error" not in codes(report)


def test_a_gnu_sparse_map_is_bounded_like_a_metadata_record(tmp_path: Path) -> None:
    """A GNU sparse 1.0 map is read by tarfile from the member's data, a number a line,
    and every number kept: a 20 KB .tar.gz of 5 million entries took 520 MB and 8.5 s."""
    manifest = manifest_bytes(tmp_path, {"data.bin": b"x"})
    hostile = tar_gnu_sparse_map(tmp_path / "map.tar.gz", manifest, 5_000_000)
    assert hostile.stat().st_size < 64 * 1024
    plain = tar_with(tmp_path / "plain.tar.gz",
                     [("rebuild.yaml", manifest), ("data.bin", b"x")], "w:gz")
    found, peak = peak_kib(hostile)
    _, baseline = peak_kib(plain)
    assert "release.archive-too-large" in found
    # Measured: the map's first MiB and a little more (before: +480 MiB).
    assert peak - baseline < 64 * 1024, (peak, baseline)


def test_a_real_gnu_sparse_archive_reads_as_tarfile_reads_it(tmp_path: Path) -> None:
    import shutil

    from rebuildable.archive.tarmeta import BoundedTarFile

    if shutil.which("tar") is None:
        pytest.skip("GNU tar is not installed")
    folder = tmp_path / "src"
    folder.mkdir()
    with (folder / "holes.bin").open("wb") as fh:
        for at in range(0, 8 * 1024 * 1024, 1024 * 1024):
            fh.seek(at)
            fh.write(b"data")
        fh.truncate(9 * 1024 * 1024)
    archive = tmp_path / "sparse.tar"
    subprocess.run(["tar", "--sparse", "--format=pax", "-cf", str(archive), "-C", str(folder),
                    "holes.bin"], check=True)
    with tarfile.open(archive) as plain:
        want = [(m.name, m.size, m.sparse, m.offset_data) for m in plain]
    with archive.open("rb") as src, BoundedTarFile(fileobj=src, limits=ArchiveLimits()) as ours:
        got = [(m.name, m.size, m.sparse, m.offset_data) for m in ours]
    assert got == want
    assert want[0][2]  # a sparse map was read
