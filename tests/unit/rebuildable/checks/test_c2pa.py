"""The C2PA check: signed exports linked to their layered source, contradictions found,
integrity kept apart from trust, and the core working without the c2pa library."""

from __future__ import annotations

import json
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rebuildable import schema
from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.findings import Finding, Severity
from rebuildable.render.json_report import render_json
from rebuildable.render.text import render_text
from rebuildable.report import Report
from tests.support import codes, make_release, optional
from tests.support import formats_build as fb

optional.require("c2pa")
from tests.support import c2pa_build as cb  # noqa: E402 - needs c2pa

SOURCE = fb.ora(["sky", "ink"])
OTHER = fb.ora(["draft"])
KINDS = {"art/cover.ora": "layered-image", "art/draft.ora": "layered-image",
         "out/cover.png": "raster-image", "out/cover.jpg": "raster-image",
         "out/cover.webp": "raster-image"}
IDS = {"art/cover.ora": "cover-src", "art/draft.ora": "draft-src", "out/cover.png": "cover-png",
       "out/cover.jpg": "cover-jpg", "out/cover.webp": "cover-webp"}


@pytest.fixture(scope="module")
def signer() -> cb.TestSigner:
    return cb.make_signer()


def release(tmp_path: Path, export: bytes, *, name: str = "out/cover.png",
            step_input: str = "cover-src", profile: str = "artwork") -> Report:
    files = {"art/cover.ora": SOURCE, "art/draft.ora": OTHER, name: export}
    steps = [{"id": "export", "run": "krita --export art/cover.ora " + name,
              "inputs": [step_input], "outputs": [IDS[name]]}]
    root = make_release(tmp_path / "rel", files, steps, kinds=KINDS, ids=IDS, profile=profile,
                        license="CC-BY-4.0")
    return validate(root, Options())


def c2pa_findings(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.code.startswith("c2pa.")]


