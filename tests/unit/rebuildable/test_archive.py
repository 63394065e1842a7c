"""Archive releases (tar, tar.gz, tar.xz, tar.bz2, zip, streams) and hostile archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebuildable.archive import (
    ArchiveLimits,
    ArchiveRelease,
    normalise,
    sniff,
    unsafe_reason,
)
from rebuildable.checks.paths import syntax_problems
from rebuildable.engine import validate
from rebuildable.errors import MemberError, ReleaseError
from rebuildable.release import EntryType, open_release
from tests.support import codes, make_release
from tests.support.hostile import (
    hostile_paths,
    manifest_bytes,
    tar_fifo,
    tar_link,
    tar_with,
    zip_bomb_declared_small,
    zip_overlapping,
    zip_symlink,
    zip_with,
)

FILES = {"src/train.py": b"print('train')\n", "data/empty.csv": b"", "README": b"hello\n"}


def members(tmp_path: Path, files: dict[str, bytes], prefix: str = "") -> list[tuple[str, bytes]]:
    """(name, data) pairs for a valid release: the manifest, then the files."""
    out = [(prefix + "rebuild.yaml", manifest_bytes(tmp_path, files))]
    out.extend((prefix + name, data) for name, data in files.items())
    return out


def tree(path: Path) -> set[str]:
    return {p.relative_to(path).as_posix() for p in path.rglob("*")}


# -- well-formed archives --------------------------------------------------------------


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_release_in_a_top_level_folder_validates(tmp_path: Path, mode: str) -> None:
    archive = tar_with(tmp_path / "release.tar", members(tmp_path, FILES, "pkg-1.0/"), mode)
    report = validate(archive)
    assert report.ok, report.findings
    assert not {c for c in set(codes(report)) if c.startswith(("release.", "integrity.", "path."))}
    with open_release(archive) as release:
        assert isinstance(release, ArchiveRelease)
        assert release.prefix == "pkg-1.0/"
        assert release.manifest_name == "rebuild.yaml"
        assert release.entries()["src/train.py"].type is EntryType.FILE
        assert release.entries()["src"].type is EntryType.DIR  # implied folder
        with release.open("src/train.py") as fh:
            assert fh.read() == FILES["src/train.py"]


def test_zip_release_with_manifest_at_root_validates(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "release.zip", members(tmp_path, FILES))
    report = validate(archive)
    assert report.ok, report.findings
    with open_release(archive) as release:
        assert release.prefix == ""
        assert release.read_manifest().startswith(b"spec:")


def test_archive_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "release.bin", members(tmp_path, FILES), "w:gz")
    assert validate(archive).ok


def test_sniff_formats() -> None:
    assert sniff(b"PK\x03\x04rest") == "zip"
    assert sniff(gzip.compress(b"x")) == "tar+gzip"
    assert sniff(b"BZh91AY") == "tar+bzip2"
    assert sniff(b"\xfd7zXZ\x00") == "tar+xz"
    assert sniff(b"spec: rebuildable/0.1\n") is None
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        tf.addfile(tarfile.TarInfo("x"), io.BytesIO(b""))
    assert sniff(buf.getvalue()) == "tar"
    with tarfile.open(fileobj=(v7 := io.BytesIO()), mode="w", format=tarfile.GNU_FORMAT) as tf:
        tf.addfile(tarfile.TarInfo("x"), io.BytesIO(b""))
    assert sniff(v7.getvalue()) == "tar"


def test_seekable_stream_is_read_in_place(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "r.tgz", members(tmp_path, FILES), "w:gz")
    stream = io.BytesIO(archive.read_bytes())
    assert validate(stream).ok
    assert not stream.closed  # the caller owns its stream


def test_stream_positioned_mid_way_is_read_from_there(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "r.zip", members(tmp_path, FILES))
    stream = io.BytesIO(b"HEADER" + archive.read_bytes())
    stream.seek(6)
    with open_release(stream) as release:
        assert validate(release).ok


class _Pipe(io.RawIOBase):
    """A non-seekable stream, like stdin from a pipe."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _Endless(io.RawIOBase):
    """A stream that never ends (a tar that never ends, /dev/zero through a pipe)."""

    def __init__(self, head: bytes) -> None:
        super().__init__()
        self._head = head
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = len(buffer)
        chunk = self._head[self.served: self.served + n]
        chunk += b"\x00" * (n - len(chunk))
        buffer[:n] = chunk
        self.served += n
        return n


