#!/usr/bin/env python3
"""Write the ``content-*`` conformance vectors (spec/content.md), byte for byte.

The binary files of these vectors (PSD, XCF, ORA, PNG, safetensors, GGUF, ...) are made
here by Pillow and by the minimal, spec-following writers of ``tests/support/formats_build.py``, so
that anyone can see how each was built. Digests and sizes are then filled in by
``refresh.py``. Usage::

    python spec/conformance/make_content_vectors.py && python spec/conformance/refresh.py
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import shutil
import struct
from pathlib import Path
from typing import Any

from _support import support
from PIL import Image

HERE = Path(__file__).resolve().parent
fb = support("formats_build")

VECTORS = HERE / "vectors"
ZERO = "0" * 64


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 120, 40)).save(buf, "PNG")
    return buf.getvalue()


def elf() -> bytes:
    """A 64-bit little-endian ELF header with no program or section headers."""
    ident = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    return ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="6"><rect width="8"/></svg>\n'
SVG_ENTITIES = (b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">\n'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
                b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>\n')


def safetensors_out_of_range() -> bytes:
    header = {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 64]}}
    return fb.safetensors({}, header_override=header) + b"\0" * 16


def gguf_huge_array() -> bytes:
    """A GGUF v3 file whose one key holds an array that claims 10^9 strings."""
    return (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 14)
            + b"tokenizer.toks" + struct.pack("<IIQ", 9, 8, 10**9) + b"\0" * 64)


# name -> (description, covers, expect codes, files {path: (kind, bytes)})
SPECS: dict[str, tuple[str, list[str], list[str], dict[str, tuple[str, bytes]]]] = {
    "content-clean": (
        "Every file is what its kind says: layered, vector, raster, weights, code",
        ["CON-1", "CON-4"], [],
        {"art/work.psd": ("layered-image", fb.psd([("bg", None), ("ink", None)])),
         "art/work.xcf": ("layered-image", fb.xcf([False, True, False])),
         "art/work.kra": ("layered-image", fb.kra(["bg", ("group", ["a", "b"])])),
         "art/work.ora": ("layered-image", fb.ora(["bg", ("stack", ["a"])])),
         "art/logo.svg": ("vector-image", SVG), "out/cover.png": ("raster-image", png()),
         "model/w.safetensors": ("weights", fb.safetensors({"w": ("F32", [2], b"\0" * 8)})),
         "src/main.py": ("source-code", b"print('hello')\n")}),
    "content-png-declared-layered": (
        "A flat PNG renamed art.psd and declared layered-image",
        ["CON-1", "CON-4"], ["content.kind-mismatch"],
        {"art.psd": ("layered-image", png())}),
    "content-psd-declared-raster": (
        "A layered PSD declared raster-image", ["CON-4"], ["content.kind-mismatch"],
        {"art.png": ("raster-image", fb.psd([("a", None), ("b", None)]))}),
    "content-flat-psd": (
        "A PSD with an empty layer and mask section (composite only) declared layered-image",
        ["CON-3"], ["content.flat-layered-image"],
        {"flat.psd": ("layered-image", fb.psd(store="none"))}),
    "content-psd-layers-in-lr16": (
        "A 16-bit PSD keeps its layers in a global Lr16 block: not flat",
        ["CON-3"], [],
        {"deep.psd": ("layered-image", fb.psd([("a", None), ("b", None)], store="Lr16",
                                              depth=16))}),
    "content-single-layer-xcf": (
        "An XCF with one layer is a layered file (info only)", ["CON-3"], [],
        {"one.xcf": ("layered-image", fb.xcf([False]))}),
    "content-elf-declared-source": (
        "An ELF executable declared source-code", ["CON-5"], ["content.kind-mismatch"],
        {"src/tool.c": ("source-code", elf())}),
    "content-weights-declared-dataset": (
        "Safetensors weights declared dataset: the bytes contradict the kind (a warning "
        "under the generic profile, an error under the others)", ["CON-10"],
        ["content.kind-contradicted"],
        {"data/train.safetensors": ("dataset", fb.safetensors({"w": ("F32", [2], b"\0" * 8)}))}),
    "content-unrecognised-raster": (
        "Text declared raster-image: no image format at all", ["CON-6"],
        ["content.unrecognised"], {"cover.png": ("raster-image", b"not an image\n")}),
    "content-unrecognised-weights": (
        "Unknown bytes declared weights (ONNX and others have no signature): info only",
        ["CON-6"], [], {"model.onnx": ("weights", b"\x08\x07\x12\x07pytorch")}),
    "content-safetensors-out-of-range": (
        "A safetensors tensor whose data_offsets run past the data buffer",
        ["CON-7"], ["content.malformed"],
        {"w.safetensors": ("weights", safetensors_out_of_range())}),
    "content-truncated-psd-any-kind": (
        "A truncated PSD is malformed whatever its declared kind", ["CON-7"],
        ["content.malformed"],
        {"art.psd": ("other", fb.psd([("a", None), ("b", None)], width=16, height=16)[:-40])}),
    "content-svg-entities": (
        "An SVG that declares entities is malformed, never expanded", ["CON-2", "CON-7"],
        ["content.malformed"], {"logo.svg": ("vector-image", SVG_ENTITIES)}),
    "content-svg-raster-only": (
        "An SVG declared vector-image whose only content is an embedded PNG <image>",
        ["CON-11"], ["content.flat-vector-image"],
        {"art.svg": ("vector-image",
                     b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
                     b'<image width="4" height="4" href="data:image/png;base64,'
                     + base64.b64encode(png()) + b'"/></svg>')}),
    "content-svg-raster-only-as-raster": (
        "The same SVG declared raster-image, which is what it is: no kind mismatch",
        ["CON-11", "CON-4"], [],
        {"art.svg": ("raster-image",
                     b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
                     b'<image width="4" height="4" href="data:image/png;base64,'
                     + base64.b64encode(png()) + b'"/></svg>')}),
    "content-ora-mimetype-not-first": (
        "An OpenRaster zip whose mimetype member is not first", ["CON-8"],
        ["content.nonconformant"],
        {"art.ora": ("layered-image", fb.ora(["a", "b"], mimetype_first=False))}),
    "content-pickled-weights": (
        "Weights stored as a raw pickle", ["CON-9"], ["content.pickle"],
        {"model.pt": ("weights", pickle.dumps({"w": [0.5, 0.25]}, protocol=4))}),
    "content-gguf-impossible-array": (
        "A GGUF array claims 10^9 strings in a 150-byte file: malformed, found without "
        "walking it", ["CON-1", "CON-7"], ["content.malformed"],
        {"vocab.gguf": ("weights", gguf_huge_array())}),
}


def write(name: str, description: str, covers: list[str], codes: list[str],
          files: dict[str, tuple[str, bytes]]) -> None:
    folder = VECTORS / name
    if folder.exists():
        shutil.rmtree(folder)
    release = folder / "release"
    release.mkdir(parents=True)
    lines = ["spec: rebuildable/0.1", f"name: {name}", 'version: "1.0.0"', "license: MIT",
             "artifacts:"]
    for i, (path, (kind, data)) in enumerate(files.items()):
        target = release / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        lines += [f"  - id: file-{i}", f"    path: {path}", f"    kind: {kind}",
                  f'    digest: {{sha256: "{ZERO}"}}', f"    size: {len(data)}"]
    (release / "rebuild.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    vector: dict[str, Any] = {"description": description, "covers": covers,
                              "expect": {"ok": not any(c in _ERRORS for c in codes),
                                         "codes": sorted(codes)},
                              "refresh_digests": True}
    if name in FINDINGS:
        vector["expect"]["findings"] = FINDINGS[name]
    (folder / "vector.json").write_text(json.dumps(vector, indent=2) + "\n", encoding="utf-8")


#: expect.findings: the notes (infos) a vector exists to show
FINDINGS: dict[str, list[dict[str, Any]]] = {
    "content-single-layer-xcf": [{"code": "content.single-layer", "count": 1,
                                  "artifact": "file-0", "pointer": "/artifacts/0/kind"}],
}


_ERRORS = {"content.kind-mismatch", "content.flat-layered-image", "content.flat-vector-image",
           "content.malformed"}


def main() -> None:
    for name, (description, covers, codes, files) in SPECS.items():
        write(name, description, covers, codes, files)
    print(f"wrote {len(SPECS)} vectors")


if __name__ == "__main__":
    main()
