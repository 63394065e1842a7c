#!/usr/bin/env python3
"""Write the ``c2pa-*`` conformance vectors (spec/c2pa.md).

Each vector ships a small layered source (an OpenRaster file by
``tests/support/formats_build.py``) and a PNG, JPEG or WebP export that carries a C2PA
manifest signed here, with c2pa-python, by a fresh ES256 test CA
(``tests/support/c2pa_build.py``): no validator trusts it, so every intact manifest is
also ``c2pa.untrusted`` (info). Signing is not deterministic (random claim ids, ECDSA
nonces), so the committed bytes are one run's output; run this again only to change a
vector, then ``python spec/conformance/refresh.py`` fills in digests and sizes. The
certificates are valid for a century: c2pa checks a claim without a time-stamp against
the current time.

    python spec/conformance/make_c2pa_vectors.py && python spec/conformance/refresh.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from _support import support

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VECTORS = HERE / "vectors"
ZERO = "0" * 64


fb = support("formats_build")
cb = support("c2pa_build")

SOURCE = fb.ora(["sky", "ink"])
DRAFT = fb.ora(["draft"])
EXT = {"png": "png", "jpeg": "jpg", "webp": "webp"}


def _manifest(export: str, export_id: str, step_input: str) -> str:
    artifacts = [("cover-src", "art/cover.ora", "layered-image"),
                 ("draft-src", "art/draft.ora", "layered-image"),
                 (export_id, export, "raster-image")]
    lines = ["spec: rebuildable/0.1", "name: c2pa-vector", 'version: "1.0"',
             "license: CC-BY-4.0", "profile: artwork", "artifacts:"]
    for ident, path, kind in artifacts:
        lines += [f"  - id: {ident}", f"    path: {path}", f"    kind: {kind}",
                  f"    digest: {{sha256: \"{ZERO}\"}}", "    size: 0"]
    lines += ["steps:", "  - id: export", f"    run: krita --export art/cover.ora {export}",
              f"    inputs: [{step_input}]", f"    outputs: [{export_id}]", ""]
    return "\n".join(lines)


def vector(name: str, signed: bytes, fmt: str, meta: dict[str, Any], *,
           step_input: str = "cover-src") -> None:
    folder = VECTORS / f"c2pa-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    release = folder / "release"
    (release / "art").mkdir(parents=True)
    (release / "out").mkdir()
    (release / "art" / "cover.ora").write_bytes(SOURCE)
    (release / "art" / "draft.ora").write_bytes(DRAFT)
    export = f"out/cover.{EXT[fmt]}"
    (release / export).write_bytes(signed)
    (release / "rebuild.yaml").write_text(_manifest(export, "cover", step_input), "utf-8")
    meta = {**meta, "refresh_digests": True}
    (folder / "vector.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")


def _untrusted() -> dict[str, Any]:
    return {"code": "c2pa.untrusted", "artifact": "cover", "severity": "info", "count": 1}


def main() -> None:
    signer = cb.make_signer(days=36500)
    by_digest = [cb.ingredient("art/cover.ora", SOURCE)]

    def sign(fmt: str, ingredients: list[dict[str, Any]]) -> bytes:
        return bytes(cb.sign_image(signer, fmt, cb.plain_image(fmt), ingredients))

    vector("linked", sign("png", by_digest), "png", {
        "description": "A PNG export whose C2PA parent pins the shipped ORA's digest is "
                       "linked to it; the test signer is untrusted, which is no damage",
        "covers": ["PROV-1", "PROV-4", "PROV-5"], "requires": ["c2pa"],
        "expect": {"ok": True, "codes": [], "findings": [_untrusted()]}})
    for fmt in ("jpeg", "webp"):
        vector(f"linked-{fmt}", sign(fmt, by_digest), fmt, {
            "description": f"A {fmt.upper()} export carries its C2PA manifest in the "
                           "format's own container and is linked to its source",
            "covers": ["PROV-1", "PROV-5"], "requires": ["c2pa"],
            "expect": {"ok": True, "codes": [], "findings": [_untrusted()]}})
    vector("parent-digest-mismatch", sign("png", [cb.ingredient("art/cover.ora",
                                                                 fb.ora(["sky"]))]), "png", {
        "description": "The C2PA parent names art/cover.ora but pins another version of it",
        "covers": ["PROV-5"], "requires": ["c2pa"],
        "expect": {"ok": False, "codes": ["c2pa.parent-digest-mismatch"], "findings": [
            {"code": "c2pa.parent-digest-mismatch", "artifact": "cover",
             "pointer": "/artifacts/0/digest", "count": 1}]}})
    vector("parent-contradicts-step", sign("png", [cb.ingredient("art/draft.ora", DRAFT)]),
           "png", {
        "description": "The step makes the export from art/cover.ora; its C2PA parent is "
                       "art/draft.ora",
        "covers": ["PROV-6"], "requires": ["c2pa"],
        "expect": {"ok": False, "codes": ["c2pa.parent-contradicts-step"], "findings": [
            {"code": "c2pa.parent-contradicts-step", "artifact": "cover", "step": "export",
             "pointer": "/steps/0/inputs", "count": 1}]}})
    vector("parent-not-shipped", sign("png", [cb.ingredient("Untitled-1.psd", b"psd",
                                                             media_type="image/vnd.adobe"
                                                                        ".photoshop")]),
           "png", {
        "description": "The export's C2PA parent is a file the release does not list",
        "covers": ["PROV-6"], "requires": ["c2pa"],
        "expect": {"ok": True, "codes": ["c2pa.parent-not-shipped"]}})
    title_escapes(sign)
    vector("tampered", cb.tamper(sign("png", [cb.ingredient("art/draft.ora", DRAFT)]), "png"),
           "png", {
        "description": "The export changed after it was signed: its hash binding fails, and "
                       "its (contradicting) parent is no evidence",
        "covers": ["PROV-3"], "requires": ["c2pa"],
        "expect": {"ok": True, "codes": ["c2pa.invalid"], "findings": [
            {"code": "c2pa.untrusted", "count": 0},
            {"code": "c2pa.parent-contradicts-step", "count": 0}]}})
    vector("not-checked", sign("png", by_digest), "png", {
        "description": "Without a C2PA library the manifest is noted, not checked",
        "covers": ["PROV-2"], "simulate": {"unavailable_libraries": ["c2pa"]},
        "expect": {"ok": True, "codes": [], "findings": [
            {"code": "c2pa.not-checked", "artifact": "cover", "severity": "info",
             "count": 1}]}})


def title_escapes(sign: Any) -> None:
    vector("title-escapes", sign("png", [cb.ingredient("../../etc/draft.ora")]), "png", {
        "description": "The C2PA parent's title is a path out of the release; it names no "
                       "listed file, not art/draft.ora by its file name",
        "covers": ["PROV-5"], "requires": ["c2pa"],
        "expect": {"ok": True, "codes": ["c2pa.parent-not-shipped"], "findings": [
            {"code": "c2pa.parent-contradicts-step", "count": 0}]}})


if __name__ == "__main__":
    main()
