"""Verdicts that hand-built releases got out of the validator and must not (issue 9).

Each test feeds one named hostile release (tests/support/hostile_releases.py) and checks
the verdict it used to get wrong.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from rebuildable.api import Options, validate
from rebuildable.findings import Finding
from rebuildable.openness.licences import OpennessStatus, classify
from tests.support.corpus import corpus_file
from tests.support.hostile_releases import (
    artwork_with_flat_source,
    binary_copied_from_environment,
    dataset_copied_not_derived,
    licence_with_unlisted_addition,
    model_trained_without_its_code,
)
from tests.support.releases import read_manifest, write_manifest

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 56


def test_with_an_addition_ref_is_not_open_source(tmp_path: Path) -> None:
    report = validate(licence_with_unlisted_addition(tmp_path / "rel"),
                      Options(require=frozenset({"open-source"})))
    verdicts = report.to_dict()["verdicts"]
    assert verdicts["complete"]["ok"] is True  # the release is fine but for its licence
    assert verdicts["open-source"]["ok"] is False
    assert any(f.code == "openness.not-open" for f in report.findings)
    assert not report.ok


@pytest.mark.parametrize(("expression", "status"), [
    ("MIT WITH AdditionRef-NonCommercial", OpennessStatus.UNKNOWN),
    ("MIT WITH Made-up-exception", OpennessStatus.UNKNOWN),  # on no list
    ("CC-BY-NC-4.0 WITH AdditionRef-x", OpennessStatus.NOT_OPEN),  # least open of the two
    ("MIT OR (Apache-2.0 WITH AdditionRef-x)", OpennessStatus.OPEN),  # MIT is a choice
    ("Apache-2.0 WITH LLVM-exception", OpennessStatus.OPEN),  # listed: adds permissions
    ("GPL-2.0-only WITH Classpath-exception-2.0", OpennessStatus.OPEN),
])
def test_with_judges_the_addition(expression: str, status: OpennessStatus) -> None:
    assert classify(expression).status is status


def _copy_findings(root: Path) -> tuple[Any, list[Finding]]:
    report = validate(root, Options())
    found = [f for f in report.findings if f.code == "profile.output-copies-input"]
    return report.to_dict()["verdicts"]["complete"], found


def test_derived_data_that_is_the_raw_file_is_not_complete(tmp_path: Path) -> None:
    complete, found = _copy_findings(dataset_copied_not_derived(tmp_path / "rel"))
    assert complete["ok"] is False
    (f,) = found
    assert f.artifact == "clean.csv"
    assert f.step == "clean"
    assert f.data["copy-of"] == "raw.csv"
    assert f.location is not None
    assert f.location.pointer == "/artifacts/2/digest"


def test_a_binary_copied_from_its_environment_is_not_built(tmp_path: Path) -> None:
    complete, found = _copy_findings(binary_copied_from_environment(tmp_path / "rel", ELF))
    assert complete["ok"] is False
    assert [f.data["copy-of"] for f in found] == ["toolchain-cc"]


def test_processed_data_is_not_a_copy(tmp_path: Path) -> None:
    root = dataset_copied_not_derived(tmp_path / "rel")
    (root / "clean.csv").write_bytes(b"text,label\ngood,1\nbad,0\n")
    data = read_manifest(root)
    data["artifacts"][2]["digest"] = {"sha256": hashlib.sha256(
        (root / "clean.csv").read_bytes()).hexdigest()}
    data["artifacts"][2]["size"] = (root / "clean.csv").stat().st_size
    write_manifest(root / "rebuild.yaml", data)
    complete, found = _copy_findings(root)
    assert found == []
    assert complete["ok"] is True


def _png() -> bytes:
    """A well-formed 1x1 grey PNG."""
    import struct
    import zlib

    def chunk(tag: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + tag + body
                + struct.pack(">I", zlib.crc32(tag + body)))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0\x80")) + chunk(b"IEND", b""))


def _svg_wrapping(png: bytes) -> bytes:
    import base64

    return (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
            b' width="4" height="4"><image width="4" height="4" xlink:href="data:image/png;base64,'
            + base64.b64encode(png) + b'"/></svg>')


def _zip_of_pngs(png: bytes) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("layer1.png", png)
        z.writestr("layer2.png", png)
    return out.getvalue()


@pytest.mark.parametrize(("name", "kind", "make", "content_code"), [
    ("art.psd", "layered-image",
     lambda png: corpus_file("layered/psd-tools_0layers.psd").read_bytes(),
     "content.flat-layered-image"),
    ("art.svg", "vector-image", _svg_wrapping, "content.flat-vector-image"),
    ("art.svg", "vector-image", lambda png: b'<svg xmlns="http://www.w3.org/2000/svg"/>',
     "content.flat-vector-image"),
    ("art.ora", "layered-image", _zip_of_pngs, "content.kind-mismatch"),
])
def test_a_flat_editable_source_is_no_source(tmp_path: Path, name: str, kind: str,
                                             make: Any, content_code: str) -> None:
    png = _png()
    root = artwork_with_flat_source(tmp_path / "rel", name, make(png), kind, png)
    report = validate(root, Options())
    codes = {f.code for f in report.findings}
    assert content_code in codes
    # the export is not made from a layered or vector source: the artwork is incomplete
    assert "profile.raster-not-from-layered" in codes
    assert report.to_dict()["verdicts"]["complete"]["ok"] is False


def test_an_svg_with_paths_and_an_image_is_a_vector_source(tmp_path: Path) -> None:
    png = _png()
    svg = _svg_wrapping(png).replace(b"</svg>", b'<path d="M0 0L4 4"/></svg>')
    report = validate(artwork_with_flat_source(tmp_path / "rel", "art.svg", svg,
                                               "vector-image", png), Options())
    assert [f.code for f in report.findings if f.severity.value != "info"] == []
    assert report.to_dict()["verdicts"]["complete"]["ok"] is True


def test_an_incomplete_model_is_not_rebuildable_in_full(tmp_path: Path) -> None:
    report = validate(model_trained_without_its_code(tmp_path / "rel"))
    verdicts = report.to_dict()["verdicts"]
    assert verdicts["complete"]["ok"] is False
    assert any(f.code == "profile.no-training-code" for f in report.findings)
    assert verdicts["rebuildable"]["mode"] == "none"  # was "full" beside "complete NO"
    assert verdicts["rebuildable"]["steps"] == {"train": "none"}
    assert "not complete" in verdicts["rebuildable"]["reasons"][0]
