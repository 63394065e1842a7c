"""Raster images written by Pillow, and the layered-editor metadata they may carry."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from rebuildable.formats import LAYERED_EDITORS, FormatInfo, editor_of, sniff
from rebuildable.formats.raster import editor_from_xmp, editor_name


def sniff_bytes(data: bytes, name: str = "file") -> FormatInfo:
    return sniff(lambda: io.BytesIO(data), name, len(data))


def pillow(fmt: str, size: tuple[int, int] = (13, 7), mode: str = "RGB", **kw: Any) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, "orange").save(buf, fmt, **kw)
    return buf.getvalue()


XMP_PS = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
          b'22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
          b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
          b'xmp:CreatorTool="Adobe Photoshop 25.1 (Macintosh)" photoshop:ColorMode="3"/>'
          b'</rdf:RDF></x:xmpmeta>')


@pytest.mark.parametrize(("fmt", "name", "kw"), [
    ("PNG", "png", {}), ("JPEG", "jpeg", {}), ("JPEG", "jpeg", {"progressive": True}),
    ("WEBP", "webp", {"lossless": True}), ("WEBP", "webp", {"quality": 50}),
    ("GIF", "gif", {}), ("TIFF", "tiff", {}), ("BMP", "bmp", {}),
])
def test_pillow_images_are_recognised_with_size(fmt: str, name: str, kw: dict[str, Any]) -> None:
    info = sniff_bytes(pillow(fmt, **kw))
    assert info.format == name
    assert info.family == "raster-image"
    assert info.layered is False
    assert (info.details["width"], info.details["height"]) == (13, 7)
    assert info.problems == []


def test_webp_extended_format_size() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (300, 200), (1, 2, 3, 4)).save(buf, "WEBP", exif=b"Exif\0\0II*\0")
    info = sniff_bytes(buf.getvalue())
    assert (info.details["width"], info.details["height"]) == (300, 200)


@pytest.mark.parametrize(("software", "editor"), [
    ("GIMP 2.10.36", "gimp"), ("Krita 5.2", "krita"), ("Adobe Photoshop 24.0 (Windows)",
                                                        "photoshop"),
    ("MyPaint 2.0", "mypaint"), ("matplotlib version 3.8", None),
])
def test_png_software_text_names_the_editor(software: str, editor: str | None) -> None:
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Software", software)
    info = sniff_bytes(pillow("PNG", pnginfo=meta))
    assert info.details["software"] == software
    assert editor_of(info) == editor
    assert (editor_of(info) in LAYERED_EDITORS) == (editor is not None)


@pytest.mark.parametrize("compressed", [False, True])
def test_png_itxt_xmp_names_photoshop(compressed: bool) -> None:
    meta = PngImagePlugin.PngInfo()
    meta.add_itxt("XML:com.adobe.xmp", XMP_PS.decode(), zip=compressed)
    info = sniff_bytes(pillow("PNG", pnginfo=meta))
    assert info.details["xmp"] is True
    assert editor_of(info) == "photoshop"
    assert "Photoshop" in info.details["software"]


def test_png_ztxt_software() -> None:
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Software", "GIMP 3.0", zip=True)
    assert editor_of(sniff_bytes(pillow("PNG", pnginfo=meta))) == "gimp"


def test_jpeg_xmp_app1_and_photoshop_app13() -> None:
    base = pillow("JPEG")
    app1 = b"http://ns.adobe.com/xap/1.0/\0" + XMP_PS.replace(b"Adobe Photoshop 25.1",
                                                              b"Krita 5.2")
    seg = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    info = sniff_bytes(base[:2] + seg + base[2:])
    assert editor_of(info) == "krita"
    irb = b"Photoshop 3.0\0" + b"8BIM\x04\x04\0\0\0\0\0\0"
    seg = b"\xff\xed" + struct.pack(">H", len(irb) + 2) + irb
    info = sniff_bytes(base[:2] + seg + base[2:])
    assert info.details["photoshop_irb"] is True
    assert editor_of(info) == "photoshop"


def test_jpeg_exif_software() -> None:
    exif = Image.Exif()
    exif[0x0131] = "GIMP 2.10.34"
    info = sniff_bytes(pillow("JPEG", exif=exif.tobytes()))
    assert info.details["software"] == "GIMP 2.10.34"
    assert editor_of(info) == "gimp"


def test_plain_exports_name_no_editor() -> None:
    for fmt in ("PNG", "JPEG", "WEBP"):
        assert editor_of(sniff_bytes(pillow(fmt))) is None


def test_xmp_helpers() -> None:
    assert editor_from_xmp(b"<xmp:CreatorTool>GIMP 2.10</xmp:CreatorTool>") == "gimp"
    assert editor_from_xmp(b'photoshop:History=""') == "photoshop"
    assert editor_from_xmp(b"<x/>") is None
    assert editor_name("Adobe ImageReady") == "photoshop"


def test_truncated_and_broken_rasters_are_problems() -> None:
    png = pillow("PNG")
    assert sniff_bytes(png[:-12]).problems  # IEND cut off
    assert sniff_bytes(png[:20]).problems
    no_ihdr = png[:12] + b"IHDX" + png[16:]
    assert sniff_bytes(no_ihdr).problems
    jpeg = pillow("JPEG")
    assert sniff_bytes(jpeg[:100]).problems
    webp = pillow("WEBP")
    assert sniff_bytes(webp[:20]).problems


def test_png_without_idat() -> None:
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    chunk = (struct.pack(">I", 13) + b"IHDR" + ihdr
             + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))
    data = b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", 0) + b"IEND" + b"\xaeB`\x82"
    info = sniff_bytes(data)
    assert info.format == "png"
    assert any("IDAT" in p for p in info.problems)
