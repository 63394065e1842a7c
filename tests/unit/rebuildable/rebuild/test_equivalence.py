"""Equivalence policies: each accepts what it should and refuses what it should, and a
difference is located (offset, line, tensor index, pixel, member)."""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from rebuildable.rebuild import equivalence
from rebuildable.rebuild.equivalence import (
    EquivalencePolicy,
    PolicyError,
    compare,
    parse_policy,
    read_safetensors,
)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def pair(tmp_path: Path, a: bytes, b: bytes, suffix: str = "") -> tuple[Path, Path]:
    return write(tmp_path / f"rebuilt{suffix}", a), write(tmp_path / f"published{suffix}", b)


# -- policies ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["exact", "text", "numeric", "image", "archive",
                                 {"numeric": {"rtol": 1e-3, "atol": 0}},
                                 {"image": {"tolerance": 2, "max-differing": 0.01,
                                            "min-psnr": 40}},
                                 {"archive": {"members": {"numeric": {"rtol": 0.1}}}},
                                 {"text": {}}, None])
def test_known_policies_parse(raw: Any) -> None:
    policy = parse_policy(raw)
    assert policy.name in equivalence.POLICIES


@pytest.mark.parametrize("raw", ["fuzzy", {"numeric": {"rtol": -1}}, {"numeric": {"eps": 1}},
                                 {"image": {"tolerance": True}}, {"exact": 1},
                                 {"a": {}, "b": {}}, 3, {"archive": {"members": "nope"}}])
def test_unknown_policies_are_refused(raw: Any) -> None:
    with pytest.raises(PolicyError):
        parse_policy(raw)


# -- exact ------------------------------------------------------------------------------


def test_identical_bytes_pass_every_policy_without_optional_packages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(equivalence.optional, "numpy_module", lambda: None)
    a, b = pair(tmp_path, b"same", b"same")
    for name in equivalence.POLICIES:
        result = compare(a, b, EquivalencePolicy(name))
        assert result.equal
        assert result.identical


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=3000), st.data())
def test_exact_reports_the_first_differing_offset(data: bytes, draw: st.DataObject) -> None:
    import tempfile

    offset = draw.draw(st.integers(0, len(data) - 1))
    changed = bytearray(data)
    changed[offset] ^= 0xFF
    with tempfile.TemporaryDirectory() as tmp:
        a, b = pair(Path(tmp), bytes(changed), data)
        result = compare(a, b)
    assert not result.equal
    diff = result.details["bytes"]
    assert diff["offset"] == offset
    assert diff["context_start"] == max(0, offset - 8)
    assert bytes.fromhex(diff["rebuilt_hex"].replace(" ", "")) == bytes(
        changed[diff["context_start"]:diff["context_start"] + 16])


def test_exact_reports_truncation_at_the_shorter_length(tmp_path: Path) -> None:
    a, b = pair(tmp_path, b"abc", b"abcdef")
    result = compare(a, b)
    assert result.details["bytes"]["offset"] == 3
    assert "sizes 3 rebuilt, 6 published" in result.summary


def test_exact_difference_beyond_the_first_chunk(tmp_path: Path) -> None:
    big = bytes(3 * equivalence.CHUNK)
    changed = bytearray(big)
    changed[2 * equivalence.CHUNK + 5] = 1
    a, b = pair(tmp_path, bytes(changed), big)
    assert compare(a, b).details["bytes"]["offset"] == 2 * equivalence.CHUNK + 5


# -- text -------------------------------------------------------------------------------


def test_text_accepts_line_endings_and_trailing_whitespace(tmp_path: Path) -> None:
    a, b = pair(tmp_path, b"one  \r\ntwo\t\rthree\r\n\r\n", b"one\ntwo\nthree")
    result = compare(a, b, EquivalencePolicy("text"))
    assert result.equal
    assert not result.identical