def test_non_seekable_stream_is_spooled_to_a_private_temporary_file(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "r.tar", members(tmp_path, FILES), "w:gz")
    before = tree(tmp_path)
    report = validate(io.BufferedReader(_Pipe(archive.read_bytes())))
    assert report.ok, report.findings
    assert tree(tmp_path) == before


def test_tar_that_never_ends_is_bounded(tmp_path: Path) -> None:
    head = tar_with(tmp_path / "r.tar", members(tmp_path, FILES)).read_bytes()
    endless = _Endless(head)
    with pytest.raises(ReleaseError) as info:
        open_release(io.BufferedReader(endless),
                     archive_limits=ArchiveLimits(max_total_bytes=4 << 20))
    assert info.value.code == "release.archive-too-large"
    assert endless.served <= (4 << 20) + (2 << 20)


def test_gzip_stream_that_decompresses_without_end_is_bounded(tmp_path: Path) -> None:
    tar = tar_with(tmp_path / "r.tar", members(tmp_path, FILES)).read_bytes()
    bomb = tmp_path / "r.tgz"
    with gzip.open(bomb, "wb") as gz:
        gz.write(tar)
        for _ in range(64):
            gz.write(b"\x00" * (1 << 20))  # 64 MiB of trailing zeros, ~64 KiB compressed
    limits = ArchiveLimits(ratio_floor=1 << 20, max_ratio=20)
    with open_release(bomb, archive_limits=limits) as release:
        report = validate(release)
    assert "release.archive-too-large" in set(codes(report))
    assert not report.ok
    # the members before the bound were still read and verified
    assert "integrity.digest-mismatch" not in set(codes(report))


def test_not_an_archive_is_a_clear_fatal_error(tmp_path: Path) -> None:
    junk = tmp_path / "release.tar.gz"
    junk.write_bytes(b"this is not an archive" * 100)
    report = validate(junk)
    assert report.fatal
    assert set(codes(report)) == {"release.unreadable"}
    assert validate(io.BytesIO(b"nope" * 200)).fatal


def test_archive_without_manifest(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "r.zip", [("a/x.txt", b"x"), ("b/y.txt", b"y")])
    report = validate(archive)
    assert report.fatal
    assert set(codes(report)) == {"release.no-manifest"}


def test_archive_with_two_manifests(tmp_path: Path) -> None:
    manifest = manifest_bytes(tmp_path, {})
    archive = zip_with(tmp_path / "r.zip", [("rebuild.yaml", manifest), ("rebuild.json", b"{}")])
    assert set(codes(validate(archive))) == {"release.ambiguous-manifest"}


def test_members_are_read_in_data_order(tmp_path: Path) -> None:
    files = {f"f{i}.txt": bytes([i]) * 10 for i in range(5)}
    archive = tar_with(tmp_path / "r.tar.gz", members(tmp_path, files), "w:gz")
    with open_release(archive) as release:
        assert release.order(["f3.txt", "f0.txt", "f4.txt"]) == ["f0.txt", "f3.txt", "f4.txt"]


# -- hostile archives ------------------------------------------------------------------


def test_zip_slip_members_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    archive = zip_with(work / "slip.zip", [*members(tmp_path, FILES),
                                           ("../evil.txt", b"pwned"),
                                           ("/tmp/abs-evil.txt", b"pwned"),
                                           ("C:/windows/evil.txt", b"pwned"),
                                           ("a\\..\\..\\evil.txt", b"pwned")])
    report = validate(archive)
    unsafe = [f for f in report.findings if f.code == "release.archive-unsafe-member"]
    assert len(unsafe) == 4
    assert not report.ok
    assert tree(work) == {"slip.zip"}
    assert not (tmp_path / "evil.txt").exists()
    with open_release(archive) as release:
        assert not any("evil" in p for p in release.entries())


def test_tar_member_with_dotdot_is_refused(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "dotdot.tar", [*members(tmp_path, FILES),
                                                 ("../x", b"escape"), ("ok/../../y", b"e")])
    report = validate(archive)
    assert [f.code for f in report.findings].count("release.archive-unsafe-member") == 2
    assert not (tmp_path.parent / "x").exists()


