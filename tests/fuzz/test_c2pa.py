"""Fuzzing C2PA: the presence sniffer (PNG ``caBX``, JPEG APP11 JUMBF, WebP ``C2PA``) on
any bytes, and the whole engine on mutated signed exports, which the c2pa library reads.

Whatever the bytes: sniffing returns a FormatInfo and never reads a length field's worth
of memory; validating gives findings with registered codes and no ``internal.*``; and
whenever the library finds a manifest the sniffer found one too, or called the file
damaged (a file the sniffer passes over is never read: a silent miss would hide a claim)."""

from __future__ import annotations

import contextlib
import io
import struct
import tempfile
import tracemalloc
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from rebuildable.codes import CODES
from rebuildable.context import Options
from rebuildable.engine import validate
from tests.fuzz.mutate import bounded_time, check_codes, mutated
from tests.support import formats_build as fb
from tests.support import make_release, optional

SIG = b"\x89PNG\r\n\x1a\n"
#: the JUMBF description box of a C2PA manifest store (type UUID "c2pa", label "c2pa")
JUMD = (struct.pack(">I", 8 + 16 + 1 + 5) + b"jumd"
        + bytes.fromhex("6332706100110010800000aa00389b71") + b"\x03c2pa\0")


def chunk(ctype: bytes, data: bytes, length: int | None = None) -> bytes:
    size = len(data) if length is None else length
    return struct.pack(">I", size) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def png(*chunks: bytes) -> bytes:
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
    return SIG + ihdr + b"".join(chunks) + idat + chunk(b"IEND", b"")


def jumb(payload: bytes = b"", lbox: int | None = None) -> bytes:
    body = JUMD + payload
    return struct.pack(">I", 8 + len(body) if lbox is None else lbox) + b"jumb" + body


def app11(payload: bytes, seq: int = 1, length: int | None = None) -> bytes:
    body = b"JP" + struct.pack(">HI", 0x0211, seq) + payload
    return b"\xff\xeb" + struct.pack(">H", len(body) + 2 if length is None else length) + body