def test_text_refuses_a_changed_line_and_names_it(tmp_path: Path) -> None:
    a, b = pair(tmp_path, b"one\ntwo\nTHREE\n", b"one\r\ntwo\r\nthree\r\n")
    result = compare(a, b, EquivalencePolicy("text"))
    assert not result.equal
    assert result.details["line"] == 3
    assert result.details["rebuilt"] == "THREE"
    assert result.details["published"] == "three"


def test_text_refuses_leading_whitespace_and_missing_lines(tmp_path: Path) -> None:
    a, b = pair(tmp_path, b" one\n", b"one\n")
    assert not compare(a, b, EquivalencePolicy("text")).equal
    a, b = pair(tmp_path, b"one\n", b"one\ntwo\n")
    result = compare(a, b, EquivalencePolicy("text"))
    assert not result.equal
    assert "ends after line 1" in result.summary


# -- numeric ----------------------------------------------------------------------------


def npy(arr: Any) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npz(**arrays: Any) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def safetensors(tensors: dict[str, Any], metadata: dict[str, str] | None = None,
                dtypes: dict[str, str] | None = None) -> bytes:
    names = {"float32": "F32", "float64": "F64", "float16": "F16", "int64": "I64",
             "int32": "I32", "uint8": "U8", "bool": "BOOL"}
    header: dict[str, Any] = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).tobytes()
        dtype = (dtypes or {}).get(name) or names[str(arr.dtype)]
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


BASE = np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("encode", [npy, lambda a: npz(w=a), lambda a: safetensors({"w": a})],
                         ids=["npy", "npz", "safetensors"])
def test_numeric_accepts_noise_within_tolerance_and_refuses_beyond(
        tmp_path: Path, encode: Any) -> None:
    noisy = BASE.copy()
    noisy[1, 2, 3] += 1e-6
    a, b = pair(tmp_path, encode(noisy), encode(BASE))
    ok = compare(a, b, EquivalencePolicy("numeric", {"rtol": 1e-5, "atol": 1e-6}))
    assert ok.equal
    assert not ok.identical
    assert 0 < ok.details["max_abs_diff"] < 2e-6
    assert ok.details["differing"] == 0
    refused = compare(a, b, EquivalencePolicy("numeric", {"rtol": 0, "atol": 1e-9}))
    assert not refused.equal
    assert refused.details["differing"] == 1
    assert refused.details["first_difference"]["index"] == [1, 2, 3]
    assert "index [1, 2, 3]" in refused.summary


def test_numeric_uses_numpy_isclose_semantics(tmp_path: Path) -> None:
    published = np.array([100.0, 0.0, np.nan, np.inf], dtype=np.float64)
    rebuilt = np.array([100.5, 0.0, np.nan, np.inf], dtype=np.float64)
    a, b = pair(tmp_path, npy(rebuilt), npy(published))
    # |a-b| = 0.5 <= atol + rtol*|b| = 0 + 0.005*100
    assert compare(a, b, EquivalencePolicy("numeric", {"rtol": 0.005, "atol": 0})).equal
    assert not compare(a, b, EquivalencePolicy("numeric", {"rtol": 0.004, "atol": 0})).equal
    # relative to the published value, not the rebuilt one
    a2, b2 = pair(tmp_path, npy(published), npy(rebuilt))
    assert not compare(a2, b2, EquivalencePolicy("numeric", {"rtol": 0.004975, "atol": 0})).equal


def test_numeric_reports_max_abs_and_relative_difference(tmp_path: Path) -> None:
    a, b = pair(tmp_path, npy(np.array([1.0, 2.5, 4.0])), npy(np.array([1.0, 2.0, 4.0])))
    result = compare(a, b, EquivalencePolicy("numeric", {"rtol": 0, "atol": 0}))
    assert result.details["max_abs_diff"] == pytest.approx(0.5)
    assert result.details["max_rel_diff"] == pytest.approx(0.25)
    assert result.details["differing"] == 1
    assert result.details["elements"] == 3