def test_tar_symlink_to_etc_passwd_never_counts_and_is_never_followed(tmp_path: Path) -> None:
    files = {**FILES, "passwd": b"root:x:0:0:root:/root:/bin/bash\n"}
    archive = tar_with(tmp_path / "link.tar", [
        ("rebuild.yaml", manifest_bytes(tmp_path, files)),
        *((n, d) for n, d in FILES.items()),
        tar_link("passwd", "/etc/passwd"),
    ])
    report = validate(archive)
    found = set(codes(report))
    assert "release.archive-link" in found
    assert "path.symlink" in found
    assert "integrity.digest-mismatch" not in found  # never read through the link
    assert not report.ok
    with open_release(archive) as release, pytest.raises(MemberError) as info:
        release.open("passwd")
    assert info.value.code == "path.symlink"


def test_tar_hardlink_member_never_counts_as_a_shipped_file(tmp_path: Path) -> None:
    files = {**FILES, "copy.py": FILES["src/train.py"]}
    archive = tar_with(tmp_path / "hard.tar", [
        ("rebuild.yaml", manifest_bytes(tmp_path, files)),
        *((n, d) for n, d in FILES.items()),
        tar_link("copy.py", "src/train.py", hard=True),
    ])
    report = validate(archive)
    assert {"release.archive-link", "path.not-regular"} <= set(codes(report))
    assert not report.ok


def test_symlinked_folder_in_tar_is_not_traversed(tmp_path: Path) -> None:
    files = {**FILES, "lib/secret": b"x"}
    archive = tar_with(tmp_path / "dirlink.tar", [
        ("rebuild.yaml", manifest_bytes(tmp_path, files)),
        *((n, d) for n, d in FILES.items()),
        tar_link("lib", "/etc"),
    ])
    report = validate(archive)
    assert "path.symlink" in set(codes(report))


def test_tar_fifo_member_is_a_special_file(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "fifo.tar", [*members(tmp_path, FILES), tar_fifo("pipe")])
    report = validate(archive)
    assert "unlisted.special-file" in set(codes(report))


def test_zip_symlink_member_is_a_link(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "l.zip", [*members(tmp_path, FILES),
                                            (zip_symlink("etc"), b"/etc")])
    report = validate(archive)
    links = [f for f in report.findings if f.code == "release.archive-link"]
    assert len(links) == 1
    assert "/etc" in links[0].message
    assert "unlisted.special-file" not in set(codes(report))  # reported once, by the container


def test_duplicate_zip_members_count_as_neither(tmp_path: Path) -> None:
    files = {"model.bin": b"the real weights"}
    archive = zip_with(tmp_path / "dup.zip", [
        ("rebuild.yaml", manifest_bytes(tmp_path, files)),
        ("model.bin", b"decoy bytes shown to one reader"),
        ("model.bin", b"the real weights"),
    ])
    report = validate(archive)
    dup = [f for f in report.findings if f.code == "release.archive-duplicate-member"]
    assert dup
    assert any(f.artifact == "model.bin" for f in dup)  # the artifact is not verified
    assert not report.ok


def test_duplicate_tar_members_after_normalisation(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "dup.tar", [*members(tmp_path, FILES),
                                              ("./README", b"other")])
    assert "release.archive-duplicate-member" in set(codes(validate(archive)))


def test_zip_bomb_declared_small_real_large(tmp_path: Path) -> None:
    real = b"\x00" * (2 << 20)
    declared = 1000
    files = {"weights.bin": real[:declared]}
    archive = zip_bomb_declared_small(tmp_path / "bomb.zip", manifest_bytes(tmp_path, files),
                                      "weights.bin", declared, real)
    with open_release(archive) as release:
        assert release.entries()["weights.bin"].size == declared
        with release.open("weights.bin") as fh, pytest.raises(MemberError) as info:
            fh.read()
        assert info.value.code == "release.archive-too-large"
    report = validate(archive)
    bad = [f for f in report.findings if f.code == "release.archive-too-large"]
    assert bad
    assert bad[0].artifact == "weights-bin" or bad[0].artifact == "weights.bin"
    assert not report.ok


