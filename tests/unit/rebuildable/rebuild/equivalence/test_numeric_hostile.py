"""Comparators on files a step made to break them: a difference, never a crash or a
memory blow-up (numeric .npz, archives with damaged compressed data)."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rebuildable.rebuild.equivalence import EquivalencePolicy, compare, numeric


def _npz_with_text_member(path: Path) -> Path:
    """Hostile asset: an .npz (a zip) holding a real array and a member that is not a
    .npy file; numpy returns that member as bytes, which has no dtype."""
    buf = io.BytesIO()
    np.save(buf, np.arange(3.0), allow_pickle=False)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", buf.getvalue())
        zf.writestr("notes.txt", b"not an array")
    return path


def test_npz_with_a_non_array_member_is_a_difference(tmp_path: Path) -> None:
    hostile = _npz_with_text_member(tmp_path / "rebuilt.npz")
    honest = tmp_path / "published.npz"
    np.savez(honest, w=np.arange(3.0))
    for a, b, who in ((hostile, honest, "rebuilt"), (honest, hostile, "published")):
        result = compare(a, b, EquivalencePolicy("numeric", {"rtol": 1e-5}))
        assert not result.equal
        assert f"the {who} file is not a readable tensor file" in result.summary
        assert "notes.txt" in result.summary


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    text += " " * ((64 - (10 + len(text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _patched(path: Path, edit: Callable[[bytearray], None]) -> Path:
    raw = bytearray(path.read_bytes())
    edit(raw)
    path.write_bytes(bytes(raw))
    return path


def _encrypted(raw: bytearray) -> None:
    raw[6] |= 1  # the "encrypted" flag, in the local and the central header
    raw[raw.rfind(b"PK\x01\x02") + 8] |= 1


def _method_99(raw: bytearray) -> None:
    raw[8:10] = struct.pack("<H", 99)
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 10:central + 12] = struct.pack("<H", 99)


def _corrupt_deflate(raw: bytearray) -> None:
    raw[40:60] = b"\xff" * 20


def hostile_npz(folder: Path) -> dict[str, Path]:
    """Hostile assets: .npz files a step can make that numpy would crash or exhaust
    memory on (each crashed the rebuild with MemoryError, RuntimeError,
    NotImplementedError or zlib.error)."""
    npy = io.BytesIO()
    np.save(npy, np.arange(3.0))
    huge = _npy_header((2**40,)) + bytes(64)
    return {
        "huge-header": _zip(folder / "huge.npz", {"w.npy": huge}),
        "huge-header-other-name": _zip(folder / "named.npz", {"notes.txt": huge}),
        "encrypted": _patched(_zip(folder / "enc.npz", {"w.npy": npy.getvalue()}), _encrypted),
        "unknown-method": _patched(_zip(folder / "m.npz", {"w.npy": npy.getvalue()}),
                                   _method_99),
        "corrupt-deflate": _patched(_zip(folder / "z.npz", {"w.npy": npy.getvalue() * 50},
                                         zipfile.ZIP_DEFLATED), _corrupt_deflate),
    }


@pytest.mark.parametrize("name", ["huge-header", "huge-header-other-name", "encrypted",
                                  "unknown-method", "corrupt-deflate"])
def test_hostile_npz_is_a_difference_not_a_crash(tmp_path: Path, name: str) -> None:
    hostile = hostile_npz(tmp_path)[name]
    honest = tmp_path / "honest.npz"
    np.savez(honest, w=np.arange(3.0))
    result = compare(hostile, honest, EquivalencePolicy("numeric", {}))
    assert not result.equal
    assert "the rebuilt file is not a readable tensor file" in result.summary
    if name.startswith("huge"):
        assert "its header says shape [1099511627776]" in result.summary


def test_npz_members_are_bounded_in_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numeric, "NPZ_MAX_BYTES", 1000)
    big = tmp_path / "big.npz"
    np.savez(big, a=np.zeros(100), b=np.zeros(100))  # 2 x 928 bytes uncompressed
    other = tmp_path / "other.npz"
    np.savez(other, a=np.ones(100), b=np.ones(100))
    result = compare(big, other, EquivalencePolicy("numeric", {}))
    assert not result.equal
    assert "more than 1000 bytes" in result.summary


@pytest.mark.parametrize("compression", ["xz", "gz"])
def test_a_corrupt_compressed_archive_is_a_difference_not_a_crash(tmp_path: Path,
                                                                  compression: str) -> None:
    """The archive policy on a .tar.xz whose data is damaged: LZMAError, which is no
    OSError, crashed the rebuild."""
    data = bytes(range(256)) * 2000
    good = tmp_path / "good.tar"
    opener = tarfile.TarFile.xzopen if compression == "xz" else tarfile.TarFile.gzopen
    with opener(good, "w") as tar:
        for name in ("a", "b"):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bad = tmp_path / "bad.tar"
    raw = bytearray(good.read_bytes())
    middle = len(raw) * 3 // 4
    raw[middle:middle + 40] = bytes(40)
    bad.write_bytes(bytes(raw))
    result = compare(bad, good, EquivalencePolicy("archive", {}))
    assert not result.equal
