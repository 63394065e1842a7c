"""GNU sparse tar members (``tar -S``): a release may ship one, and it is read as GNU tar
and bsdtar extract it, holes as zeros. Its digest is the expanded file's, its expanded
size counts against the member bound, and its holes against the archive's size and ratio
bounds ([ARC-5]), so that a map of a few bytes is never a terabyte of zeros to hash. A
map that extractors expand to different bytes is refused ([ARC-8])."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from rebuildable.archive import ArchiveLimits
from rebuildable.engine import Options, validate
from rebuildable.release import open_release
from tests.support import codes
from tests.support.releases import make_release

MiB = 1024 * 1024
DATA = "release.archive-ambiguous-data"
TOO_LARGE = "release.archive-too-large"

pytestmark = pytest.mark.skipif(shutil.which("tar") is None or shutil.which("bsdtar") is None,
                                reason="GNU tar and bsdtar are needed")

#: tar's options for each sparse format
FORMATS = {
    "gnu": ["--format=gnu"],
    "pax-0.0": ["--format=posix", "--sparse-version=0.0"],
    "pax-0.1": ["--format=posix", "--sparse-version=0.1"],
    "pax-1.0": ["--format=posix", "--sparse-version=1.0"],
}

#: file shapes: (size, {offset: data}); "many" needs old GNU extension blocks
SHAPES: dict[str, tuple[int, dict[int, bytes]]] = {
    "trailing-hole": (3 * MiB, {0: b"head", MiB + 3: b"middle", 2 * MiB: b"x" * 5000}),
    "ends-with-data": (2 * MiB + 10, {MiB: b"middle", 2 * MiB: b"0123456789"}),
    "all-hole": (MiB, {}),
    "many": (4 * MiB, {i * 200_000: b"%d" % i for i in range(1, 20)}),
}


def expanded(shape: str) -> bytes:
    size, chunks = SHAPES[shape]
    data = bytearray(size)
    for at, chunk in chunks.items():
        data[at:at + len(chunk)] = chunk
    return bytes(data)


def write_sparse(path: Path, shape: str) -> None:
    """The file as ``truncate`` and a few writes make it: holes on disk."""
    size, chunks = SHAPES[shape]
    with path.open("wb") as fh:
        os.truncate(fh.fileno(), size)
        for at, chunk in chunks.items():
            fh.seek(at)
            fh.write(chunk)


def sparse_archive(tmp: Path, fmt: str, shape: str, compress: str = "") -> tuple[Path, bytes]:
    """A release whose last member is a GNU sparse file made by ``tar -S``, and that
    file's bytes; the manifest lists the expanded file."""
    want = expanded(shape)
    root = make_release(tmp / "rel", {"small.txt": b"small\n", "holes.bin": want})
    write_sparse(root / "holes.bin", shape)
    archive = tmp / f"sparse.tar{compress and '.' + compress}"
    flags = ["-z"] if compress == "gz" else []
    subprocess.run(["tar", "-S", *FORMATS[fmt], *flags, "-cf", str(archive),
                    "rebuild.yaml", "small.txt", "holes.bin"], cwd=root, check=True)
    return archive, want


def extracted(tool: str, archive: Path, into: Path) -> bytes:
    into.mkdir()
    subprocess.run([tool, "-xf", str(archive), "-C", str(into)], check=True,
                   capture_output=True)
    return (into / "holes.bin").read_bytes()


def stored(archive: Path) -> tuple[int, int]:
    """(data bytes stored, expanded size) of the sparse member, as tarfile lists it."""
    with tarfile.open(archive) as tf:
        info = tf.getmember("holes.bin")
        assert info.sparse is not None, "tar -S wrote no sparse member"
        regions: list[tuple[int, int]] = info.sparse  # type: ignore[assignment]
        return sum(n for _, n in regions), info.size


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_sparse_member_validates_with_the_expanded_files_digest(tmp_path: Path, fmt: str,
                                                                   shape: str) -> None:
    archive, want = sparse_archive(tmp_path, fmt, shape)
    data, size = stored(archive)
    assert size == len(want)
    assert data < size  # holes were left out
    assert extracted("tar", archive, tmp_path / "gnu") == want
    assert extracted("bsdtar", archive, tmp_path / "bsd") == want
    report = validate(archive)
    assert report.ok, codes(report)
    with open_release(archive) as release:
        assert release.entries()["holes.bin"].size == len(want)
        with release.open("holes.bin") as fh:
            assert fh.read() == want


