"""Layered images: PSD/PSB, XCF, KRA, ORA, from the real-world corpus, from psd-tools and
from the minimal writers in ``formats_build``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from rebuildable.formats import FormatInfo, sniff
from tests.support import corpus_file
from tests.support import formats_build as fb
from tests.support.formats_build import sniff_bytes


def sniff_corpus(rel: str) -> FormatInfo:
    path = corpus_file(rel)
    return sniff(lambda: path.open("rb"), path.name, path.stat().st_size)


# The facts stated in shared/corpus/README.md, file by file.
# (file, format, layers a user sees, extra details expected)
LAYERED_CORPUS: list[tuple[str, str, int, dict[str, Any]]] = [
    ("psd-tools_1layer.psd", "psd", 1,
     {"version": 1, "depth": 8, "width": 101, "height": 55, "records": 1}),
    ("psd-tools_2layers.psd", "psd", 2, {"records": 2, "depth": 8}),
    # Background + Group 1 (folder) + shape layer + divider = 4 records, 3 visible items
    ("psd-tools_group.psd", "psd", 3, {"records": 4, "groups": 1, "dividers": 1}),
    ("psd-tools_hidden-groups.psd", "psd", 5, {"records": 7, "groups": 2, "dividers": 2}),
    ("psd-tools_passthrough_blendmodes1.psd", "psd", 8,
     {"records": 11, "groups": 3, "width": 32, "height": 32}),
    ("psd-tools_layer_comps.psd", "psd", 13,
     {"records": 16, "groups": 3, "width": 200, "height": 200}),
    ("psd-tools_16bit5x5.psd", "psd", 3, {"records": 3, "depth": 16, "layer_store": "Lr16"}),
    ("psd-tools_32bit5x5.psd", "psd", 3, {"records": 3, "depth": 32, "layer_store": "Lr32"}),
    ("psd-tools_0layers.psd", "psd", 0, {"records": 0, "width": 1600, "height": 1200}),
    ("psd-tools_0layers_tblocks.psd", "psd", 0, {"records": 0, "width": 150}),
    ("psd-tools_1layer.psb", "psb", 1, {"version": 2, "records": 1}),
    ("psd-tools_group.psb", "psb", 3, {"version": 2, "records": 4, "groups": 1}),
    ("psd-tools_16bit5x5.psb", "psb", 3, {"version": 2, "depth": 16, "layer_store": "Lr16"}),
    ("psd-tools_transparentbg-gimp.psd", "psd", 1,
     {"channels": 4, "width": 40, "merged_alpha": True}),
    ("psd-tools_layer-name-emoji.psd", "psd", 1, {"width": 4, "height": 4}),
    ("gimpformats_64x64.xcf", "xcf", 1, {"version": 11, "width": 64, "height": 64}),
    ("gimpformats_test.xcf", "xcf", 2, {"version": 11, "groups": 1}),
    ("gimpformats_xcf_mask_test.xcf", "xcf", 8, {"version": 13, "groups": 3, "width": 8}),
    ("gimpformats_multiple-offset-masked-groups.xcf", "xcf", 8,
     {"version": 13, "groups": 3, "width": 240}),
    ("gimpformats_layer_comp_modes.xcf", "xcf", 4, {"version": 23, "width": 10}),
    ("gimpformats_issue_14.xcf", "xcf", 2, {"version": 11, "channels": 1, "width": 256}),
    ("layeredimage_layered_image.xcf", "xcf", 8, {"groups": 1, "channels": 1, "width": 640}),
    ("layeredimage_layered_image.ora", "ora", 7, {"groups": 1, "width": 640}),
    ("mypaint_smallimage.ora", "ora", 3, {"width": 128, "height": 128}),
    ("mypaint_fill_outlines.ora", "ora", 15, {"groups": 4, "ora_version": "0.0.5"}),
    ("libkra_example_RGBA.kra", "kra", 11,
     {"groups": 1, "width": 256, "height": 128, "krita_version": "5.0.0", "editor": "krita"}),
    ("libkra_player.kra", "kra", 1, {"width": 64, "krita_version": "5.2.6"}),
]


@pytest.mark.parametrize(("name", "fmt", "layers", "details"), LAYERED_CORPUS,
                         ids=[c[0] for c in LAYERED_CORPUS])
def test_corpus_layered_files(name: str, fmt: str, layers: int, details: dict[str, Any]) -> None:
    info = sniff_corpus(f"layered/{name}")
    assert info.format == fmt
    assert info.family == "layered-image"
    assert info.layered is True
    assert info.layers == layers
    assert info.problems == []
    for key, value in details.items():
        assert info.details.get(key) == value, key


def test_corpus_nonconformant_ora_is_recognised_with_a_warning() -> None:
    info = sniff_corpus("layered/mypaint_fill_outlines.ora")
    assert info.format == "ora"
    assert len(info.warnings) == 1
    assert "entry 21 of 22" in info.warnings[0]
    conformant = sniff_corpus("layered/layeredimage_layered_image.ora")
    assert conformant.warnings == []


# -- PSD/PSB from the minimal writer ------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("store", ["layer-info", "Lr16", "Lr32"])
def test_psd_writer_groups_and_dividers(version: int, store: str) -> None:
    records: list[fb.Layer] = [("bg", None), ("</Layer group>", 3), ("child", None),
                               ("Group", 1), ("top", None)]
    depth = {"layer-info": 8, "Lr16": 16, "Lr32": 32}[store]
    info = sniff_bytes(fb.psd(records, version=version, store=store, depth=depth))
    assert info.format == ("psb" if version == 2 else "psd")
    assert info.problems == []
    assert info.details["records"] == 5
    assert info.details["groups"] == 1
    assert info.details["dividers"] == 1
    assert info.layers == 4
    assert info.details["layer_store"] == store
    assert info.details["depth"] == depth


def test_psd_negative_layer_count_means_merged_alpha() -> None:
    info = sniff_bytes(fb.psd([("a", None), ("b", None)], negative=True))
    assert info.layers == 2
    assert info.details["merged_alpha"] is True


def test_psd_without_layer_section_is_flat() -> None:
    info = sniff_bytes(fb.psd(store="none"))
    assert info.format == "psd"
    assert info.layers == 0
    assert info.problems == []


def test_psd_bad_version_and_truncation_are_problems() -> None:
    good = fb.psd([("a", None), ("b", None)])
    bad_version = good[:4] + b"\x00\x07" + good[6:]
    assert sniff_bytes(bad_version).problems
    for cut in (10, 30, 40, 60, len(good) - 1):
        info = sniff_bytes(good[:cut])
        assert info.format in ("psd", None)
        assert info.problems, cut


def test_psd_layer_section_longer_than_file_is_reported() -> None:
    data = bytearray(fb.psd([("a", None)]))
    # the layer-and-mask length sits right after the 26-byte header and two empty sections
    data[34:38] = (10_000).to_bytes(4, "big")
    info = sniff_bytes(bytes(data))
    assert any("truncated" in p for p in info.problems)


# -- PSD from psd-tools ----------------------------------------------------------------


def test_psd_written_by_psd_tools(tmp_path: Path) -> None:
    psd_tools = pytest.importorskip("psd_tools")
    from PIL import Image
    from psd_tools.api.layers import Group, PixelLayer

    doc = psd_tools.PSDImage.new("RGB", (32, 16), depth=16)
    a = PixelLayer.frompil(Image.new("RGB", (32, 16), "red"), doc, "a")
    b = PixelLayer.frompil(Image.new("RGB", (8, 8), "blue"), doc, "b")
    c = PixelLayer.frompil(Image.new("RGB", (8, 8), "green"), doc, "c")
    for layer in (a, b, c):
        doc.append(layer)
    Group.group_layers(doc, [b, c], name="group")
    path = tmp_path / "doc.psd"
    doc.save(str(path))
    info = sniff(lambda: path.open("rb"), path.name, path.stat().st_size)
    assert info.format == "psd"
    assert info.problems == []
    assert info.details["depth"] == 16
    assert (info.details["width"], info.details["height"]) == (32, 16)
    # what psd-tools itself sees: a, group, b, c
    assert info.layers == len(list(psd_tools.PSDImage.open(path).descendants())) == 4
    assert info.details["groups"] == 1


# -- XCF --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 3, 10, 11, 12, 23])
def test_xcf_writer_versions(version: int) -> None:
    info = sniff_bytes(fb.xcf([False, True, False, False], version=version, channels=2))
    assert info.format == "xcf"
    assert info.problems == []
    assert info.layers == 4
    assert info.details["groups"] == 1
    assert info.details["channels"] == 2
    assert info.details["version"] == version
    assert ("precision" in info.details) == (version >= 4)


def test_xcf_with_no_layers_counts_zero() -> None:
    info = sniff_bytes(fb.xcf([]))
    assert info.layers == 0
    assert info.problems == []


def test_xcf_damage() -> None:
    data = fb.xcf([False, False])
    assert sniff_bytes(data[:40]).problems
    bad_tag = data[:9] + b"vXYZ" + data[13:]
    assert sniff_bytes(bad_tag).problems
    # a layer pointer past the end of the file
    out = bytearray(data)
    table = out.index(b"\0\0\0\0\0\0\0\0", 14 + 16 + 9 + 16) + 8  # after PROP_END
    out[table:table + 8] = (10**9).to_bytes(8, "big")
    assert any("outside the file" in p for p in sniff_bytes(bytes(out)).problems)


# -- KRA / ORA ----------------------------------------------------------------------------


def test_kra_counts_layers_through_groups() -> None:
    tree = ["bg", ("group", ["a", ("inner", ["b", "c"])]), "top"]
    info = sniff_bytes(fb.kra(tree))
    assert info.format == "kra"
    assert info.layers == 7
    assert info.details["groups"] == 2
    assert info.details["editor"] == "krita"
    assert info.warnings == []


def test_ora_counts_layers_through_stacks() -> None:
    tree = ["bg", ("stack", ["a", ("inner", ["b"])])]
    info = sniff_bytes(fb.ora(tree))
    assert info.format == "ora"
    assert info.layers == 3
    assert info.details["groups"] == 2
    assert info.problems == []
    assert info.warnings == []


@pytest.mark.parametrize("builder", [fb.kra, fb.ora])
def test_mimetype_not_first_is_a_warning(builder: Any) -> None:
    info = sniff_bytes(builder(["a", "b"], mimetype_first=False))
    assert info.format in ("kra", "ora")
    assert info.layers == 2
    assert info.problems == []
    assert len(info.warnings) == 1
    assert "not the first" in info.warnings[0]


def test_ora_compressed_mimetype_and_missing_layer_files() -> None:
    info = sniff_bytes(fb.ora(["a"], mimetype_stored=False))
    assert any("compressed" in w for w in info.warnings)
    info = sniff_bytes(fb.ora(["a", "b"], drop_sources=True))
    assert any("does not hold" in p for p in info.problems)


def test_kra_with_hostile_xml_is_a_problem_not_an_expansion() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE DOC [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><DOC><IMAGE>&b;</IMAGE></DOC>')
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/x-krita")
        zf.writestr("maindoc.xml", bomb)
    info = sniff_bytes(buf.getvalue())
    assert info.format == "kra"
    assert info.layers is None
    assert info.problems
    assert "maindoc.xml" in info.problems[0]


def test_zip_layered_without_its_stack_is_malformed() -> None:
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "image/openraster")
    info = sniff_bytes(buf.getvalue())
    assert info.format == "ora"
    assert any("stack.xml" in p for p in info.problems)
