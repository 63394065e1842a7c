"""Properties of sniffing: it never raises, whatever the bytes, and never reads more than
its bound, whatever size a file claims."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rebuildable.formats import READ_BUDGET, FormatInfo, sniff
from tests.support import formats_build as fb
from tests.support.corpus import CORPUS

MAGICS = [b"", b"8BPS\x00\x01", b"8BPS\x00\x02", b"gimp xcf v011\0", b"gimp xcf file\0",
          b"PK\x03\x04", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\0\0\0\0WEBP", b"GGUF",
          b"GGUF\x03\0\0\0", b"\x93NUMPY\x01\x00", b"\x7fELF\x02\x01\x01", b"MZ",
          b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\x1f\x8b\x08", b"<svg ", b"%PDF-1.4",
          b"II*\0", b"GIF89a", b"BM", b"\x80\x04", b"\0asm", b"BZh9"]


class Counting(io.RawIOBase):
    """A seekable file that counts the bytes handed out; ``size`` may exceed ``data``
    (the rest reads as zeros), so a file can claim gigabytes without holding them."""

    def __init__(self, data: bytes, size: int | None = None) -> None:
        self.data = data
        self.size = len(data) if size is None else size
        self.pos = 0
        self.served = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, b: Any) -> int:
        n = max(0, min(len(b), self.size - self.pos))
        chunk = self.data[self.pos:self.pos + n]
        chunk += b"\0" * (n - len(chunk))
        b[:n] = chunk
        self.pos += n
        self.served += n
        return n


def run(data: bytes, size: int | None = None, name: str = "f") -> tuple[FormatInfo, int]:
    fh = Counting(data, size)
    info = sniff(lambda: fh, name, fh.size)  # type: ignore[arg-type,return-value]
    assert isinstance(info, FormatInfo)
    # the catch-all for sniffer bugs must never be what handled the bytes
    assert not any("reader failed" in n for n in info.notes), info.notes
    return info, fh.served


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(magic=st.sampled_from(MAGICS), tail=st.binary(max_size=2048),
       name=st.sampled_from(["f", "a.npz", "x.svg"]))
def test_random_bytes_never_raise(magic: bytes, tail: bytes, name: str) -> None:
    data = magic + tail
    info, served = run(data, name=name)
    assert served <= READ_BUDGET
    assert all(isinstance(p, str) and p for p in info.problems)


def _samples() -> list[bytes]:
    out = [fb.psd([("a", None), ("g", 1), ("b", None), ("/g", 3)]),
           fb.psd([("a", None)], version=2, store="Lr16", depth=16),
           fb.xcf([False, True, False]), fb.kra(["a", ("g", ["b"])]), fb.ora(["a", "b"]),
           fb.safetensors({"w": ("F32", [3], b"\0" * 12)}),
           fb.gguf(kv=[("general.architecture", 8, "x")],
                   tensors=[("t", [8], 0, b"\1" * 32)])]
    for rel in ("layered/psd-tools_group.psd", "layered/gimpformats_test.xcf",
                "formats/safetensors_overall.safetensors", "layered/psd-tools_1layer.psb",
                "layered/libkra_player.kra", "formats/in-toto-attestation_provenance.svg"):
        path = CORPUS / rel
        if path.is_file():
            out.append(path.read_bytes())
    return out


SAMPLES = _samples()


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, len(SAMPLES) - 1), cut=st.floats(0, 1, exclude_max=True),
       flip=st.one_of(st.none(), st.integers(0, 10**6)))
def test_truncated_or_flipped_files_never_raise(which: int, cut: float, flip: int | None) -> None:
    data = bytearray(SAMPLES[which])
    if flip is not None:
        data[flip % len(data)] ^= 0xFF
    else:
        data = data[:int(len(data) * cut)]
    run(bytes(data))


@pytest.mark.parametrize("sample", [0, 1, 5, 6])
def test_truncation_of_fully_checked_formats_is_always_noticed(sample: int) -> None:
    data = SAMPLES[sample]
    recognised, _ = run(data)
    assert recognised.problems == []
    for cut in range(1, len(data), max(1, len(data) // 50)):
        info, _ = run(data[:cut])
        assert info.problems or info.format is None, cut


HUGE = 8 * 1024**3  # the file claims 8 GiB; only its header exists


@pytest.mark.parametrize("header", [
    fb.psd([("a", None)])[:26] + b"\0" * 8 + (2**31).to_bytes(4, "big"),  # vast layer section
    fb.psd([("a", None)], version=2)[:38],
    (90 * 1024 * 1024).to_bytes(8, "little") + b"{",  # a 90 MiB safetensors header
    b"GGUF\x03\0\0\0" + (0).to_bytes(8, "little") + (1).to_bytes(8, "little")
    + (3).to_bytes(8, "little") + b"k.y" + (9).to_bytes(4, "little") + (8).to_bytes(4, "little")
    + (10**9).to_bytes(8, "little"),  # an array of a billion strings
    b"gimp xcf v011\0" + b"\0\0\0\1" * 4,
    b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR" + b"\0\0\1\0" * 2 + b"\x08\x02\0\0\0" + b"\0" * 4,
    b'<svg xmlns="http://www.w3.org/2000/svg">',
    b"\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (10**9,), }",
])
def test_huge_claimed_sizes_read_a_bounded_amount(header: bytes) -> None:
    info, served = run(header, HUGE)
    assert served <= READ_BUDGET + 1024 * 1024
    assert isinstance(info, FormatInfo)


def test_zip_of_huge_claimed_size_reads_a_bounded_amount() -> None:
    data = fb.ora(["a"])
    info, served = run(data, len(data))
    assert info.format == "ora"
    assert served < 10 * len(data)
