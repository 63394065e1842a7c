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
from tests.support.hostile_names import pax_records, tar_blocks, tar_huge_metadata

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
