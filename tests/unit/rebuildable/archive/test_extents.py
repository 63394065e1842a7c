"""Parser differentials beyond a member's name (issue 9, item 4, the same class): the
bytes a name stands for. A zip reader that lists the central directory (zipfile,
``unzip``) and one that streams the archive from its first byte (``curl | bsdtar -x``)
must find the same bytes for a member, and a tar member's data must not be read as
headers by one extractor and as data by another. Each hostile asset is first shown to
make a real extractor write other bytes; then the validator must refuse it
(``release.archive-ambiguous-data`` / ``-name``), and valid archives from real writers
must still pass.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from rebuildable.engine import validate
from tests.support import codes
from tests.support.hostile import manifest_bytes
from tests.support.hostile_names import (
    tar_blocks,
    tar_gnu_sparse_name,
    tar_malformed_pax_path,
    tar_prefix_without_posix_magic,
    tar_regular_member_named_like_a_folder,
    zip_deflate_with_trailing_member,
    zip_hidden_local_member,
    zip_local_sizes_differ,
    zip_stored_early_descriptor,
)
from tests.support.signing import key, signed_release

A, B = b"bytes of a\n", b"bytes of b\n"
DATA = "release.archive-ambiguous-data"
NAME = "release.archive-ambiguous-name"


def extracted(command: str, archive: Path, into: Path) -> dict[str, bytes]:
    """What a shell ``command`` (``{}`` is the archive) writes: path -> bytes."""
    tool = command.split(maxsplit=1)[0] if not command.startswith("cat") else "bsdtar"
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    into.mkdir()
    subprocess.run(command.format(archive), shell=True, cwd=into, check=False,
                   capture_output=True)
    return {p.relative_to(into).as_posix(): p.read_bytes()
            for p in into.rglob("*") if p.is_file()}


STREAMING = "cat {} | bsdtar -xf -"


# -- zip: where a member's data lies -------------------------------------------------------


def _hidden(tmp: Path, listed: dict[str, bytes]) -> Path:
    return zip_hidden_local_member(tmp / "hidden.zip", manifest_bytes(tmp, listed),
                                   "a.bin", A, B)


def _local_size(tmp: Path, listed: dict[str, bytes]) -> Path:
    return zip_local_sizes_differ(tmp / "local.zip", manifest_bytes(tmp, listed), "a.bin", A, B)


def _trailing(tmp: Path, listed: dict[str, bytes]) -> Path:
    return zip_deflate_with_trailing_member(tmp / "trail.zip", manifest_bytes(tmp, listed),
                                            "a.bin", A, B)


def _early(tmp: Path, listed: dict[str, bytes]) -> Path:
    return zip_stored_early_descriptor(tmp / "early.zip", manifest_bytes(tmp, listed),
                                       "a.bin", A, B)


ZIPS: dict[str, Callable[[Path, dict[str, bytes]], Path]] = {
    "hidden-local-member": _hidden,
    "local-sizes-differ": _local_size,
    "deflate-trailing-member": _trailing,
    "stored-early-descriptor": _early,
}


def _listed_bytes(tmp: Path, build: Callable[[Path, dict[str, bytes]], Path]) -> bytes:
    """a.bin as zipfile (and unzip) read it: what the manifest must list to be right."""
    import zipfile

    with zipfile.ZipFile(build(tmp / "probe", {"a.bin": A})) as zf:
        return zf.read("a.bin")


@pytest.mark.parametrize("name", ZIPS)
def test_a_streaming_extractor_writes_other_bytes(tmp_path: Path, name: str) -> None:
    build = ZIPS[name]
    archive = build(tmp_path, {"a.bin": A})
    unzip = extracted("unzip -o -q {}", archive, tmp_path / "unzip")
    assert unzip["a.bin"].startswith(A)  # what the central directory says
    assert extracted(STREAMING, archive, tmp_path / "stream")["a.bin"] == B


@pytest.mark.parametrize("name", ZIPS)
def test_a_zip_member_whose_readers_disagree_on_its_bytes_is_refused(tmp_path: Path,
                                                                      name: str) -> None:
    build = ZIPS[name]
    # The manifest lists a.bin as zipfile reads it: without the guard it validates.
    listed = _listed_bytes(tmp_path, build)
    archive = build(tmp_path / "real", {"a.bin": listed})
    report = validate(archive)
    assert not report.ok
    assert DATA in codes(report)
    assert "integrity.digest-mismatch" not in codes(report)


def test_writers_that_put_sizes_after_the_data_still_pass(tmp_path: Path) -> None:
    """Data descriptors are legitimate: bsdtar's stored zip, Info-ZIP's streamed zip and
    its -fd (descriptors everywhere) validate clean."""
    from tests.support.releases import make_release

    root = make_release(tmp_path / "rel", {"src/a.py": b"print(1)\n", "empty.txt": b"",
                                           "nums.txt": b"\n".join(b"%d" % i
                                                                  for i in range(5000))})
    made: list[Path] = []
    for tool, command in (("bsdtar", "bsdtar --format zip --options zip:compression=store "
                                     "-cf {} ."),
                          ("bsdtar", "bsdtar --format zip -cf {} ."),
                          ("zip", "zip -q -r -fd {} ."),
                          ("zip", "zip -q -r - . > {}")):
        if shutil.which(tool) is None:
            continue
        archive = tmp_path / f"w{len(made)}.zip"
        subprocess.run(command.format(archive), shell=True, cwd=root, check=True)
        made.append(archive)
    if not made:
        pytest.skip("neither bsdtar nor zip is installed")
    for archive in made:
        report = validate(archive)
        assert report.ok, (archive, codes(report))


# -- tar: names that one extractor reads otherwise -------------------------------------


def test_gnu_sparse_name_beats_path_in_the_extractors(tmp_path: Path) -> None:
    archive = tar_gnu_sparse_name(tmp_path / "s.tar", manifest_bytes(tmp_path, {"a.bin": A}),
                                  "a.bin", "b.bin", A)
    with tarfile.open(archive) as tf:
        assert tf.getnames()[-1] == "a.bin"  # Python's tarfile: the last keyword
    for tool in ("tar -xf {}", "bsdtar -xf {}"):
        got = extracted(tool, archive, tmp_path / tool.split()[0])
        assert "b.bin" in got
        assert "a.bin" not in got
    report = validate(archive)
    assert NAME in codes(report)
    assert not report.ok


def test_a_malformed_pax_record_is_refused(tmp_path: Path) -> None:
    archive = tar_malformed_pax_path(tmp_path / "m.tar", manifest_bytes(tmp_path, {"a.b": A}),
                                     "b.bin", A)
    with tarfile.open(archive) as tf:
        python_name = tf.getnames()[-1]
    got = extracted("tar -xf {}", archive, tmp_path / "tar")
    assert python_name not in got
    assert "b.bin" in got
    report = validate(archive)
    assert NAME in codes(report)
    assert not report.ok


@pytest.mark.parametrize("magic", [b"ustar  \0", b"\0" * 8], ids=["old-gnu", "v7"])
def test_a_prefix_field_without_the_posix_magic_is_refused(tmp_path: Path,
                                                           magic: bytes) -> None:
    archive = tar_prefix_without_posix_magic(
        tmp_path / "p.tar", manifest_bytes(tmp_path, {"src/a.bin": A}), "src", "a.bin", A,
        magic=magic)
    with tarfile.open(archive) as tf:
        assert tf.getnames()[-1] == "src/a.bin"
    for tool in ("tar -xf {}", "bsdtar -xf {}"):
        got = extracted(tool, archive, tmp_path / tool.split()[0])
        assert "a.bin" in got
        assert "src/a.bin" not in got
    report = validate(archive)
    assert NAME in codes(report)
    assert not report.ok


def test_a_prefix_field_with_the_posix_magic_is_fine(tmp_path: Path) -> None:
    archive = tar_prefix_without_posix_magic(
        tmp_path / "p.tar", manifest_bytes(tmp_path, {"src/a.bin": A}), "src", "a.bin", A,
        magic=b"ustar\x0000")
    assert extracted("tar -xf {}", archive, tmp_path / "tar")["src/a.bin"] == A
    report = validate(archive)
    assert report.ok, codes(report)


def test_a_regular_member_named_like_a_folder_hides_members(tmp_path: Path) -> None:
    archive = tar_regular_member_named_like_a_folder(
        tmp_path / "f.tar", manifest_bytes(tmp_path, {"a.bin": A}), "a.bin", A, B)
    for tool in ("tar -xf {}", "bsdtar -xf {}"):
        assert extracted(tool, archive, tmp_path / tool.split()[0])["a.bin"] == B
    report = validate(archive)
    assert NAME in codes(report)
    # Every member is refused, the manifest too: nothing of the release is checked.
    assert "release.unreadable" in codes(report)
    assert not report.ok


# -- signed: verify refuses as validate does ---------------------------------------------


def test_verify_refuses_a_signed_release_in_an_ambiguous_archive(tmp_path: Path) -> None:
    """The signature is good and a.bin matches it as Python reads it, but GNU tar and
    bsdtar write a.bin's bytes under another name: not verified."""
    from click.testing import CliRunner

    from rebuildable.cli import cli

    root = signed_release(tmp_path / "rel")
    parts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if name.endswith((".yaml", ".json")):
            parts.append((name, tarfile.REGTYPE, path.read_bytes()))
        else:  # every listed file named twice over: a GNU.sparse.name elsewhere
            parts.append(("PaxHeaders/x", tarfile.XHDTYPE,
                          _pax({"GNU.sparse.name": "elsewhere/" + name, "path": name})))
            parts.append((name, tarfile.REGTYPE, path.read_bytes()))
    archive = tmp_path / "signed.tar"
    archive.write_bytes(tar_blocks(parts))
    pub = tmp_path / "alice.pub"
    pub.write_bytes(key("alice").public.pem())
    result = CliRunner().invoke(cli, ["verify", str(archive), "--key", str(pub)])
    assert result.exit_code == 1, result.output
    assert NAME in result.output


def _pax(records: dict[str, str]) -> bytes:
    from tests.support.hostile_names import pax_records

    return pax_records(records)