def test_zip_bomb_high_compression_ratio(tmp_path: Path) -> None:
    files = {"zeros.bin": b"\x00" * (8 << 20)}
    archive = zip_with(tmp_path / "ratio.zip", members(tmp_path, files))
    limits = ArchiveLimits(ratio_floor=1 << 20, max_ratio=100)
    with open_release(archive, archive_limits=limits) as release:
        report = validate(release)
    assert "release.archive-too-large" in set(codes(report))
    assert not report.ok
    # the same file under default limits (ratio floor 64 MiB) is fine
    assert validate(archive).ok


def test_zip_member_larger_than_member_limit(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "big.zip", members(tmp_path, {"a.bin": os.urandom(4096)}))
    with open_release(archive, archive_limits=ArchiveLimits(max_member_bytes=1024)) as release:
        report = validate(release)
    assert "release.archive-too-large" in set(codes(report))


def test_zip_overlapping_entries_are_refused(tmp_path: Path) -> None:
    archive = zip_overlapping(tmp_path / "overlap.zip", manifest_bytes(tmp_path, {}),
                              b"payload" * 100)
    report = validate(archive)
    assert "release.archive-unsafe-member" in set(codes(report))


def test_truncated_tar_gz(tmp_path: Path) -> None:
    files = {"big.bin": os.urandom(300_000), "README": b"x"}
    archive = tar_with(tmp_path / "t.tar.gz", members(tmp_path, files), "w:gz")
    raw = archive.read_bytes()
    archive.write_bytes(raw[: len(raw) * 2 // 3])
    report = validate(archive)
    assert "release.archive-corrupt" in set(codes(report))
    assert not report.ok


def test_truncated_plain_tar(tmp_path: Path) -> None:
    files = {"README": b"x", "big.bin": os.urandom(300_000)}
    archive = tar_with(tmp_path / "t.tar", members(tmp_path, files))
    raw = archive.read_bytes()
    archive.write_bytes(raw[:200_000])
    report = validate(archive)
    assert set(codes(report, prefix="release.")) == {"release.archive-corrupt"}
    bad = [f for f in report.findings if f.artifact == "big.bin"]
    assert bad
    assert bad[0].code == "release.archive-corrupt"


def test_gzip_with_bad_crc_is_corrupt(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "t.tgz", members(tmp_path, FILES), "w:gz")
    raw = bytearray(archive.read_bytes())
    raw[-8] ^= 0xFF  # CRC32 of the gzip trailer
    archive.write_bytes(bytes(raw))
    assert "release.archive-corrupt" in set(codes(validate(archive)))


def test_tar_with_garbage_hiding_later_members(tmp_path: Path) -> None:
    first = tar_with(tmp_path / "a.tar", members(tmp_path, FILES)).read_bytes()
    body = first.rstrip(b"\x00")
    body += b"\x00" * (-len(body) % 512)
    later = tar_with(tmp_path / "b.tar", [("hidden.txt", b"hidden")]).read_bytes()
    (tmp_path / "c.tar").write_bytes(body + os.urandom(512) + later)
    report = validate(tmp_path / "c.tar")
    assert "release.archive-corrupt" in set(codes(report))


def test_corrupt_zip_member_crc(tmp_path: Path) -> None:
    files = {"a.txt": b"A" * 1000}
    archive = zip_with(tmp_path / "c.zip", members(tmp_path, files), zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    at = raw.find(b"A" * 1000)
    raw[at] = ord("B")
    archive.write_bytes(bytes(raw))
    report = validate(archive)
    assert "release.archive-corrupt" in set(codes(report))


def test_zip_that_is_not_a_zip_inside(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    report = validate(bad)
    assert report.fatal
    assert set(codes(report)) == {"release.archive-corrupt"}


@pytest.mark.parametrize(("name", "unsafe"), [
    ("a/b.txt", False), ("../x", True), ("/etc/x", True), ("C:x", True), ("a\\b", True),
    ("a//b", True), ("a/./b", True), ("a\x00b", True), ("a\nb", True),
])
def test_unsafe_member_names(name: str, unsafe: bool) -> None:
    assert (unsafe_reason(name) is not None) is unsafe


def test_digest_of_archive_member_matches_folder(tmp_path: Path) -> None:
    root = make_release(tmp_path / "rel", {"w.bin": os.urandom(3 << 20)})
    archive = tmp_path / "rel.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(root, arcname="rel")
    report = validate(archive)
    assert report.ok
    with open_release(archive) as release, release.open("w.bin") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    assert digest == hashlib.sha256((root / "w.bin").read_bytes()).hexdigest()


def test_archive_read_from_a_named_pipe(tmp_path: Path) -> None:
    import threading

    data = tar_with(tmp_path / "r.tgz", members(tmp_path, FILES), "w:gz").read_bytes()
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)

    def writer() -> None:
        with open(pipe, "wb") as out:
            out.write(data)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        report = validate(pipe)
    finally:
        thread.join(timeout=10)
    assert report.ok, report.findings


_names = st.sampled_from(["a.txt", "src/b.py", "src/deep/c.bin", "d e/f", "ü.md"])


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(files=st.dictionaries(_names, st.binary(max_size=200), min_size=1, max_size=4),
       flip=st.booleans())
def test_property_archive_and_folder_give_the_same_findings(
        tmp_path: Path, files: dict[str, bytes], flip: bool) -> None:
    import shutil

    shutil.rmtree(tmp_path / "rel", ignore_errors=True)
    root = make_release(tmp_path / "rel", files)
    if flip:
        name = sorted(files)[0]
        (root / name).write_bytes(files[name] + b"!")
    want = sorted((f.code, f.artifact) for f in validate(root).findings)
    tgz = tmp_path / "rel.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(root, arcname="rel-1.0")
    zpath = tmp_path / "rel.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(root.rglob("*")):
            zf.write(p, p.relative_to(root).as_posix())
    for archive in (tgz, zpath):
        got = sorted((f.code, f.artifact) for f in validate(archive).findings)
        assert got == want, archive.name


def test_tar_member_name_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "latin1.tar"
    with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tf:
        for name, data in members(tmp_path, FILES):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("café.txt")
        tf.addfile(info, io.BytesIO(b""))
    report = validate(archive)
    unsafe = [f for f in report.findings if f.code == "release.archive-unsafe-member"]
    assert len(unsafe) == 1
    assert "UTF-8" in unsafe[0].message
    assert "\\xe9" in unsafe[0].message


_UNSAFE_CODES = {"path.absolute", "path.escapes", "path.backslash", "path.empty-segment",
                 "path.control-character"}


@settings(max_examples=80, deadline=None)
@given(st.one_of(hostile_paths(), st.text(max_size=20),
                 st.lists(st.sampled_from(["..", ".", "", "a", "b.txt", "\\", "C:", "/"]),
                          min_size=1, max_size=5).map("/".join)))
def test_property_accepted_member_names_are_safe_relative_paths(raw: str) -> None:
    """Whatever the member name, what the archive reader accepts can never escape."""
    for is_dir in (False, True):
        name = normalise(raw, is_dir)
        if name in ("", ".") or unsafe_reason(name) is not None:
            continue  # the archive root, or refused
        problems = {code for code, _ in syntax_problems(name)}
        assert not problems & _UNSAFE_CODES, (raw, name, problems)


@settings(max_examples=60, deadline=None)
@given(hostile_paths())
def test_property_hostile_member_name_is_refused(raw: str) -> None:
    name = normalise(raw, False)
    if syntax_problems(name):
        assert unsafe_reason(name) is not None or name in ("", "."), raw


def test_tar_member_written_through_a_symlink_member_is_refused(tmp_path: Path) -> None:
    """The classic two-step tar attack: 'lib' -> /etc, then 'lib/passwd'."""
    files = {**FILES, "lib/passwd": b"evil"}
    archive = tar_with(tmp_path / "through.tar", [
        ("rebuild.yaml", manifest_bytes(tmp_path, files)),
        *((n, d) for n, d in FILES.items()),
        tar_link("lib", "/etc"),
        ("lib/passwd", b"evil"),
    ])
    report = validate(archive)
    unsafe = [f for f in report.findings if f.code == "release.archive-unsafe-member"]
    assert len(unsafe) == 1
    assert "below the link" in unsafe[0].message
    assert "path.symlink" in set(codes(report))
    with open_release(archive) as release:
        assert "lib/passwd" not in release.entries()


def test_member_below_a_file_member_is_refused(tmp_path: Path) -> None:
    archive = zip_with(tmp_path / "below.zip", [*members(tmp_path, FILES), ("README/x", b"x")])
    assert "release.archive-unsafe-member" in set(codes(validate(archive)))
