"""SVG (corpus and hostile XML), executables, archives and documents."""

from __future__ import annotations

import gzip
import io
import struct
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from rebuildable.formats import sniff, sniff_path
from tests.support.formats_build import sniff_bytes, sniff_corpus

# -- SVG -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "editor", "compressed"), [
    ("in-toto-attestation_provenance.svg", "graphviz", False),  # XML decl + DOCTYPE + comments
    ("mypaint_add-symbolic.svg", None, False),
    ("c2pa_Manifest.drawio.svg", "drawio", False),  # no XML declaration
    ("mypaint_mypaint.svgz", "inkscape", True),
])
def test_corpus_svg(name: str, editor: str | None, compressed: bool) -> None:
    info = sniff_corpus(f"formats/{name}")
    assert info.format == "svg"
    assert info.family == "vector-image"
    assert info.problems == []
    assert info.details.get("editor") == editor
    assert (info.details.get("compression") == "gzip") == compressed


def test_svg_inkscape_layers_are_counted() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" '
           b'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="10">'
           b'<g inkscape:groupmode="layer"/><g inkscape:groupmode="layer"/><g/></svg>')
    info = sniff_bytes(svg)
    assert (info.format, info.layers, info.layered) == ("svg", 2, True)
    assert info.details["editor"] == "inkscape"


def test_svg_billion_laughs_is_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg">&c;</svg>')
    info = sniff_bytes(bomb)
    assert info.format == "svg"
    assert info.problems


def test_svg_external_entity_is_refused() -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>')
    assert sniff_bytes(xxe).problems


def test_svg_variants() -> None:
    assert sniff_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>').problems
    no_ns = sniff_bytes(b"<svg><rect/></svg>")
    assert no_ns.format == "svg"
    assert "namespace" in no_ns.problems[0]
    other = sniff_bytes(b'<?xml version="1.0"?><html><svg/></html>')
    assert other.format is None