def only(report: Report, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, [(f.code, f.message) for f in report.findings]
    return found[0]


def test_an_export_whose_parent_is_the_source_is_linked(tmp_path: Path,
                                                        signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/cover.ora", SOURCE)])
    report = release(tmp_path, signed)
    assert report.ok, [(f.code, f.message) for f in report.findings]
    assert codes(report, prefix="c2pa.") == ["c2pa.untrusted"]
    untrusted = only(report, "c2pa.untrusted")
    assert untrusted.severity is Severity.INFO
    assert "rebuildable test signer" in untrusted.message
    entry = report.to_dict()["c2pa"]["cover-png"]
    assert entry["parent"] == {"artifact": "cover-src", "path": "art/cover.ora", "by": "digest"}
    assert entry["intact"] is True
    assert entry["trusted"] is False
    assert report.to_dict()["formats"]["cover-png"]["details"]["c2pa"] is True
    data = json.loads(render_json(report))
    assert list(schema.validator("report").iter_errors(data)) == []


def test_the_text_report_shows_one_line_per_linked_export(tmp_path: Path,
                                                          signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("cover.ora")])  # by file name, no digest
    text = render_text(release(tmp_path, signed))
    lines = [line for line in text.splitlines() if line.startswith("  out/cover.png")]
    assert lines == ["  out/cover.png made from art/cover.ora (C2PA parent, by title; "
                     "signer rebuildable test signer / rebuildable tests, not trusted here)"]


def test_a_parent_the_step_does_not_use_contradicts_the_step(tmp_path: Path,
                                                             signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/draft.ora", OTHER)])
    report = release(tmp_path, signed)
    found = only(report, "c2pa.parent-contradicts-step")
    assert found.severity is Severity.ERROR
    assert (found.artifact, found.step) == ("cover-png", "export")
    assert found.location is not None
    assert found.location.pointer == "/steps/0/inputs"
    assert "art/draft.ora" in found.message
    assert not report.ok


def test_a_parent_through_an_intermediate_step_agrees(tmp_path: Path,
                                                      signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/cover.ora", SOURCE)])
    files = {"art/cover.ora": SOURCE, "work/flat.tif": b"II*\0" + b"\0" * 12,
             "out/cover.png": signed}
    steps = [{"id": "flatten", "run": "flatten", "inputs": ["cover-src"], "outputs": ["flat"]},
             {"id": "export", "run": "export", "inputs": ["flat"], "outputs": ["cover-png"]}]
    root = make_release(tmp_path / "rel", files, steps, kinds=KINDS,
                        ids={**IDS, "work/flat.tif": "flat"}, license="CC-BY-4.0")
    report = validate(root, Options())
    assert codes(report, prefix="c2pa.") == ["c2pa.untrusted"]
    assert report.to_dict()["c2pa"]["cover-png"]["parent"]["artifact"] == "cover-src"


def test_a_parent_pinned_with_another_digest_is_a_mismatch(tmp_path: Path,
                                                           signer: cb.TestSigner) -> None:
    older = fb.ora(["sky"])  # the export was made from another version of the source
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/cover.ora", older)])
    report = release(tmp_path, signed)
    found = only(report, "c2pa.parent-digest-mismatch")
    assert found.severity is Severity.ERROR
    assert found.artifact == "cover-png"
    assert found.location is not None
    assert found.location.pointer == "/artifacts/0/digest"
    assert found.data["parent"] == "cover-src"
    assert report.to_dict()["c2pa"]["cover-png"]["parent"] is None


def test_a_parent_the_release_does_not_list(tmp_path: Path, signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("Untitled-1.psd", b"elsewhere",
                                          media_type="image/vnd.adobe.photoshop")])
    found = only(release(tmp_path, signed), "c2pa.parent-not-shipped")
    assert found.severity is Severity.WARNING
    assert "Untitled-1.psd" in found.message


def test_a_tampered_export_fails_its_hash_binding(tmp_path: Path,
                                                  signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/draft.ora", OTHER)])
    report = release(tmp_path, cb.tamper(signed, "png"))
    found = only(report, "c2pa.invalid")
    assert found.severity is Severity.WARNING
    assert any("assertion.dataHash.mismatch" in f for f in found.data["failures"])
    # A broken claim is no evidence: its (contradicting) parent is not judged, nor trust.
    assert codes(report, prefix="c2pa.") == ["c2pa.invalid"]
    assert report.to_dict()["c2pa"]["cover-png"]["intact"] is False


def test_an_image_without_c2pa_is_not_read(tmp_path: Path) -> None:
    report = release(tmp_path, cb.plain_image("png"))
    assert c2pa_findings(report) == []
    assert "c2pa" not in report.sections


@contextmanager
def no_c2pa_library() -> Iterator[None]:
    """As if the extra were not installed: importing c2pa raises ImportError."""
    saved = {n: m for n, m in sys.modules.items() if n == "c2pa" or n.startswith("c2pa.")}
    sys.modules["c2pa"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.modules.pop("c2pa", None)
        sys.modules.update(saved)


def test_without_the_library_a_carrier_is_noted_not_checked(tmp_path: Path,
                                                            signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/draft.ora", OTHER)])
    with no_c2pa_library():
        report = release(tmp_path, signed)
    assert codes(report, prefix="c2pa.") == ["c2pa.not-checked"]
    found = only(report, "c2pa.not-checked")
    assert found.severity is Severity.INFO
    assert found.artifact == "cover-png"
    assert "not installed" in found.message
    assert report.ok


@pytest.mark.parametrize(("fmt", "name"), [("jpeg", "out/cover.jpg"), ("webp", "out/cover.webp")])
def test_jpeg_and_webp_exports(tmp_path: Path, signer: cb.TestSigner, fmt: str,
                               name: str) -> None:
    signed = cb.sign_image(signer, fmt, cb.plain_image(fmt),
                           [cb.ingredient("art/cover.ora", SOURCE)])
    report = release(tmp_path, signed, name=name)
    assert codes(report, prefix="c2pa.") == ["c2pa.untrusted"]
    assert report.to_dict()["c2pa"][IDS[name]]["parent"]["artifact"] == "cover-src"
    tampered = release(tmp_path / "t", cb.tamper(signed, fmt), name=name)
    assert codes(tampered, prefix="c2pa.") == ["c2pa.invalid"]


def test_a_structure_only_run_reads_no_c2pa(tmp_path: Path, signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/draft.ora", OTHER)])
    root = make_release(tmp_path / "rel", {"out/cover.png": signed}, kinds=KINDS, ids=IDS)
    report = validate(root, Options(hash_files=False))
    assert c2pa_findings(report) == []


def _parse(store: Any) -> Any:
    from rebuildable.formats.c2pa import parse_store

    return parse_store(store)


def test_trust_failures_are_kept_apart_from_integrity() -> None:
    store = {"active_manifest": "m", "manifests": {"m": {
        "ingredients": [{"title": "a.ora", "relationship": "parentOf",
                         "instance_id": "urn:sha256:" + "AB" * 32}]}},
        "validation_results": {"activeManifest": {"failure": [
            {"code": "signingCredential.untrusted"},
            {"code": "claimSignature.mismatch", "explanation": "bad"}]}}}
    parsed = _parse(store)
    assert parsed.trust_failures == ["signingCredential.untrusted"]
    assert parsed.integrity_failures == ["claimSignature.mismatch (bad)"]
    assert parsed.parents[0].digests == {"sha256": "ab" * 32}
    assert _parse([]) is None


def test_art1_names_the_c2pa_parent_the_step_forgot(tmp_path: Path,
                                                    signer: cb.TestSigner) -> None:
    """The export step consumes no layered image (ART-1), but the export's C2PA parent
    is the shipped ORA: the finding says which input is missing."""
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/cover.ora", SOURCE)])
    files = {"art/cover.ora": SOURCE, "notes.txt": b"colours\n", "out/cover.png": signed}
    steps = [{"id": "export", "run": "export", "inputs": ["notes"], "outputs": ["cover-png"]}]
    root = make_release(tmp_path / "rel", files, steps, kinds={**KINDS, "notes.txt": "config"},
                        ids={**IDS, "notes.txt": "notes"}, profile="artwork",
                        license="CC-BY-4.0")
    report = validate(root, Options())
    art1 = only(report, "profile.raster-not-from-layered")
    assert "C2PA manifest names art/cover.ora" in art1.message
    assert art1.hint == "Add cover-src to the inputs of step 'export'."
    # the same parent also contradicts the step, as the C2PA check says
    assert only(report, "c2pa.parent-contradicts-step").step == "export"


def test_an_export_inside_an_archive_release_is_read(tmp_path: Path,
                                                     signer: cb.TestSigner) -> None:
    signed = cb.sign_image(signer, "png", cb.plain_image("png"),
                           [cb.ingredient("art/cover.ora", SOURCE)])
    files = {"art/cover.ora": SOURCE, "out/cover.png": signed}
    steps = [{"id": "export", "run": "export", "inputs": ["cover-src"],
              "outputs": ["cover-png"]}]
    root = make_release(tmp_path / "rel", files, steps, kinds=KINDS, ids=IDS,
                        license="CC-BY-4.0")
    archive = tmp_path / "rel.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname=".")
    report = validate(archive, Options())
    assert codes(report, prefix="c2pa.") == ["c2pa.untrusted"]
    assert report.to_dict()["c2pa"]["cover-png"]["parent"]["artifact"] == "cover-src"
