"""Fuzzing the format sniffers (src/rebuildable/formats/*): whatever the bytes, sniffing
returns a FormatInfo (damage in ``problems``), never raises, never hangs."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.mutate import bounded_time, mutated
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


SEEDS = {
    "psd": fb.psd(),
    "xcf": fb.xcf(),
    "safetensors": fb.safetensors({"w": ("F32", [2, 2], b"\0" * 16),
                                   "b": ("U8", [3], b"abc")}, metadata={"f": "pt"}),
    "gguf": fb.gguf(kv=[("general.architecture", 8, "llama"), ("n", 4, 3)],
                    tensors=[("t", [4], 0, b"\0" * 16)]),
    "npy": _npy(),
    "npz": _zip({"a.npy": _npy()}),
    "ora": _zip({"mimetype": b"image/openraster",
                 "stack.xml": b"<image w='1' h='1'><stack><layer src='a.png'/></stack></image>"}),
    "tar": _tar(),
    "gz": gzip.compress(b"hello" * 100),
    "svg": b"<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'><g/></svg>",
    "png": (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
            + struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0) + b"\0" * 4),
    "elf": b"\x7fELF\x02\x01\x01" + b"\0" * 57,
}
NAMES = {"psd": "a.psd", "xcf": "a.xcf", "safetensors": "w.safetensors", "gguf": "m.gguf",
         "npy": "a.npy", "npz": "a.npz", "ora": "a.ora", "tar": "a.tar", "gz": "a.gz",
         "svg": "a.svg", "png": "a.png", "elf": "a.out"}


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_mutated_files_are_described_never_crash(kind: str) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(data=mutated([SEEDS[kind]]))
    def run(data: bytes) -> None:
        with bounded_time(f"sniffing a mutated {kind}"):
            info = fb.sniff_bytes(data, NAMES[kind])
        assert isinstance(info.problems, list)
        info.to_dict()

    run()