def test_large_svg_reads_only_the_root(tmp_path: Path) -> None:
    from rebuildable.formats import XML_CAP

    path = tmp_path / "big.svg"
    with path.open("wb") as fh:
        fh.write(b'<svg xmlns="http://www.w3.org/2000/svg">')
        fh.write(b"<g/>" * (XML_CAP // 4 + 10))
        fh.write(b"</svg>")
    info = sniff_path(str(path))
    assert info.format == "svg"
    assert info.notes
    assert "root element" in info.notes[0]


# -- executables -------------------------------------------------------------------------------


def test_the_running_python_is_an_executable() -> None:
    info = sniff_path(sys.executable)
    assert info.family == "binary"
    assert info.format in ("elf", "macho", "pe")
    assert info.problems == []


def test_truncated_elf() -> None:
    data = Path(sys.executable).read_bytes()[:4096] if sys.platform == "linux" else b""
    if not data.startswith(b"\x7fELF"):
        pytest.skip("not an ELF platform")
    info = sniff_bytes(data)
    assert info.format == "elf"
    assert info.problems
    assert sniff_bytes(b"\x7fELF\x02\x01\x01").problems


def _pe(machine: int = 0x8664, sections: int = 1, size: int = 1024) -> bytes:
    dos = b"MZ" + b"\0" * 58 + struct.pack("<I", 0x80)
    dos += b"\0" * (0x80 - len(dos))
    coff = b"PE\0\0" + struct.pack("<HHIIIHH", machine, sections, 0, 0, 0, 240, 0x2022)
    opt = struct.pack("<H", 0x20B) + b"\0" * 66 + struct.pack("<H", 3) + b"\0" * (240 - 70)
    body = dos + coff + opt + b"\0" * 40 * sections
    return body + b"\0" * max(0, size - len(body))


def test_pe_header() -> None:
    info = sniff_bytes(_pe())
    assert info.format == "pe"
    assert info.details["machine"] == "x86-64"
    assert info.details["pe_type"] == "pe32+"
    assert info.details["dll"] is True
    assert info.details["subsystem"] == 3
    assert info.problems == []
    many = bytearray(_pe(size=0))
    many[0x86:0x88] = struct.pack("<H", 40)  # 40 sections, but room for one
    assert any("section table" in p for p in sniff_bytes(bytes(many)).problems)


def test_mz_text_is_not_a_program() -> None:
    assert sniff_bytes(b"MZ is a nice prefix for a text file\n" * 3).format is None


def test_macho_thin_and_fat() -> None:
    thin = b"\xcf\xfa\xed\xfe" + struct.pack("<iiIIII", 0x0100000C, 0, 2, 1, 32, 0) + b"\0" * 64
    info = sniff_bytes(thin)
    assert (info.format, info.details["cpu"], info.details["bits"]) == ("macho", "arm64", 64)
    fat = b"\xca\xfe\xba\xbe" + struct.pack(">I", 2)
    fat += struct.pack(">iiIII", 0x01000007, 3, 4096, 100, 12)
    fat += struct.pack(">iiIII", 0x0100000C, 0, 8192, 100, 14)
    info = sniff_bytes(fat + b"\0" * 9000)
    assert info.format == "macho"
    assert info.details["arches"] == ["x86-64", "arm64"]
    assert info.problems == []
    assert sniff_bytes(fat + b"\0" * 100).problems


def test_java_class_is_not_fat_macho() -> None:
    info = sniff_bytes(b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + b"\0" * 64)
    assert (info.format, info.details["major_version"]) == ("java-class", 65)


def test_wasm() -> None:
    assert sniff_bytes(b"\0asm\x01\0\0\0").format == "wasm"


# -- archives ------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_jar_wheel() -> None:
    assert sniff_bytes(_zip({"a.txt": b"x"})).format == "zip"
    jar = sniff_bytes(_zip({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n",
                            "a/B.class": b"\xca\xfe"}))
    assert (jar.format, jar.family) == ("jar", "binary")
    wheel = sniff_bytes(_zip({"pkg/__init__.py": b"",
                              "pkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\n"
                                                         b"Root-Is-Purelib: true\n",
                              "pkg-1.0.dist-info/METADATA": b""}))
    assert (wheel.format, wheel.details["wheel_version"]) == ("wheel", "1.0")
    bad = sniff_bytes(_zip({"pkg-1.0.dist-info/WHEEL": b"Generator: x\n"}))
    assert bad.problems
    assert sniff_bytes(_zip({})).format == "zip"


def test_documents() -> None:
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<x/>")
    assert sniff_bytes(odt.getvalue()).format == "odf"
    assert sniff_bytes(_zip({"[Content_Types].xml": b"<x/>"})).format == "ooxml"
    pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    info = sniff_bytes(pdf)
    assert (info.format, info.details["version"], info.problems) == ("pdf", "1.7", [])
    assert sniff_bytes(pdf[:-7]).problems


def test_corrupt_zip() -> None:
    data = _zip({"a.txt": b"hello" * 100})
    info = sniff_bytes(data[:-30])
    assert info.format == "zip"
    assert info.problems


def _tar(members: dict[str, bytes], fmt: int = tarfile.PAX_FORMAT, mode: str = "w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_tar(fmt: int) -> None:
    data = _tar({"a.txt": b"x" * 700, "b/c.bin": b"y" * 10}, fmt)
    info = sniff_bytes(data)
    assert info.format == "tar"
    assert info.problems == []
    assert info.details["members"] >= 2
    cut = sniff_bytes(data[:1024])
    assert cut.format == "tar"
    assert cut.problems


def test_v7_tar_by_checksum() -> None:
    data = _tar({"a.txt": b"x"}, tarfile.USTAR_FORMAT)
    v7 = bytearray(data)
    v7[257:265] = b"\0" * 8
    v7[148:156] = b"        "
    v7[148:155] = f"{sum(v7[:512]):06o}\0".encode()
    assert sniff_bytes(bytes(v7)).format == "tar"


def test_compressed_streams() -> None:
    tgz = _tar({"a.txt": b"x"}, mode="w:gz")
    info = sniff_bytes(tgz)
    assert (info.format, info.details["compression"]) == ("tar", "gzip")
    assert sniff_bytes(gzip.compress(b"plain text")).format == "gzip"
    svgz = gzip.compress(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert sniff_bytes(svgz).format == "svg"
    assert sniff_bytes(svgz[:-10]).problems
    import bz2
    import lzma

    assert sniff_bytes(bz2.compress(b"x")).format == "bzip2"
    assert sniff_bytes(lzma.compress(b"x")).format == "xz"
    assert sniff_bytes(b"\x1f\x8b\x08" + b"\xff" * 40).problems


def test_unknown_bytes_and_empty() -> None:
    assert sniff_bytes(b"").format is None
    assert sniff_bytes(b"hello world\n").format is None
    assert sniff_bytes(b"{}").format is None


def test_unopenable_member_is_a_note() -> None:
    def boom() -> io.BytesIO:
        raise PermissionError(13, "Permission denied")

    info = sniff(boom, "x", 10)
    assert info.format is None
    assert info.notes


def test_non_seekable_stream_is_spooled() -> None:
    from tests.support import formats_build as fb

    data = fb.psd([("a", None), ("b", None)])

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            chunk = self.inner.read(len(b))
            b[:len(chunk)] = chunk
            return len(chunk)

    info = sniff(lambda: io.BufferedReader(Pipe()), "a.psd", len(data))  # type: ignore[type-var]
    assert (info.format, info.layers, info.problems) == ("psd", 2, [])


def test_svg_prolog_scan_is_linear() -> None:
    # A backtracking pattern over "<!-- -->" runs takes exponential time on this head.
    assert sniff_bytes(b"<!-- -->" * 512 + b"x").format is None
    prolog = (b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "a" "b" [<!ATTLIST svg x CDATA "">]>'
              b"\n<!-- c -->\n")
    assert sniff_bytes(prolog + b'<svg xmlns="http://www.w3.org/2000/svg"/>').format == "svg"
    assert sniff_bytes(prolog * 200 + b"<svg").format is None


def test_python_zipapp(tmp_path: Path) -> None:
    import zipapp

    src = tmp_path / "app"
    src.mkdir()
    (src / "__main__.py").write_text("print('hi')\n")
    target = tmp_path / "app.pyz"
    zipapp.create_archive(src, target, interpreter="/usr/bin/env python3")
    info = sniff_path(str(target))
    assert (info.format, info.family, info.problems) == ("zipapp", "binary", [])
    assert info.details["interpreter"] == "/usr/bin/env python3"
    assert sniff_bytes(b"#!/bin/sh\necho hi\n").format is None


def test_bytes_of_no_known_format_share_one_frozen_result() -> None:
    # A data release of 100,000 files keeps one result for all its unrecognised files.
    first, second = sniff_bytes(b"\x01\x02 plain data " * 50), sniff_bytes(b"other bytes\n")
    assert first is second
    assert first.to_dict() == {"format": None, "family": None, "layered": None,
                               "layers": None, "details": {}, "problems": [], "warnings": [],
                               "notes": []}