JPEG_TAIL = (b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
             b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\x00\xff\xd9")


def jpeg(*segments: bytes) -> bytes:
    return b"\xff\xd8" + b"".join(segments) + JPEG_TAIL


def webp(*chunks: bytes) -> bytes:
    vp8l = b"VP8L" + struct.pack("<I", 5) + b"\x2f\0\0\0\0" + b"\0"
    body = b"WEBP" + vp8l + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff(ctype: bytes, data: bytes, length: int | None = None) -> bytes:
    size = len(data) if length is None else length
    return ctype + struct.pack("<I", size) + data + b"\0" * (len(data) & 1)


SEEDS = {
    "png": (png(chunk(b"caBX", jumb(b"@@"))), png(chunk(b"tEXt", b"Software\0@@"),
                                                  chunk(b"caBX", b"@@"))),
    "jpeg": (jpeg(app11(jumb(b"@@"))), jpeg(app11(jumb()), app11(b"@@", seq=2))),
    "webp": (webp(riff(b"C2PA", jumb(b"@@"))), webp(riff(b"XMP ", b"@@"), riff(b"C2PA", b""))),
}
NAMES = {"png": "x.png", "jpeg": "x.jpg", "webp": "x.webp"}


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_the_sniffer_takes_any_bytes(fmt: str) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(data=mutated(SEEDS[fmt]))
    def run(data: bytes) -> None:
        with bounded_time(f"sniffing a mutated {fmt} with C2PA"):
            info = fb.sniff_bytes(data, NAMES[fmt])
        assert isinstance(info.details.get("c2pa", False), bool)
        info.to_dict()

    run()


#: name -> (bytes, file name, what the sniffer must say about C2PA)
HOSTILE = {
    # declared lengths far past the end: a length field is never allocated
    "png caBX of 2 GiB": (SIG + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
                          + chunk(b"caBX", b"", length=0x7FFFFFFF)[:12], "x.png", True),
    "png jumb of 4 GiB": (png(chunk(b"caBX", jumb(lbox=0xFFFFFFFF))), "x.png", True),
    # truncated: a problem, so never read for C2PA whatever the mark says
    "jpeg APP11 past the end": (b"\xff\xd8" + app11(jumb(), length=0xFFFF), "x.jpg", False),
    "jpeg jumb of 4 GiB": (jpeg(app11(jumb(lbox=0xFFFFFFFF))), "x.jpg", True),
    "webp C2PA of 4 GiB": (webp(riff(b"C2PA", b"", length=0xFFFFFFF0)), "x.webp", False),
    # many tiny chunks: each read once, the walk stops at its cap
    "png 150k empty chunks": (png(*[chunk(b"teXt", b"")] * 150_000), "x.png", False),
    "jpeg 150k empty APP11": (jpeg(*[b"\xff\xeb\x00\x02"] * 150_000), "x.jpg", False),
    "webp 150k empty chunks": (webp(*[riff(b"JUNK", b"")] * 150_000), "x.webp", False),
    # a C2PA mark after the point the sniffer stops is not seen, by the library either
    "jpeg APP11 after the scan": (jpeg() + app11(jumb()), "x.jpg", False),
    # a repeated SOI is a standalone marker; read as a segment length it lost the file
    # (found by the fuzzer: c2pa reads such a file's manifest)
    "jpeg repeated SOI": (jpeg(b"\xff\xd8", app11(jumb())), "x.jpg", True),
    # JUMBF that is no C2PA store
    "jpeg APP11 not c2pa": (jpeg(app11(b"\0\0\0\x10jumb\0\0\0\x08jumd")), "x.jpg", False),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_containers_are_sniffed_in_bounded_memory(name: str) -> None:
    data, file_name, carries = HOSTILE[name]
    tracemalloc.start()
    try:
        with bounded_time(name):
            info = fb.sniff_bytes(data, file_name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a small multiple of the input at most: nothing sized by a length field
    assert peak < 4 * len(data) + (8 << 20), f"{name}: {peak} bytes at peak"
    assert bool(info.details.get("c2pa")) is carries, (name, info)


# -- with the library ------------------------------------------------------------------


@pytest.fixture(scope="module")
def signed() -> dict[str, bytes]:
    optional.require("c2pa")
    from tests.support import c2pa_build as cb

    signer = cb.make_signer()
    return {fmt: cb.sign_image(signer, fmt, cb.plain_image(fmt),
                               [cb.ingredient("art/cover.ora", b"source")])
            for fmt in sorted(SEEDS)}


def _library_finds(data: bytes, fmt: str) -> bool:
    """Whether c2pa, reading offline as the check does, finds a manifest store."""
    import c2pa

    from rebuildable.formats.c2pa import MIME_TYPES, OFFLINE

    try:
        with c2pa.Context.from_dict(OFFLINE) as context:
            reader = c2pa.Reader.try_create(MIME_TYPES[fmt], io.BytesIO(data), context=context)
            if reader is None:
                return False
            reader.close()
    except c2pa.C2paError:
        return False
    return True


def _validate(data: bytes, fmt: str, root: Path) -> list[str]:
    path = "out/cover." + {"jpeg": "jpg"}.get(fmt, fmt)
    rel = make_release(root, {"art/cover.ora": b"source", path: data},
                       [{"id": "export", "run": "export", "inputs": ["src"],
                         "outputs": ["cover"]}],
                       ids={"art/cover.ora": "src", path: "cover"},
                       kinds={path: "raster-image"})
    report = validate(rel, Options())
    report.to_dict()
    return [f.code for f in report.findings]


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_mutated_signed_exports_give_findings_and_the_sniffer_agrees(
        fmt: str, signed: dict[str, bytes]) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=mutated([signed[fmt]], max_edits=4))
    def run(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp, bounded_time(f"validating a {fmt}"):
            found = _validate(data, fmt, Path(tmp) / "rel")
        check_codes(found, lambda code: code in CODES)
        assert not [c for c in found if c.startswith("internal.")], found
        if _library_finds(data, fmt):  # where parsers part on a damaged file, damage shows
            assert (fb.sniff_bytes(data, NAMES[fmt]).details.get("c2pa")
                    or "content.malformed" in found), "a manifest the sniffer did not see"

    run()


def _moved(data: bytes, fmt: str) -> dict[str, bytes]:
    """The signed file with its manifest store moved where each reader stops looking."""
    if fmt == "png":
        at = data.index(b"caBX") - 4
        end = at + 12 + struct.unpack(">I", data[at:at + 4])[0]
        rest = data[:at] + data[end:]
        iend = rest.index(b"IEND") - 4
        return {"after IEND": rest + data[at:end],
                "after IDAT": rest[:iend] + data[at:end] + rest[iend:]}
    if fmt == "webp":
        at = data.index(b"C2PA")
        size = struct.unpack("<I", data[at + 4:at + 8])[0]
        end = at + 8 + size + (size & 1)
        rest = data[:at] + data[end:]
        rest = rest[:4] + struct.pack("<I", len(rest) - 8) + rest[8:]
        return {"after the RIFF": rest + data[at:end]}
    pos, kept, stores = 2, b"", b""
    while data[pos + 1] != 0xDA:  # segments up to the scan
        end = pos + 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if data[pos + 1] == 0xEB:
            stores += data[pos:end]
        else:
            kept += data[pos:end]
        pos = end
    return {"after the scan": data[:2] + kept + data[pos:-2] + stores + b"\xff\xd9",
            "after EOI": data[:2] + kept + data[pos:] + stores}


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_where_the_library_finds_a_moved_store_the_sniffer_does(
        fmt: str, signed: dict[str, bytes]) -> None:
    for where, data in _moved(signed[fmt], fmt).items():
        sniffed = bool(fb.sniff_bytes(data, NAMES[fmt]).details.get("c2pa"))
        assert sniffed is _library_finds(data, fmt), f"{fmt} store moved {where}"


def _stores(data: bytes) -> dict[str, bytes]:
    """The signed PNG with its JUMBF store's declared sizes made hostile."""
    at = data.index(b"caBX")
    size = struct.unpack(">I", data[at - 4:at])[0]
    store = data[at + 4:at + 4 + size]
    before, after = data[:at - 4], data[at + 8 + size:]
    deep = JUMD
    for _ in range(3000):
        deep = struct.pack(">I", 8 + len(deep)) + b"jumb" + deep
    bodies = {"LBox 4 GiB": struct.pack(">I", 0xFFFFFFFF) + store[4:],
              "LBox 2 GiB": struct.pack(">I", 0x7FFFFFF0) + store[4:],
              "XLBox 2^62": struct.pack(">I", 1) + b"jumb" + struct.pack(">Q", 2**62) + store[8:],
              "LBox 1": struct.pack(">I", 1) + store[4:],
              "3000 nested boxes": deep}
    return {name: before + chunk(b"caBX", body) + after for name, body in bodies.items()}


@pytest.mark.parametrize("name", ["LBox 4 GiB", "LBox 2 GiB", "XLBox 2^62", "LBox 1",
                                  "3000 nested boxes"])
def test_a_store_of_hostile_box_sizes_is_read_in_bounded_memory(
        name: str, signed: dict[str, bytes]) -> None:
    import resource

    from rebuildable.formats.c2pa import C2paUnreadableError, read_manifest

    data = _stores(signed["png"])[name]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB, the peak so far
    with bounded_time(name), contextlib.suppress(C2paUnreadableError):
        read_manifest(io.BytesIO(data), "png")
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 256 * 1024, f"{name}: the peak grew by {grown} KiB"
