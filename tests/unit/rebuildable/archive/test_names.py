"""Parser differentials in archive member names: a member whose name sources disagree
is refused (``release.archive-ambiguous-name``), never verified under the name one
reader picked while ``unzip`` or ``tar`` write other bytes under it.

Where the real extractors are installed, the tests first show what they extract, so
the hostile assets are known to be hostile, not just odd.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from rebuildable.engine import validate
from tests.support import codes
from tests.support.hostile import manifest_bytes
from tests.support.hostile_names import (
    pax_records,
    tar_blocks,
    tar_gnu_and_pax_names,
    tar_two_gnu_long_names,
    unicode_path_extra,
    zip_name_starting_with_nul,
    zip_unicode_path_swap,
)

A, B = b"bytes of a\n", b"bytes of b\n"
AMBIGUOUS = "release.archive-ambiguous-name"


def extract(tool: list[str], archive: Path, into: Path) -> dict[str, bytes]:
    """What ``tool`` writes, file name -> bytes (skips when the tool is not installed)."""
    if shutil.which(tool[0]) is None:
        pytest.skip(f"{tool[0]} is not installed")
    into.mkdir()
    subprocess.run([*tool, str(archive)], cwd=into, check=False, capture_output=True)
    return {p.name: p.read_bytes() for p in into.iterdir() if p.is_file()}


# -- zip: Info-ZIP Unicode Path fields (0x7075) ------------------------------------------


def swap_zip(tmp_path: Path) -> Path:
    manifest = manifest_bytes(tmp_path, {"a.txt": A, "b.txt": B})
    return zip_unicode_path_swap(tmp_path / "swap.zip", manifest, ("a.txt", A), ("b.txt", B))


@pytest.mark.parametrize("tool", [["unzip", "-o", "-q"], ["bsdtar", "-xf"]],
                         ids=["unzip", "bsdtar"])
def test_extractors_swap_the_members_of_the_unicode_path_zip(tmp_path: Path,
                                                             tool: list[str]) -> None:
    got = extract(tool, swap_zip(tmp_path), tmp_path / "out")
    assert got["a.txt"] == B
    assert got["b.txt"] == A


def test_zip_members_whose_unicode_path_fields_name_each_other_are_refused(
        tmp_path: Path) -> None:
    report = validate(swap_zip(tmp_path))
    assert not report.ok
    # Both members refused at the archive, and both artifacts fail on it.
    assert codes(report).count(AMBIGUOUS) == 4
    messages = " ".join(f.message for f in report.findings if f.code == AMBIGUOUS)
    assert "Unicode Path" in messages


def test_a_unicode_path_field_that_agrees_is_fine(tmp_path: Path) -> None:
    manifest = manifest_bytes(tmp_path, {"a.txt": A})
    archive = tmp_path / "same.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("rebuild.yaml", manifest)
        info = zipfile.ZipInfo("a.txt")
        info.extra = unicode_path_extra(b"a.txt", "a.txt")
        zf.writestr(info, A)
    report = validate(archive)
    assert report.ok, codes(report)


def test_a_non_ascii_name_without_the_utf8_flag_is_refused(tmp_path: Path) -> None:
    # Info-ZIP zip on Unix stores raw UTF-8 without flag bit 11: zipfile reads CP437
    # ("caf├⌐.txt"), unzip the local charset. Two readers, two names.
    manifest = manifest_bytes(tmp_path, {})
    archive = tmp_path / "cp437.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("rebuild.yaml", manifest)
        zf.writestr("cafe_.txt", A)
    raw = archive.read_bytes()  # the same length in UTF-8, in both headers, unflagged
    archive.write_bytes(raw.replace(b"cafe_.txt", "café.txt".encode()))
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist()[-1] == "café.txt".encode().decode("cp437")
    report = validate(archive)
    assert AMBIGUOUS in codes(report)


def test_a_local_header_that_names_the_member_otherwise_is_refused(tmp_path: Path) -> None:
    # Streaming readers (bsdtar reading a pipe) see the local header's name.
    manifest = manifest_bytes(tmp_path, {"a.txt": A})
    archive = tmp_path / "local.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("rebuild.yaml", manifest)
        zf.writestr("a.txt", A)
    raw = archive.read_bytes()
    at = raw.index(b"PK\x03\x04", 1) + 30  # the second local header's name
    assert raw[at:at + 5] == b"a.txt"
    archive.write_bytes(raw[:at] + b"x.txt" + raw[at + 5:])
    report = validate(archive)
    assert AMBIGUOUS in codes(report)
    assert not report.ok


def test_a_member_name_starting_with_nul_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    archive = zip_name_starting_with_nul(tmp_path / "nul.zip", manifest_bytes(tmp_path, {}))
    report = validate(archive)
    assert "release.archive-unsafe-member" in codes(report)
    assert "internal.error" not in codes(report)


@pytest.mark.parametrize("name", ["\x00", "a/\x00", "\x00/", "/", "//"])
def test_zip_names_that_are_empty_after_zipfile_cuts_them(tmp_path: Path, name: str) -> None:
    manifest = manifest_bytes(tmp_path, {})
    archive = tmp_path / "odd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("rebuild.yaml", manifest)
        zf.writestr(zipfile.ZipInfo(name), b"x")
    report = validate(archive)
    assert "internal.error" not in codes(report)


# -- tar: GNU long names and PAX paths ----------------------------------------------------


def gnu_pax_tar(tmp_path: Path, pax_first: bool) -> Path:
    manifest = manifest_bytes(tmp_path, {"pax-name.bin": A, "gnu-name.bin": A})
    return tar_gnu_and_pax_names(tmp_path / f"gp-{pax_first}.tar", manifest, "gnu-name.bin",
                                 "pax-name.bin", A, pax_first=pax_first)


@pytest.mark.parametrize("pax_first", [False, True], ids=["gnu-first", "pax-first"])
def test_gnu_tar_always_takes_the_pax_path(tmp_path: Path, pax_first: bool) -> None:
    got = extract(["tar", "-xf"], gnu_pax_tar(tmp_path, pax_first), tmp_path / "out")
    assert "pax-name.bin" in got
    assert "gnu-name.bin" not in got


def test_bsdtar_takes_the_innermost_name_record(tmp_path: Path) -> None:
    got = extract(["bsdtar", "-xf"], gnu_pax_tar(tmp_path, False), tmp_path / "out")
    assert "gnu-name.bin" not in got or "pax-name.bin" not in got


@pytest.mark.parametrize("pax_first", [False, True], ids=["gnu-first", "pax-first"])
def test_a_member_named_by_a_gnu_long_name_and_a_pax_path_is_refused(
        tmp_path: Path, pax_first: bool) -> None:
    # Python's tarfile alone would take the outer record: "gnu-name.bin" verified while
    # GNU tar writes those bytes as "pax-name.bin".
    with tarfile.open(gnu_pax_tar(tmp_path, pax_first)) as tf:
        python_name = tf.getnames()[-1]
    assert python_name == ("pax-name.bin" if pax_first else "gnu-name.bin")
    report = validate(gnu_pax_tar(tmp_path, pax_first))
    assert not report.ok
    assert AMBIGUOUS in codes(report)
    assert "integrity.digest-mismatch" not in codes(report)


def test_two_gnu_long_names_for_one_member_are_refused(tmp_path: Path) -> None:
    manifest = manifest_bytes(tmp_path, {"first.bin": A})
    archive = tar_two_gnu_long_names(tmp_path / "two.tar", manifest, "first.bin",
                                     "second.bin", A)
    got = extract(["tar", "-xf"], archive, tmp_path / "out")
    assert "second.bin" in got  # GNU tar: the last record; Python's tarfile: the first
    report = validate(archive)
    assert AMBIGUOUS in codes(report)
    assert not report.ok


def test_name_records_that_agree_are_fine(tmp_path: Path) -> None:
    manifest = manifest_bytes(tmp_path, {"same.bin": A})
    archive = tar_gnu_and_pax_names(tmp_path / "agree.tar", manifest, "same.bin",
                                    "same.bin", A)
    report = validate(archive)
    assert report.ok, codes(report)


def test_a_global_pax_path_is_refused(tmp_path: Path) -> None:
    # GNU tar applies a global 'path' to every later member; Python's tarfile only to
    # members that carry their own PAX header.
    manifest = manifest_bytes(tmp_path, {"a.bin": A})
    archive = tmp_path / "global.tar"
    archive.write_bytes(tar_blocks([
        ("rebuild.yaml", tarfile.REGTYPE, manifest),
        ("pax_global_header", tarfile.XGLTYPE, pax_records({"path": "b.bin"})),
        ("a.bin", tarfile.REGTYPE, A),
    ]))
    report = validate(archive)
    assert AMBIGUOUS in codes(report)
    assert not report.ok