@pytest.mark.parametrize(("rebuilt", "published", "what"), [
    ({"w": BASE}, {"w": BASE.astype(np.float64)}, "dtype"),
    ({"w": BASE.reshape(6, 4)}, {"w": BASE}, "shape"),
    ({"v": BASE}, {"w": BASE}, "missing"),
    ({"w": BASE, "extra": BASE}, {"w": BASE}, "only in the rebuilt"),
])
def test_numeric_structure_mismatches_are_differences(
        tmp_path: Path, rebuilt: dict[str, Any], published: dict[str, Any], what: str) -> None:
    a, b = pair(tmp_path, safetensors(rebuilt), safetensors(published))
    result = compare(a, b, EquivalencePolicy("numeric", {"rtol": 1, "atol": 1}))
    assert not result.equal
    assert what in result.summary


def test_numeric_integers_must_be_equal(tmp_path: Path) -> None:
    a, b = pair(tmp_path, safetensors({"ids": np.array([1, 2, 4], dtype=np.int64)}),
                safetensors({"ids": np.array([1, 2, 3], dtype=np.int64)}))
    result = compare(a, b, EquivalencePolicy("numeric", {"rtol": 1, "atol": 10}))
    assert not result.equal
    assert result.details["first_difference"]["index"] == [2]


def test_numeric_safetensors_metadata_is_compared(tmp_path: Path) -> None:
    a, b = pair(tmp_path, safetensors({"w": BASE}, {"format": "pt"}),
                safetensors({"w": BASE}, {"format": "np"}))
    assert "__metadata__" in compare(a, b, EquivalencePolicy("numeric")).summary


def test_bf16_is_read_as_float(tmp_path: Path) -> None:
    values = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    raw = (values.view(np.uint32) >> 16).astype(np.uint16)
    path = write(tmp_path / "bf16.safetensors", safetensors({"w": raw}, dtypes={"w": "BF16"}))
    tensor = read_safetensors(path).tensors["w"]
    assert tensor.dtype == "BF16"
    assert tensor.array.tolist() == [1.0, -2.0, 0.5]


@pytest.mark.parametrize("blob", [
    b"",
    struct.pack("<Q", 1 << 40) + b"{}",
    struct.pack("<Q", 2) + b"[]",
    struct.pack("<Q", 28) + b'{"a":{},"a":{}}             ',
    safetensors({"w": BASE})[:-4],
])
def test_hostile_safetensors_are_differences_not_crashes(tmp_path: Path, blob: bytes) -> None:
    a, b = pair(tmp_path, blob, safetensors({"w": BASE}))
    result = compare(a, b, EquivalencePolicy("numeric"))
    assert not result.equal
    assert "not a readable tensor file" in result.summary


def test_numeric_without_numpy_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(equivalence.optional, "numpy_module", lambda: None)
    a, b = pair(tmp_path, npy(BASE + 1e-7), npy(BASE))
    result = compare(a, b, EquivalencePolicy("numeric"))
    assert not result.equal
    assert result.unavailable is not None
    assert "rebuildable[numeric]" in result.unavailable


def test_npy_with_pickled_objects_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    a, b = pair(tmp_path, buf.getvalue(), npy(BASE))
    result = compare(a, b, EquivalencePolicy("numeric"))
    assert not result.equal
    assert "object" in result.summary.lower()


# -- image ------------------------------------------------------------------------------


def png(arr: Any, mode: str | None = None, **save: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, "PNG", **save)
    return buf.getvalue()


GRADIENT = np.tile(np.arange(64, dtype=np.uint8)[None, :, None], (32, 1, 3))


def test_image_same_pixels_other_encoding_is_equivalent(tmp_path: Path) -> None:
    a, b = pair(tmp_path, png(GRADIENT, compress_level=1), png(GRADIENT, compress_level=9))
    assert a.read_bytes() != b.read_bytes()
    result = compare(a, b, EquivalencePolicy("image"))
    assert result.equal
    assert result.details["identical_pixels"]