def test_a_compressed_sparse_member_validates(tmp_path: Path) -> None:
    archive, want = sparse_archive(tmp_path, "pax-1.0", "trailing-hole", "gz")
    assert extracted("tar", archive, tmp_path / "gnu") == want
    report = validate(archive)
    assert report.ok, codes(report)


def test_a_sparse_member_whose_listed_bytes_differ_is_a_digest_mismatch(tmp_path: Path) -> None:
    """The digest is checked against the expanded bytes, not passed unread."""
    listed = bytearray(expanded("trailing-hole"))
    listed[2 * MiB + 100] = 0  # a byte of data that the manifest says is zero
    root = make_release(tmp_path / "rel", {"small.txt": b"small\n", "holes.bin": bytes(listed)})
    write_sparse(root / "holes.bin", "trailing-hole")
    bad = tmp_path / "bad.tar"
    subprocess.run(["tar", "-S", "--format=gnu", "-cf", str(bad), "rebuild.yaml", "small.txt",
                    "holes.bin"], cwd=root, check=True)
    assert "integrity.digest-mismatch" in codes(validate(bad))


def test_a_terabyte_sparse_member_is_refused_by_the_size_bound_unread(tmp_path: Path) -> None:
    """A map of a few bytes stands for 1 TiB of zeros: refused by the member bound in
    well under a second, never hashed (hashing it would take many minutes)."""
    big = 1 << 40
    root = make_release(tmp_path / "rel", {"small.txt": b"small\n"}, extra_artifacts=[
        {"id": "big", "path": "big.bin", "kind": "other",
         "digest": {"sha256": "0" * 64}, "size": big}])
    with (root / "big.bin").open("wb") as fh:
        try:
            os.truncate(fh.fileno(), big)
        except OSError:
            pytest.skip("this file system cannot hold a 1 TiB sparse file")
        fh.seek(big - 4)
        fh.write(b"tail")
    archive = tmp_path / "big.tar"
    subprocess.run(["tar", "-S", "--format=posix", "-cf", str(archive), "rebuild.yaml",
                    "small.txt", "big.bin"], cwd=root, check=True)
    (root / "big.bin").unlink()
    assert archive.stat().st_size < 64 * 1024
    start = time.monotonic()
    report = validate(archive)
    assert time.monotonic() - start < 10
    found = codes(report)
    assert TOO_LARGE in found
    assert not {"release.archive-corrupt", "integrity.digest-mismatch"} & set(found)


def test_holes_count_against_the_archives_size_and_ratio_bound(tmp_path: Path) -> None:
    """Within the member bound, the holes are decompressed bytes: a 20 KB archive that
    expands to 3 MiB is beyond a ratio of 10:1 over a floor of 1 MiB (the defaults
    scale this up: 100:1 over 64 MiB)."""
    archive, _ = sparse_archive(tmp_path, "pax-0.1", "trailing-hole")
    limits = ArchiveLimits(max_ratio=10, ratio_floor=MiB)
    report = validate(archive, Options(archive_limits=limits))
    assert TOO_LARGE in codes(report)
    assert "release.archive-corrupt" not in codes(report)
    wide = ArchiveLimits(max_ratio=1000, ratio_floor=MiB)
    assert validate(archive, Options(archive_limits=wide)).ok


# -- maps that extractors expand differently ------------------------------------------


