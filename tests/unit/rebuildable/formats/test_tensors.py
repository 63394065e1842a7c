"""Weights and arrays: safetensors and GGUF (corpus and minimal writers), NumPy .npy/.npz
written by numpy, pickles."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile

import numpy as np
import pytest

from rebuildable.formats import sniff
from tests.support import formats_build as fb
from tests.support.formats_build import sniff_bytes, sniff_corpus

# -- safetensors -----------------------------------------------------------------------------


def test_corpus_safetensors_overall() -> None:
    info = sniff_corpus("formats/safetensors_overall.safetensors")
    assert info.format == "safetensors"
    assert info.family == "weights"
    assert info.problems == []
    assert info.details["tensors"] == 9
    dtypes = ("F16", "F32", "F64", "I16", "I32", "I8", "U16", "U32", "U8")
    assert info.details["dtypes"] == dict.fromkeys(dtypes, 1)
    assert info.details["metadata_keys"] == ["test"]
    assert info.details["parameters"] == 9 * 6


def test_corpus_safetensors_single() -> None:
    info = sniff_corpus("formats/safetensors_f.safetensors")
    assert (info.format, info.details["tensors"], info.details["dtypes"]) == (
        "safetensors", 1, {"F32": 1})
    assert info.problems == []


def _weights() -> dict[str, tuple[str, list[int], bytes]]:
    return {"w": ("F32", [2, 3], np.arange(6, dtype="<f4").tobytes()),
            "b": ("BF16", [3], b"\0" * 6), "mask": ("BOOL", [4], b"\x01\x00\x01\x00")}


def test_safetensors_writer_is_clean() -> None:
    info = sniff_bytes(fb.safetensors(_weights(), metadata={"format": "pt"}))
    assert info.problems == []
    assert info.details["tensors"] == 3
    assert info.details["dtypes"] == {"BF16": 1, "BOOL": 1, "F32": 1}


def _header(data: bytes) -> dict[str, object]:
    import json

    n = struct.unpack("<Q", data[:8])[0]
    out: dict[str, object] = json.loads(data[8:8 + n])
    return out


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda h: h["w"].update(data_offsets=[0, 10_000]), "outside"),
    (lambda h: h["w"].update(dtype="F99"), "unknown dtype"),
    (lambda h: h["w"].update(shape=[2, 2]), "expected 16"),
    (lambda h: h["w"].update(shape=[-1, 6]), "non-negative"),
    (lambda h: h["w"].update(data_offsets=[4]), "data_offsets"),
    (lambda h: h["b"].update(data_offsets=[20, 26]), "overlaps"),
    (lambda h: h.update(__metadata__={"n": 1}), "__metadata__"),
    (lambda h: h.update(x=[1, 2]), "not an object"),
])
def test_safetensors_broken_headers(mutate: object, needle: str) -> None:
    good = fb.safetensors(_weights())
    header = _header(good)
    mutate(header)  # type: ignore[operator]
    n = struct.unpack("<Q", good[:8])[0]
    data = fb.safetensors({}, header_override=header) + good[8 + n:]
    info = sniff_bytes(data)
    assert info.format == "safetensors"
    assert any(needle in p for p in info.problems), info.problems


def test_safetensors_size_must_match() -> None:
    info = sniff_bytes(fb.safetensors(_weights(), tail=b"\0" * 8))
    assert any("does not match" in p for p in info.problems)
    good = fb.safetensors(_weights())
    assert sniff_bytes(good[:-3]).problems


def test_safetensors_bad_json_and_duplicate_keys() -> None:
    raw = b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "a": {}}'
    data = struct.pack("<Q", len(raw)) + raw + b"\0"
    assert any("twice" in p for p in sniff_bytes(data).problems)
    raw = b'{"a": nope}'
    assert sniff_bytes(struct.pack("<Q", len(raw)) + raw).problems
    raw = b"[1, 2]"
    # a header that is not an object does not even look like safetensors (no '{')
    assert sniff_bytes(struct.pack("<Q", len(raw)) + raw).format is None


def test_safetensors_header_bound_is_enforced() -> None:
    from rebuildable.formats.tensors import SAFETENSORS_HEADER_CAP

    n = SAFETENSORS_HEADER_CAP + 1
    head = struct.pack("<Q", n) + b"{"

    class Huge(io.RawIOBase):
        pos = 0

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def seek(self, off: int, whence: int = 0) -> int:
            self.pos = off
            return off

        def read(self, k: int = -1) -> bytes:
            out = (head + b" " * 64)[self.pos:self.pos + k]
            self.pos += len(out)
            return out

    info = sniff(Huge, "big.safetensors", n + 100)  # type: ignore[arg-type]
    assert info.format == "safetensors"
    assert any("limit" in p for p in info.problems)


# -- GGUF ------------------------------------------------------------------------------------


def test_corpus_gguf_vocab() -> None:
    info = sniff_corpus("formats/llama.cpp_ggml-vocab-bert-bge.gguf")
    assert info.format == "gguf"
    assert info.problems == []
    assert info.details["version"] == 3
    assert info.details["tensors"] == 0
    assert info.details["kv"] == 20
    assert info.details["architecture"] == "bert"
    assert info.details["data_offset"] == 627549  # parses to exact EOF


def test_corpus_gguf_mangled_is_malformed() -> None:
    info = sniff_corpus("formats/llama-jni-bridge_ggml-vocab-bert-bge.MANGLED.gguf")
    assert info.format == "gguf"
    assert info.problems
    assert "key 5" in info.problems[0]


@pytest.mark.parametrize("version", [1, 2, 3])
def test_gguf_writer(version: int) -> None:
    data = fb.gguf(version=version,
                   kv=[("general.architecture", 8, "llama"), ("general.alignment", 4, 32),
                       ("tokenizer.ggml.tokens", 9, ["a", "b", "c"])],
                   tensors=[("tok_embd.weight", [4, 2], 0, b"\0" * 32),
                            ("out.weight", [2], 1, b"\0" * 4)])
    info = sniff_bytes(data)
    assert info.format == "gguf"
    assert info.problems == []
    assert info.details["tensors"] == 2
    assert info.details["kv"] == 3
    assert info.details["architecture"] == "llama"
    assert info.details["ggml_types"] == {"0": 1, "1": 1}
    cut = sniff_bytes(data[:-30])  # into the last tensor's 4 bytes
    assert any("truncated" in p for p in cut.problems)


def test_gguf_bad_alignment_and_version() -> None:
    data = fb.gguf(kv=[("general.alignment", 4, 24)])
    assert any("power of two" in p for p in sniff_bytes(data).problems)
    assert sniff_bytes(b"GGUF" + struct.pack("<I", 9) + b"\0" * 16).problems


# -- NumPy -------------------------------------------------------------------------------


def _npy(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


@pytest.mark.parametrize("arr", [np.zeros((3, 4), "<f4"), np.arange(10, dtype=">i8"),
                                 np.array([True, False]), np.array(["ab", "c"]),
                                 np.zeros((0, 5), "f2"), np.float64(3.5)])
def test_npy_written_by_numpy(arr: np.ndarray) -> None:
    data = _npy(np.asarray(arr))
    info = sniff_bytes(data)
    assert info.format == "npy"
    assert info.problems == []
    assert info.details["shape"] == list(np.asarray(arr).shape)
    assert sniff_bytes(data[:-1]).problems if np.asarray(arr).nbytes else True


def test_npy_object_array_is_a_pickle() -> None:
    info = sniff_bytes(_npy(np.array([{"a": 1}, None], dtype=object), allow_pickle=True))
    assert info.format == "npy"
    assert info.details["pickle"] is True


def test_npy_header_is_never_evaluated() -> None:
    header = b"{'descr': __import__('os').system('false'), 'fortran_order': False, 'shape': (1,)}"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header
    info = sniff_bytes(data)
    assert info.format == "npy"
    assert any("literal" in p for p in info.problems)


def test_npz_written_by_numpy() -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, a=np.zeros(3), b=np.ones((2, 2), "i4"))
    info = sniff_bytes(buf.getvalue(), "arrays.npz")
    assert info.format == "npz"
    assert info.details["arrays"] == 2
    assert info.problems == []
    buf = io.BytesIO()
    np.savez(buf, o=np.array([None], dtype=object))
    assert sniff_bytes(buf.getvalue(), "x.npz").details.get("pickle") is True


def test_raw_pickle_and_pytorch_zip() -> None:
    info = sniff_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=4), "model.pt")
    assert info.format == "pickle"
    assert info.details["pickle"] is True
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
        zf.writestr("archive/data/0", b"\0" * 16)
        zf.writestr("archive/version", "3\n")
    info = sniff_bytes(buf.getvalue(), "model.pt")
    assert (info.format, info.family, info.details["pickle"]) == ("pytorch", "weights", True)


def test_hdf5_magic() -> None:
    assert sniff_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100).format == "hdf5"


def _gguf_of_empty_tensor_infos(count: int) -> bytes:
    # version 3, ``count`` tensor infos of an empty name, no dimension, type F32, offset 0
    head = b"GGUF" + struct.pack("<IQQ", 3, count, 0)
    return head + (struct.pack("<QIIQ", 0, 0, 0, 0) * count)


def test_a_gguf_of_too_many_tensor_infos_is_not_walked() -> None:
    """4 million tensor infos (a 94 MB file that gzip makes 100 KB) took 20 s and 190 MB to
    walk. Past ENTRY_CAP the walk is a note, and the problems it would list stay bounded."""
    import tracemalloc

    from rebuildable.formats import ENTRY_CAP

    data = _gguf_of_empty_tensor_infos(ENTRY_CAP + 1)
    tracemalloc.start()
    try:
        info = sniff_bytes(data, "m.gguf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.format == "gguf"
    assert any(f"more than {ENTRY_CAP}" in n for n in info.notes), info.notes
    assert not info.problems
    assert peak < len(data)  # nothing was walked: the file is not even read whole


def test_misaligned_tensor_offsets_are_listed_a_bounded_number_of_times() -> None:
    count = 5000
    head = b"GGUF" + struct.pack("<IQQ", 3, count, 0)
    data = head + b"".join(struct.pack("<QIIQ", 0, 0, 0, 1) for _ in range(count))
    info = sniff_bytes(data, "m.gguf")
    assert 0 < len(info.problems) <= 21