def test_image_tolerance_accepts_and_refuses(tmp_path: Path) -> None:
    noisy = GRADIENT.copy()
    noisy[5, 7, 1] += 2
    noisy[9, 3, 0] += 1
    a, b = pair(tmp_path, png(noisy), png(GRADIENT))
    assert compare(a, b, EquivalencePolicy("image", {"tolerance": 2})).equal
    refused = compare(a, b, EquivalencePolicy("image", {"tolerance": 1}))
    assert not refused.equal
    assert refused.details["differing_pixels"] == 1
    assert refused.details["first_pixel"] == {"frame": 0, "x": 7, "y": 5}
    assert refused.details["psnr"] is not None
    assert refused.details["psnr"] > 50
    assert compare(a, b, EquivalencePolicy("image", {"max-differing": 2 / (64 * 32)})).equal
    assert not compare(a, b, EquivalencePolicy("image", {"max-differing": 1, "min-psnr": 80})).equal


def test_image_size_and_mode_mismatch(tmp_path: Path) -> None:
    a, b = pair(tmp_path, png(GRADIENT[:16]), png(GRADIENT))
    assert "size 64x16" in compare(a, b, EquivalencePolicy("image", {"tolerance": 255})).summary
    a, b = pair(tmp_path, png(GRADIENT[:, :, 0]), png(GRADIENT))
    assert "mode L" in compare(a, b, EquivalencePolicy("image", {"tolerance": 255})).summary


def test_image_not_an_image(tmp_path: Path) -> None:
    a, b = pair(tmp_path, b"not a png", png(GRADIENT))
    result = compare(a, b, EquivalencePolicy("image"))
    assert not result.equal
    assert "not a readable image" in result.summary


# -- archives ---------------------------------------------------------------------------


def zip_bytes(members: list[tuple[str, bytes]],
              date: tuple[int, int, int, int, int, int] = (2020, 1, 1, 0, 0, 0),
              compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date)
            info.compress_type = compression
            zf.writestr(info, data)
    return buf.getvalue()


def tar_bytes(members: list[tuple[str, bytes]], mtime: int = 0, mode: int = 0o644) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), mtime, mode
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


MEMBERS = [("a.txt", b"alpha\n"), ("dir/b.bin", bytes(range(256)))]


def test_archive_ignores_order_timestamps_and_compression(tmp_path: Path) -> None:
    a, b = pair(tmp_path, zip_bytes(MEMBERS[::-1], (2024, 5, 6, 7, 8, 10), zipfile.ZIP_STORED),
                zip_bytes(MEMBERS))
    result = compare(a, b, EquivalencePolicy("archive"))
    assert result.equal
    assert not result.identical
    a, b = pair(tmp_path, tar_bytes(MEMBERS[::-1], mtime=12345), tar_bytes(MEMBERS))
    assert compare(a, b, EquivalencePolicy("archive")).equal


def test_archive_content_difference_names_the_member_and_offset(tmp_path: Path) -> None:
    changed = [("a.txt", b"alphA\n"), MEMBERS[1]]
    a, b = pair(tmp_path, zip_bytes(changed), zip_bytes(MEMBERS))
    result = compare(a, b, EquivalencePolicy("archive"))
    assert not result.equal
    assert result.details["differing_members"][0]["member"] == "a.txt"
    assert "offset 4" in result.summary


def test_archive_missing_extra_and_permissions(tmp_path: Path) -> None:
    a, b = pair(tmp_path, zip_bytes([MEMBERS[0], ("c.txt", b"")]), zip_bytes(MEMBERS))
    result = compare(a, b, EquivalencePolicy("archive"))
    assert result.details["missing_members"] == ["dir/b.bin"]
    assert result.details["extra_members"] == ["c.txt"]
    a, b = pair(tmp_path, tar_bytes(MEMBERS, mode=0o755), tar_bytes(MEMBERS))
    assert "permissions 755" in compare(a, b, EquivalencePolicy("archive")).summary


