"""The integrity check: presence, size and every listed digest of every shipped file."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebuildable import digest
from rebuildable.digest import ALGORITHMS, HashResult
from rebuildable.engine import Options, validate
from rebuildable.findings import Finding
from rebuildable.release import Entry, FolderRelease, Release
from rebuildable.report import Report
from tests.support import codes, make_release, read_manifest, sha256_hex, write_manifest

FILES = {"src/train.py": b"print('train')\n", "weights.bin": os.urandom(4096)}


def integrity(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.code.startswith("integrity.")]


def edit(root: Path, index: int, **fields: Any) -> None:
    data = read_manifest(root)
    art = data["artifacts"][index]
    for key, value in fields.items():
        if value is None:
            art.pop(key, None)
        else:
            art[key] = value
    write_manifest(root / "rebuild.yaml", data)


def test_clean_release_passes_and_caches_hashes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rebuildable import engine

    root = make_release(tmp_path / "r", FILES)
    contexts: list[Any] = []
    real = engine.Context  # type: ignore[attr-defined]

    def capture(*args: Any, **kwargs: Any) -> Any:
        contexts.append(real(*args, **kwargs))
        return contexts[-1]

    monkeypatch.setattr(engine, "Context", capture)
    report = validate(root)
    assert report.ok
    assert codes(report, prefix="integrity.") == []
    hashes: Mapping[str, HashResult] = contexts[0].state.hashes or {}
    assert set(hashes) == set(FILES)
    assert hashes["weights.bin"].digests["sha256"] == sha256_hex(FILES["weights.bin"])
    assert hashes["weights.bin"].size == 4096


def test_missing_file(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "weights.bin").unlink()
    report = validate(root)
    found = integrity(report)
    assert [(f.code, f.artifact) for f in found] == [("integrity.missing", "weights.bin")]
    assert found[0].location is not None
    assert found[0].location.pointer == "/artifacts/1/path"


def test_missing_file_with_other_case_gets_a_hint(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "weights.bin").rename(root / "Weights.bin")
    found = integrity(validate(root))
    assert found[0].code == "integrity.missing"
    assert found[0].hint is not None
    assert "Weights.bin" in found[0].hint


def test_size_mismatch(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    edit(root, 1, size=4095)
    found = integrity(validate(root))
    assert [(f.code, f.location.pointer if f.location else None) for f in found] == [
        ("integrity.size-mismatch", "/artifacts/1/size")]
    assert found[0].data == {"expected": 4095, "actual": 4096}


def test_no_size_is_info(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    edit(root, 0, size=None)
    report = validate(root)
    assert codes(report, prefix="integrity.") == ["integrity.no-size"]
    assert report.ok


def test_digest_mismatch_names_artifact_and_algorithm(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "weights.bin").write_bytes(os.urandom(4096))
    found = integrity(validate(root))
    assert [(f.code, f.artifact) for f in found] == [("integrity.digest-mismatch", "weights.bin")]
    f = found[0]
    assert f.location is not None
    assert f.location.pointer == "/artifacts/1/digest/sha256"
    assert f.location.line is not None
    assert f.data["expected"] == sha256_hex(FILES["weights.bin"])


def test_two_algorithms_that_disagree_fail(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    wrong512 = hashlib.sha512(b"something else").hexdigest()
    edit(root, 1, digest={"sha256": sha256_hex(FILES["weights.bin"]), "sha512": wrong512})
    found = integrity(validate(root))
    assert [(f.code, f.location.pointer if f.location else None) for f in found] == [
        ("integrity.digest-mismatch", "/artifacts/1/digest/sha512")]


def test_several_algorithms_all_verified(tmp_path: Path) -> None:
    data = FILES["weights.bin"]
    root = make_release(tmp_path / "r", FILES)
    edit(root, 1, digest={"sha256": sha256_hex(data), "sha512": hashlib.sha512(data).hexdigest(),
                          "sha3-256": hashlib.sha3_256(data).hexdigest(),
                          "blake2b": hashlib.blake2b(data).hexdigest()})
    assert validate(root).ok


def test_unknown_algorithm(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    edit(root, 1, digest={"sha256": sha256_hex(FILES["weights.bin"]), "sha_256": "ab" * 32})
    found = integrity(validate(root))
    assert [f.code for f in found] == ["integrity.unknown-algorithm"]
    assert found[0].hint is not None
    assert "sha256" in found[0].hint
    assert found[0].location is not None
    assert found[0].location.pointer == "/artifacts/1/digest/sha_256"


@pytest.mark.parametrize(("value", "reason"), [
    (sha256_hex(b"x").upper(), "upper-case"),
    (sha256_hex(b"x")[:-2], "62 hex digits"),
    (sha256_hex(b"x") + "00", "66 hex digits"),
    ("LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=", "base64"),
    ("g" * 64, "not hex"),
])
def test_malformed_digest(tmp_path: Path, value: str, reason: str) -> None:
    root = make_release(tmp_path / "r", FILES)
    edit(root, 1, digest={"sha256": value})
    report = validate(root)
    found = integrity(report)
    assert [f.code for f in found] == ["integrity.malformed-digest"]
    assert reason in found[0].message
    assert not report.ok


@pytest.mark.parametrize("value", [sha256_hex(b"x").upper(), "g" * 64, "é" * 64])
def test_malformed_digest_among_well_pinned_external_artifacts(tmp_path: Path,
                                                               value: str) -> None:
    # External artifacts are checked together; one bad digest among them is still found,
    # at its own artifact only.
    good = [{"id": f"ext-{i}", "uri": f"https://example.org/{i}", "kind": "dataset",
             "digest": {"sha256": sha256_hex(str(i).encode())}} for i in range(3)]
    bad = {"id": "bad", "uri": "https://example.org/bad", "kind": "dataset",
           "digest": {"sha256": value}}
    root = make_release(tmp_path / "r", FILES, extra_artifacts=[*good[:2], bad, good[2]])
    found = integrity(validate(root))
    assert [(f.code, f.artifact) for f in found] == [("integrity.malformed-digest", "bad")]


def test_md5_only_is_an_error(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    md5 = hashlib.md5(FILES["weights.bin"], usedforsecurity=False).hexdigest()
    edit(root, 1, digest={"md5": md5})
    assert codes(validate(root), prefix="integrity.") == ["integrity.weak-only"]


def test_sha1_beside_sha256_is_a_warning_and_still_checked(tmp_path: Path) -> None:
    data = FILES["weights.bin"]
    root = make_release(tmp_path / "r", FILES)
    sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    edit(root, 1, digest={"sha256": sha256_hex(data), "sha1": sha1})
    report = validate(root)
    assert codes(report, prefix="integrity.") == ["integrity.weak-algorithm"]
    assert report.ok
    edit(root, 1, digest={"sha256": sha256_hex(data), "sha1": "0" * 40})
    assert codes(validate(root), prefix="integrity.") == ["integrity.digest-mismatch",
                                                          "integrity.weak-algorithm"]


def test_weak_digests_on_external_artifacts(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES, extra_artifacts=[
        {"id": "corpus", "uri": "https://example.org/c", "kind": "dataset",
         "digest": {"md5": "0" * 32}}])
    assert codes(validate(root), prefix="integrity.") == ["integrity.weak-only"]


def _without_blake3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ALGORITHMS, "blake3", digest.Algorithm("blake3", 64, True, None))


def test_blake3_unavailable_beside_sha256_is_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_blake3(monkeypatch)
    root = make_release(tmp_path / "r", FILES)
    edit(root, 1, digest={"sha256": sha256_hex(FILES["weights.bin"]), "blake3": "a" * 64})
    report = validate(root)
    assert codes(report, prefix="integrity.") == ["integrity.algorithm-unavailable"]
    assert report.ok


def test_blake3_only_and_unavailable_is_unverified(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_blake3(monkeypatch)
    root = make_release(tmp_path / "r", FILES)
    edit(root, 1, digest={"blake3": "a" * 64})
    report = validate(root)
    assert codes(report, prefix="integrity.") == ["integrity.algorithm-unavailable",
                                                  "integrity.unverified"]
    assert not report.ok


def test_blake3_verified_when_installed(tmp_path: Path) -> None:
    blake3 = pytest.importorskip("blake3")
    root = make_release(tmp_path / "r", FILES)
    edit(root, 1, digest={"blake3": blake3.blake3(FILES["weights.bin"]).hexdigest()})
    assert validate(root).ok
    edit(root, 1, digest={"blake3": blake3.blake3(b"other").hexdigest()})
    assert codes(validate(root), prefix="integrity.") == ["integrity.digest-mismatch"]


def test_empty_file_is_still_verified(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"empty.txt": b""})
    assert validate(root).ok
    edit(root, 0, digest={"sha256": sha256_hex(b"not empty")})
    assert codes(validate(root), prefix="integrity.") == ["integrity.digest-mismatch"]
    (root / "empty.txt").write_bytes(b"\n")
    edit(root, 0, digest={"sha256": sha256_hex(b"")})
    assert codes(validate(root), prefix="integrity.") == ["integrity.digest-mismatch",
                                                          "integrity.size-mismatch"]


class _GrowingRelease(Release):
    """A release wrapper whose member streams grow while they are read."""

    def __init__(self, inner: FolderRelease) -> None:
        self.inner = inner
        self.label = inner.label
        self.manifest_name = inner.manifest_name
        self.findings = []

    def entries(self) -> Mapping[str, Entry]:
        return self.inner.entries()

    def read_manifest(self) -> bytes:
        return self.inner.read_manifest()

    def open(self, path: str) -> BinaryIO:
        fh = self.inner.open(path)
        target = self.inner.root / path
        inner = self.inner

        class Growing(io.RawIOBase):
            grown = False

            def readable(self) -> bool:
                return True

            def fileno(self) -> int:
                return fh.fileno()

            def readinto(self, buffer: Any) -> int:
                if path != inner.manifest_name and not self.grown:
                    self.grown = True  # a writer appends once, mid-read
                    with target.open("ab") as out:
                        out.write(b"x")
                return fh.readinto(buffer)  # type: ignore[attr-defined, no-any-return]

            def close(self) -> None:
                fh.close()
                super().close()

        return io.BufferedReader(Growing())


def test_file_changing_while_hashed(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"log.txt": b"line\n" * 1000})
    release = _GrowingRelease(FolderRelease(root, "rebuild.yaml", "r"))
    report = validate(release)
    found = integrity(report)
    assert [(f.code, f.artifact) for f in found] == [
        ("integrity.changed-while-reading", "log.txt")]
    assert not report.ok


def test_structure_only_run_checks_presence_and_size(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    (root / "weights.bin").write_bytes(os.urandom(4096))  # same size, other bytes
    report = validate(root, Options(hash_files=False))
    assert codes(report, prefix="integrity.") == ["integrity.not-hashed"]
    (root / "weights.bin").write_bytes(b"short")
    (root / "src/train.py").unlink()
    assert codes(validate(root, Options(hash_files=False)), prefix="integrity.") == [
        "integrity.missing", "integrity.not-hashed", "integrity.size-mismatch"]


def test_progress_is_reported(tmp_path: Path) -> None:
    class Progress:
        def __init__(self) -> None:
            self.total = -1
            self.done = 0

        def start(self, description: str, total: int) -> None:
            self.total = total

        def advance(self, amount: int) -> None:
            self.done += amount

        def finish(self) -> None:
            pass

    progress = Progress()
    root = make_release(tmp_path / "r", FILES)
    validate(root, Options(progress=progress))
    assert progress.total == progress.done == sum(len(d) for d in FILES.values())


# -- properties ----------------------------------------------------------------------

_files = st.dictionaries(
    st.sampled_from(["a.txt", "b/c.bin", "d/e/f.py", "g.dat"]),
    st.binary(min_size=1, max_size=300), min_size=1, max_size=4)

_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _fresh(tmp_path: Path, files: dict[str, bytes]) -> Path:
    shutil.rmtree(tmp_path / "r", ignore_errors=True)
    return make_release(tmp_path / "r", files)


@_SETTINGS
@given(files=_files, data=st.data())
def test_property_single_flipped_byte_is_caught(
        tmp_path: Path, files: dict[str, bytes], data: st.DataObject) -> None:
    root = _fresh(tmp_path, files)
    name = data.draw(st.sampled_from(sorted(files)))
    content = bytearray(files[name])
    pos = data.draw(st.integers(min_value=0, max_value=len(content) - 1))
    content[pos] ^= 1 << data.draw(st.integers(min_value=0, max_value=7))
    (root / name).write_bytes(bytes(content))
    report = validate(root)
    assert [(f.code, f.artifact) for f in integrity(report)] == [
        ("integrity.digest-mismatch", next(
            a["id"] for a in read_manifest(root)["artifacts"] if a["path"] == name))]


@_SETTINGS
@given(files=_files, data=st.data())
def test_property_same_size_replacement_and_truncation_are_caught(
        tmp_path: Path, files: dict[str, bytes], data: st.DataObject) -> None:
    root = _fresh(tmp_path, files)
    name = data.draw(st.sampled_from(sorted(files)))
    original = files[name]
    if data.draw(st.booleans()):
        new = data.draw(st.binary(min_size=len(original), max_size=len(original)).filter(
            lambda b: b != original))
        expected = ["integrity.digest-mismatch"]
    else:
        new = original[: data.draw(st.integers(min_value=0, max_value=len(original) - 1))]
        expected = ["integrity.digest-mismatch", "integrity.size-mismatch"]
    (root / name).write_bytes(new)
    assert codes(validate(root), prefix="integrity.") == expected


def test_missing_file_stored_under_its_nfd_name_gets_a_hint(tmp_path: Path) -> None:
    import unicodedata

    nfc = unicodedata.normalize("NFC", "café.txt")
    root = make_release(tmp_path / "r", {nfc: b"x"})
    (root / nfc).rename(root / unicodedata.normalize("NFD", nfc))
    found = integrity(validate(root))
    assert [f.code for f in found] == ["integrity.missing"]
    assert found[0].hint is not None
    assert "normalisation" in found[0].hint
