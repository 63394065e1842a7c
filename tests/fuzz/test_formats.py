"""Fuzzing the format sniffers (src/rebuildable/formats/*), one seed per format they
recognise: whatever the bytes, sniffing returns a FormatInfo (damage in ``problems``),
never raises, never hides a reader's bug in a note, never hangs. ``--run-slow`` runs
each 25 times longer."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.mutate import assert_no_reader_bug, bounded_time, examples, mutated
from tests.support import formats_build as fb


def _npy() -> bytes:
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 24


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("a.txt")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
    return buf.getvalue()


def _raster(fmt: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (3, 2), (200, 10, 10)).save(buf, fmt)
    return buf.getvalue()


def _pickle() -> bytes:
    import pickle

    return pickle.dumps({"w": [1.0, 2.0]}, protocol=4)


def _wheel() -> bytes:
    return _zip({"pkg/__init__.py": b"", "pkg-1.0.dist-info/WHEEL":
                 b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"})


SEEDS = {
    "psd": fb.psd([("a", None), ("g", 1), ("b", None), ("", 3)]),
    "psb": fb.psd([("a", None)], version=2),
    "xcf": fb.xcf((False, True)),
    "kra": fb.kra(["a", ("group", ["b"])]),
    "ora": fb.ora(["a", ("group", ["b"])]),
    "safetensors": fb.safetensors({"w": ("F32", [2, 2], b"\0" * 16),
                                   "b": ("U8", [3], b"abc")}, metadata={"f": "pt"}),
    "gguf": fb.gguf(kv=[("general.architecture", 8, "llama"), ("n", 4, 3),
                        ("tokens", 9, ["a", "b"])],
                    tensors=[("t", [4], 0, b"\0" * 16)]),
    "onnx": fb.onnx(),
    "pytorch": fb.pytorch(),
    "pickle": _pickle(),
    "keras": _zip({"keras_version": b"3", "config.json": b"{}",
                   "model.weights.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 32}),
    "npy": _npy(),
    "npz": _zip({"a.npy": _npy()}),
    "tar": _tar(),
    "gz": gzip.compress(b"hello" * 100),
    "svg": b"<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'><g/></svg>",
    "svgz": gzip.compress(b"<svg xmlns='http://www.w3.org/2000/svg' width='1'/>"),
    "png": (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
            + struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0) + b"\0" * 4),
    "elf": b"\x7fELF\x02\x01\x01" + b"\0" * 57,
    "pe": b"MZ" + b"\0" * 58 + struct.pack("<I", 64) + b"PE\0\0" + b"\0" * 20,
    "wasm": b"\0asm\x01\0\0\0",
    "java-class": b"\xca\xfe\xba\xbe\0\0\0\x34" + b"\0" * 8,
    "wheel": _wheel(),
    "pdf": b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
}
#: seeds written by Pillow (the image extra): made when the test runs
RASTERS = {"jpeg": "JPEG", "webp": "WEBP", "gif": "GIF", "tiff": "TIFF", "bmp": "BMP",
           "png-pillow": "PNG"}
NAMES = {"psd": "a.psd", "psb": "a.psb", "xcf": "a.xcf", "kra": "a.kra", "ora": "a.ora",
         "safetensors": "w.safetensors", "gguf": "m.gguf", "onnx": "m.onnx",
         "pytorch": "m.pt", "pickle": "m.pkl", "keras": "m.keras", "npy": "a.npy",
         "npz": "a.npz", "tar": "a.tar", "gz": "a.gz", "svg": "a.svg", "svgz": "a.svgz",
         "png": "a.png", "elf": "a.out", "pe": "a.exe", "wasm": "a.wasm",
         "java-class": "A.class", "wheel": "p-1.0-py3-none-any.whl", "pdf": "a.pdf",
         "jpeg": "a.jpg", "webp": "a.webp", "gif": "a.gif", "tiff": "a.tif", "bmp": "a.bmp",
         "png-pillow": "b.png"}


def _seed(kind: str) -> bytes:
    if kind in RASTERS:
        pytest.importorskip("PIL")
        return _raster(RASTERS[kind])
    return SEEDS[kind]


def test_every_seed_is_recognised_before_it_is_mutated() -> None:
    """A seed the sniffer does not recognise fuzzes only the 'unknown bytes' path."""
    for kind in sorted({*SEEDS, *RASTERS}):
        info = fb.sniff_bytes(_seed(kind), NAMES[kind])
        assert info.format is not None, kind


@pytest.mark.parametrize("kind", sorted({*SEEDS, *RASTERS}))
def test_mutated_files_are_described_never_crash(kind: str) -> None:
    seed = _seed(kind)

    @settings(max_examples=examples(60), suppress_health_check=[HealthCheck.too_slow])
    @given(data=mutated([seed]))
    def run(data: bytes) -> None:
        with bounded_time(f"sniffing a mutated {kind}"):
            info = fb.sniff_bytes(data, NAMES[kind])
        assert isinstance(info.problems, list)
        assert_no_reader_bug(info.notes)
        info.to_dict()

    run()
