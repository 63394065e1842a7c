"""C2PA as the c2pa library writes and reads it: the sniffer finds manifests without the
library exactly where the library finds them, the committed vectors verify with it, and
an ingredient that c2pa builds from the source file itself (its own title and format)
links the export through the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable.cli import cli
from tests.support import VECTORS, make_release, optional
from tests.support import formats_build as fb

c2pa = optional.require("c2pa")
from tests.support import c2pa_build as cb  # noqa: E402 - needs c2pa


@pytest.fixture(scope="module")
def signer() -> cb.TestSigner:
    return cb.make_signer()


@pytest.mark.parametrize("fmt", sorted(cb.FORMATS))
def test_the_sniffer_agrees_with_the_library(signer: cb.TestSigner, fmt: str) -> None:
    plain = cb.plain_image(fmt)
    signed = cb.sign_image(signer, fmt, plain, [cb.ingredient("a.ora")])
    mime = cb.FORMATS[fmt][1]
    for data, carries in ((plain, False), (signed, True)):
        info = fb.sniff_bytes(data, f"x.{fmt}")
        assert bool(info.details.get("c2pa")) is carries
        assert (c2pa.Reader.try_create(mime, io.BytesIO(data)) is not None) is carries


def test_the_committed_vectors_verify_with_the_library() -> None:
    folders = sorted(VECTORS.glob("c2pa-*"))
    assert folders
    for folder in folders:
        export = next((folder / "release" / "out").iterdir())
        fmt = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}[export.suffix[1:]]
        with c2pa.Reader(fmt, io.BytesIO(export.read_bytes())) as reader:
            state = reader.get_validation_state()
        assert state == ("Invalid" if folder.name == "c2pa-tampered" else "Valid"), folder.name


def test_an_ingredient_c2pa_builds_from_the_source_links_the_export(
        tmp_path: Path, signer: cb.TestSigner) -> None:
    """c2pa's own add_ingredient reads the source (here a PNG layer sheet, a format it
    knows) and records its title; validate --format json and text show the link."""
    sheet = cb.plain_image("png", (0, 0, 255))
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, signer.chain.encode(),
                               signer.key.encode(), None)
    definition = {"claim_generator_info": [{"name": "interop", "version": "1"}],
                  "assertions": [cb.CREATED]}
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as c2pa_signer, c2pa.Builder(definition) as builder:
        builder.add_ingredient({"title": "sheet.png", "relationship": "parentOf"},
                               "image/png", io.BytesIO(sheet))
        builder.sign(c2pa_signer, "image/png", io.BytesIO(cb.plain_image("png")), out)
    files = {"art/sheet.png": sheet, "out/cover.png": out.getvalue()}
    steps = [{"id": "export", "run": "export", "inputs": ["sheet"], "outputs": ["cover"]}]
    root = make_release(tmp_path / "rel", files, steps,
                        ids={"art/sheet.png": "sheet", "out/cover.png": "cover"},
                        kinds={"art/sheet.png": "raster-image", "out/cover.png": "raster-image"})
    result = CliRunner().invoke(cli, ["validate", str(root), "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    section = json.loads(result.output)["c2pa"]
    assert section["cover"]["parent"] == {"artifact": "sheet", "path": "art/sheet.png",
                                          "by": "title"}
    text = CliRunner().invoke(cli, ["validate", str(root)], catch_exceptions=False).output
    assert "out/cover.png made from art/sheet.png (C2PA parent, by title;" in text