def test_archive_zip_versus_tar(tmp_path: Path) -> None:
    a, b = pair(tmp_path, tar_bytes(MEMBERS), zip_bytes(MEMBERS))
    assert "tar archive rebuilt vs zip" in compare(a, b, EquivalencePolicy("archive")).summary


def test_archive_duplicate_members_are_a_difference(tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dup = zip_bytes([*MEMBERS, ("a.txt", b"alpha\n")])
    a, b = pair(tmp_path, dup, zip_bytes(MEMBERS))
    assert "duplicate members" in compare(a, b, EquivalencePolicy("archive")).summary


def test_archive_members_policy_numeric_and_image(tmp_path: Path) -> None:
    noisy = BASE + np.float32(1e-7)
    a, b = pair(tmp_path, zip_bytes([("w.npy", npy(noisy))]), zip_bytes([("w.npy", npy(BASE))]))
    assert not compare(a, b, EquivalencePolicy("archive")).equal
    ok = compare(a, b, EquivalencePolicy("archive", {"members": {"numeric": {"rtol": 1e-5}}}))
    assert ok.equal
    assert ok.details["equivalent_members"][0]["member"] == "w.npy"
    # an ORA-like layered image: the same stack.xml, re-encoded layers
    ora = [("mimetype", b"image/openraster"), ("stack.xml", b"<image/>")]
    a, b = pair(tmp_path, zip_bytes([*ora, ("data/l0.png", png(GRADIENT, compress_level=1))]),
                zip_bytes([*ora, ("data/l0.png", png(GRADIENT, compress_level=9))]))
    assert compare(a, b, EquivalencePolicy("archive", {"members": "image"})).equal
    assert not compare(a, b, EquivalencePolicy("archive")).equal


def test_not_an_archive(tmp_path: Path) -> None:
    a, b = pair(tmp_path, b"plain", b"plain text")
    result = compare(a, b, EquivalencePolicy("archive"))
    assert not result.equal
    assert "neither a zip nor a tar" in result.summary


def test_archive_extraction_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(equivalence.archive, "MAX_EXTRACT_BYTES", 1000)
    big = [("big.bin", bytes(5000))]
    a, b = pair(tmp_path, zip_bytes(big), zip_bytes(big, compression=zipfile.ZIP_STORED))
    result = compare(a, b, EquivalencePolicy("archive"))
    assert not result.equal
    assert "too large" in result.summary


_LINE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINE, max_size=8), st.data())
def test_text_equivalence_ignores_exactly_endings_and_trailing_blanks(
        lines: list[str], data: st.DataObject) -> None:
    import tempfile

    # a lone "\r" before a "\n" would make one "\r\n" ending: CR alone is tested elsewhere
    endings = data.draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines),
                                 max_size=len(lines)))
    pads = data.draw(st.lists(st.sampled_from(["", " ", "\t", "  \t"]), min_size=len(lines),
                              max_size=len(lines)))
    published = "".join(f"{ln}\n" for ln in lines).encode()
    messy = "".join(f"{ln}{pad}{end}" for ln, pad, end in zip(lines, pads, endings, strict=True))
    messy += data.draw(st.sampled_from(["", "\n", "\r\n\r\n"]))
    with tempfile.TemporaryDirectory() as tmp:
        a, b = pair(Path(tmp), messy.encode(), published)
        assert compare(a, b, EquivalencePolicy("text")).equal
        # and one changed character that is not trailing whitespace is always caught
        if any(ln.rstrip(" \t\f\v") for ln in lines):
            i = next(k for k, ln in enumerate(lines) if ln.rstrip(" \t\f\v"))
            changed = list(lines)
            changed[i] = "\u00a7" + changed[i]
            a2, _ = pair(Path(tmp), "".join(f"{ln}\n" for ln in changed).encode(), published)
            result = compare(a2, b, EquivalencePolicy("text"))
            assert not result.equal
            assert result.details["line"] == i + 1