def pax_sparse(path: Path, manifest: bytes, mapping: list[int], real: int,
               stored_data: bytes) -> Path:
    """A release whose ``a.bin`` is a hand-made PAX 0.1 sparse member."""
    info = tarfile.TarInfo("a.bin")
    info.size = len(stored_data)
    info.pax_headers = {"GNU.sparse.numblocks": str(len(mapping) // 2),
                        "GNU.sparse.size": str(real), "GNU.sparse.name": "a.bin",
                        "GNU.sparse.map": ",".join(map(str, mapping))}
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        head = tarfile.TarInfo("rebuild.yaml")
        head.size = len(manifest)
        tf.addfile(head, io.BytesIO(manifest))
        tf.addfile(info, io.BytesIO(stored_data))
    return path


STORED = bytes(range(256)) * 4
#: (map, real size, stored data): each read otherwise by GNU tar than by bsdtar
HOSTILE: dict[str, tuple[list[int], int, bytes]] = {
    "unaligned-region": ([0, 100, 1000, 100, 2000, 0], 2000, STORED[:200]),
    "overlapping": ([0, 512, 100, 100, 2000, 0], 2000, STORED[:612]),
    "out-of-order": ([1024, 512, 0, 512, 2000, 0], 2000, STORED),
    "map-ends-short": ([0, 512], 2000, STORED[:512]),
    "more-stored-than-mapped": ([0, 512, 2000, 0], 2000, STORED),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_sparse_map_that_extractors_expand_differently_is_refused(tmp_path: Path,
                                                                     name: str) -> None:
    mapping, real, data = HOSTILE[name]
    probe = pax_sparse(tmp_path / "probe.tar", b"x", mapping, real, data)
    gnu = tmp_path / "gnu"
    gnu.mkdir()
    subprocess.run(["tar", "-xf", str(probe), "-C", str(gnu)], check=False, capture_output=True)
    bsd = tmp_path / "bsd"
    bsd.mkdir()
    subprocess.run(["bsdtar", "-xf", str(probe), "-C", str(bsd)], check=False, capture_output=True)
    with tarfile.open(probe) as tf:
        member = tf.extractfile("a.bin")
        assert member is not None
        as_tarfile = member.read()
    written = {(gnu / "a.bin").read_bytes(), (bsd / "a.bin").read_bytes(), as_tarfile}
    assert len(written) > 1 or name == "more-stored-than-mapped"
    # The manifest lists a.bin as tarfile expands it: without the guard it validates.
    root = make_release(tmp_path / "rel", {"a.bin": as_tarfile})
    archive = pax_sparse(tmp_path / "hostile.tar", (root / "rebuild.yaml").read_bytes(),
                         mapping, real, data)
    report = validate(archive)
    assert DATA in codes(report)
    assert not {"integrity.digest-mismatch", "internal.error"} & set(codes(report))


# -- the old GNU map's extension blocks -----------------------------------------------


def old_gnu_extension_chain(path: Path, manifest: bytes, blocks: int) -> Path:
    """A .tar.gz whose 'S' member announces ``blocks`` map extension blocks."""
    info = tarfile.TarInfo("a.bin")
    info.type = tarfile.GNUTYPE_SPARSE
    info.size = 0
    entry = b"%011o\0%011o\0" % (4096, 0)
    head = bytearray(info.tobuf(tarfile.GNU_FORMAT))
    head[386:482] = entry * 4
    head[482] = 1
    head[483:495] = b"%011o\0" % 4096
    head[148:156] = b" " * 8
    head[148:156] = b"%06o\0 " % sum(head[:512])
    ext = (entry * 21).ljust(504, b"\0") + b"\x01" + b"\0" * 7
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tf:
        first = tarfile.TarInfo("rebuild.yaml")
        first.size = len(manifest)
        tf.addfile(first, io.BytesIO(manifest))
        assert tf.fileobj is not None
        tf.fileobj.write(bytes(head) + ext * blocks)
        tf.offset += len(head) + len(ext) * blocks
    return path


def test_old_gnu_map_extension_blocks_are_bounded_like_a_metadata_record(tmp_path: Path) -> None:
    """tarfile alone reads any number of them, keeping 21 entries a block."""
    root = make_release(tmp_path / "rel", {"small.txt": b"x"})
    archive = old_gnu_extension_chain(tmp_path / "chain.tar.gz",
                                      (root / "rebuild.yaml").read_bytes(), 8192)
    limits = ArchiveLimits(max_header_bytes=MiB)
    start = time.monotonic()
    with open_release(archive, archive_limits=limits) as release:
        found = {f.code for f in release.findings}
    assert time.monotonic() - start < 5
    assert TOO_LARGE in found
