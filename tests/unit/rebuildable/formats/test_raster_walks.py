"""The PNG and WebP chunk walks read chunk headers, not the payloads between them: a
valid image of many large chunks is walked to its end within the read budget, and one of
more chunks than the walk takes is noted as not fully checked, never called damaged."""

from __future__ import annotations

import io
import struct
import zlib

from rebuildable.formats import raster
from rebuildable.formats._base import ENTRY_CAP, FormatInfo, Source

SIG = b"\x89PNG\r\n\x1a\n"


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def png(body: bytes) -> bytes:
    return (SIG + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + body
            + chunk(b"IEND", b""))


def sniff(data: bytes, name: str, budget: int) -> FormatInfo:
    src = Source(io.BytesIO(data), len(data), budget=budget)
    return raster.sniff(src, data[:64], name)


def test_a_png_of_8_kib_idats_is_walked_to_its_c2pa_chunk_within_the_budget() -> None:
    """libpng writes IDAT chunks of 8 KiB: a 4 MiB image read with a 1 MiB budget (the
    same ratio as a 400 MiB image under the 96 MiB one). Before: each header refilled a
    64 KiB read-ahead, the budget ran out, and the caBX chunk after the pixels was unseen."""
    data = png(chunk(b"IDAT", b"\0" * 8192) * 512 + chunk(b"caBX", b"jumb"))
    info = sniff(data, "x.png", budget=1 << 20)
    assert info.problems == []
    assert info.details["c2pa"] is True


def test_a_webp_of_large_chunks_is_walked_within_the_budget() -> None:
    body = (b"WEBP" + b"VP8L" + struct.pack("<I", 5) + b"\x2f\0\0\0\0\0"
            + (b"JUNK" + struct.pack("<I", 8192) + b"\0" * 8192) * 512
            + b"C2PA" + struct.pack("<I", 4) + b"jumb")
    data = b"RIFF" + struct.pack("<I", len(body)) + body
    info = sniff(data, "x.webp", budget=1 << 20)
    assert info.problems == []
    assert info.details["c2pa"] is True


def test_more_chunks_than_the_walk_takes_is_a_note_not_damage() -> None:
    """Before: "more than 100000 chunks without IEND", a problem (content.malformed) on
    a valid file."""
    data = png(chunk(b"IDAT", b"") * (ENTRY_CAP + 1))
    info = sniff(data, "x.png", budget=1 << 30)
    assert info.problems == []
    assert info.notes == [f"not fully checked: more than {ENTRY_CAP} chunks"]
