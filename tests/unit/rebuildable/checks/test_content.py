"""The content check: declared kinds against the bytes, through the engine."""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from rebuildable.checks.content import KIND_RULES, formats_for
from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.findings import Finding, Severity
from rebuildable.formats import FormatInfo
from rebuildable.report import Report
from rebuildable.schema import validator
from tests.support import codes, corpus_dir, make_release, read_manifest, write_manifest
from tests.support import formats_build as fb


def png(software: str | None = None) -> bytes:
    buf = io.BytesIO()
    meta = PngImagePlugin.PngInfo()
    if software:
        meta.add_text("Software", software)
    Image.new("RGB", (4, 4), "teal").save(buf, "PNG", pnginfo=meta)
    return buf.getvalue()


def check(tmp_path: Path, files: Mapping[str, bytes], kinds: Mapping[str, str],
          **options: object) -> Report:
    root = make_release(tmp_path / "rel", files, kinds=kinds)
    return validate(root, Options(**options))  # type: ignore[arg-type]


def content(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.code.startswith("content.")]


def test_a_clean_release_of_every_kind(tmp_path: Path) -> None:
    files = {"art/work.psd": fb.psd([("bg", None), ("ink", None)]),
             "art/work.xcf": fb.xcf([False, True, False]),
             "art/work.kra": fb.kra(["a", ("g", ["b"])]), "art/work.ora": fb.ora(["a", "b"]),
             "art/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1"/></svg>',
             "out/cover.png": png(),
             "model/w.safetensors": fb.safetensors({"w": ("F32", [2], b"\0" * 8)}),
             "src/main.py": b"print('hi')\n"}
    kinds = {"art/work.psd": "layered-image", "art/work.xcf": "layered-image",
             "art/work.kra": "layered-image", "art/work.ora": "layered-image",
             "art/logo.svg": "vector-image", "out/cover.png": "raster-image",
             "model/w.safetensors": "weights", "src/main.py": "source-code"}
    report = check(tmp_path, files, kinds)
    assert set(codes(report, prefix="content.")) == set()
    section = report.to_dict()["formats"]
    assert section["art-work.psd"]["format"] == "psd"
    assert section["art-work.psd"]["layers"] == 2
    assert section["out-cover.png"]["family"] == "raster-image"
    assert section["src-main.py"]["format"] is None
    validator("report").validate(report.to_dict())


def _one(report: Report, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, [f.code for f in report.findings]
    return found[0]


def test_png_declared_layered_image_is_a_kind_mismatch(tmp_path: Path) -> None:
    report = check(tmp_path, {"art.psd": png()}, {"art.psd": "layered-image"})
    f = _one(report, "content.kind-mismatch")
    assert f.severity is Severity.ERROR
    assert f.artifact == "art.psd"
    assert "PNG (raster-image)" in f.message
    assert f.location is not None
    assert f.location.pointer == "/artifacts/0/kind"
    assert f.location.line is not None
    assert f.data["declared"] == "layered-image"
    assert not report.ok


@pytest.mark.parametrize(("data", "kind"), [
    (fb.psd([("a", None), ("b", None)]), "raster-image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "raster-image"),
    (b"\x7fELF\x02\x01\x01\x00" + b"\0" * 56, "source-code"),
    (png(), "weights"),
    (png(), "vector-image"),
    (fb.safetensors({"w": ("U8", [1], b"\0")}), "binary"),
])
def test_other_mismatches(tmp_path: Path, data: bytes, kind: str) -> None:
    report = check(tmp_path, {"f.bin": data}, {"f.bin": kind})
    assert "content.kind-mismatch" in set(codes(report, prefix="content."))


def test_flat_psd_declared_layered_is_an_error(tmp_path: Path) -> None:
    report = check(tmp_path, {"flat.psd": fb.psd(store="none")}, {"flat.psd": "layered-image"})
    f = _one(report, "content.flat-layered-image")
    assert f.severity is Severity.ERROR
    assert f.data["layers"] == 0


def test_single_layer_is_info(tmp_path: Path) -> None:
    report = check(tmp_path, {"one.xcf": fb.xcf([False])}, {"one.xcf": "layered-image"})
    f = _one(report, "content.single-layer")
    assert f.severity is Severity.INFO
    assert report.ok


def test_malformed_whatever_the_kind(tmp_path: Path) -> None:
    good = fb.safetensors({"w": ("F32", [4], b"\0" * 16)})
    report = check(tmp_path, {"w.safetensors": good[:-4], "x.safetensors": good[:-4]},
                   {"w.safetensors": "weights", "x.safetensors": "other"})
    found = [f for f in report.findings if f.code == "content.malformed"]
    assert {f.artifact for f in found} == {"w.safetensors", "x.safetensors"}
    assert all(f.location and (f.location.pointer or "").endswith("/path") for f in found)
    assert "SAFETENSORS structure is broken" in found[0].message


def test_nonconformant_ora_is_a_warning(tmp_path: Path) -> None:
    report = check(tmp_path, {"a.ora": fb.ora(["a", "b"], mimetype_first=False)},
                   {"a.ora": "layered-image"})
    f = _one(report, "content.nonconformant")
    assert f.severity is Severity.WARNING
    assert report.ok
    assert not validate(tmp_path / "rel", Options(strict=True)).ok


def test_unrecognised_severity_follows_the_kind(tmp_path: Path) -> None:
    report = check(tmp_path, {"a.png": b"not an image", "w.onnx": b"\x08\x07\x12\x04onnx"},
                   {"a.png": "raster-image", "w.onnx": "weights"})
    found = {f.artifact: f for f in report.findings if f.code == "content.unrecognised"}
    assert found["a.png"].severity is Severity.WARNING
    assert found["w.onnx"].severity is Severity.INFO


def test_pickled_weights_warn(tmp_path: Path) -> None:
    report = check(tmp_path, {"model.pt": pickle.dumps({"w": 1}, protocol=4)},
                   {"model.pt": "weights"})
    f = _one(report, "content.pickle")
    assert f.severity is Severity.WARNING
    assert "content.kind-mismatch" not in set(codes(report, prefix="content."))


def test_tolerated_families_are_not_mismatches(tmp_path: Path) -> None:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        ti = tarfile.TarInfo("ckpt/index")
        ti.size = 1
        tf.addfile(ti, io.BytesIO(b"x"))
    report = check(tmp_path, {"ckpt.tar": buf.getvalue(), "src.tar": buf.getvalue()},
                   {"ckpt.tar": "weights", "src.tar": "source-code"})
    assert set(codes(report, prefix="content.")) == set()


def test_missing_and_linked_files_are_left_to_other_checks(tmp_path: Path) -> None:
    root = make_release(tmp_path / "rel", {"a.png": png(), "b.png": png()},
                        kinds={"a.png": "layered-image", "b.png": "layered-image"})
    (root / "a.png").unlink()
    (root / "b.png").unlink()
    (root / "b.png").symlink_to(root / "rebuild.yaml")
    report = validate(root)
    assert set(codes(report, prefix="content.")) == set()
    assert "formats" not in report.sections


def test_structure_only_runs_read_no_content(tmp_path: Path) -> None:
    report = check(tmp_path, {"a.psd": png()}, {"a.psd": "layered-image"}, hash_files=False)
    assert set(codes(report, prefix="content.")) == set()


def test_formats_are_cached_once_for_later_checks(tmp_path: Path) -> None:
    root = make_release(tmp_path / "rel", {"a.png": png("GIMP 2.10"), "b.png": png()},
                        kinds={"a.png": "raster-image", "b.png": "raster-image"})
    data = read_manifest(root)
    data["artifacts"].append(dict(data["artifacts"][0], id="a-again"))  # same path twice
    write_manifest(root / "rebuild.yaml", data)
    from rebuildable.context import Context
    from rebuildable.load import load_manifest
    from rebuildable.model import Manifest
    from rebuildable.release import open_release

    with open_release(root) as release:
        doc = load_manifest(release.read_manifest(), "rebuild.yaml").document
        assert doc is not None
        ctx = Context(release=release, document=doc, manifest=Manifest.from_data(doc.data),
                      options=Options())
        first = formats_for(ctx)
        assert formats_for(ctx) is first is ctx.state.formats
    assert set(first) == {"a.png", "b.png"}
    assert isinstance(first["a.png"], FormatInfo)
    assert first["a.png"].details["editor"] == "gimp"


def test_corpus_release_in_place(tmp_path: Path) -> None:
    """A manifest beside symlink-free copies is not allowed (no corpus copies): point a
    FolderRelease-style manifest at the corpus folder through a manifest file path."""
    layered = corpus_dir("layered")
    manifest = tmp_path / "rebuild.yaml"
    # The manifest must sit at the release root, so validate a release whose root is the
    # corpus folder by handing the engine a Release over it directly.
    from rebuildable.load import load_manifest
    from rebuildable.release import FolderRelease

    arts = [("psd-tools_0layers.psd", "layered-image"), ("psd-tools_group.psd", "layered-image"),
            ("mypaint_fill_outlines.ora", "layered-image"), ("libkra_player.kra", "layered-image"),
            ("gimpformats_64x64.xcf", "raster-image")]
    lines = ["spec: rebuildable/0.1", "name: corpus", 'version: "1"', "license: MIT",
             "artifacts:"]
    for i, (path, kind) in enumerate(arts):
        lines += [f"  - id: a{i}", f"    path: {path}", f"    kind: {kind}",
                  f"    digest: {{sha256: \"{'0' * 64}\"}}"]
    manifest.write_text("\n".join(lines) + "\n")

    class CorpusRelease(FolderRelease):
        def read_manifest(self) -> bytes:
            return manifest.read_bytes()

    release = CorpusRelease(layered, "rebuild.yaml", str(layered))
    assert load_manifest(release.read_manifest(), "rebuild.yaml").document is not None
    report = validate(release, Options(hash_files=True))
    by = {(f.code, f.artifact) for f in content(report)}
    assert ("content.flat-layered-image", "a0") in by
    assert ("content.nonconformant", "a2") in by
    assert ("content.single-layer", "a3") in by
    assert ("content.kind-mismatch", "a4") in by
    assert not any(a == "a1" for _, a in by)


def test_every_rule_names_known_formats() -> None:
    from rebuildable.model import KIND_VOCABULARY

    assert set(KIND_RULES) <= set(KIND_VOCABULARY)
    for rule in KIND_RULES.values():
        assert rule.formats or rule.forbidden


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_archive_releases_are_sniffed_too(tmp_path: Path, suffix: str) -> None:
    import tarfile
    import zipfile

    root = make_release(tmp_path / "rel", {"a.psd": png(), "b.xcf": fb.xcf([False, True])},
                        kinds={"a.psd": "layered-image", "b.xcf": "layered-image"})
    archive = tmp_path / f"rel{suffix}"
    if suffix == ".zip":
        with zipfile.ZipFile(archive, "w") as zf:
            for f in sorted(root.rglob("*")):
                zf.write(f, f.relative_to(root).as_posix())
    else:
        with tarfile.open(archive, "w:gz") as tf:
            tf.add(root, arcname=".")
    report = validate(archive)
    assert {(f.code, f.artifact) for f in content(report)} == {
        ("content.kind-mismatch", "a.psd")}
    assert report.to_dict()["formats"]["b.xcf"]["layers"] == 2


def test_damage_needs_a_kind_or_a_name_that_claims_the_format(tmp_path: Path) -> None:
    jpeg_start = b"\xff\xd8\xff\x00random"
    report = check(tmp_path, {"d/f0.dat": jpeg_start, "d/f1.jpg": jpeg_start,
                              "d/f2.dat": b"\x80\x02}q\x00."},
                   {"d/f0.dat": "other", "d/f1.jpg": "other", "d/f2.dat": "other"})
    assert {(f.code, f.artifact) for f in content(report)} == {
        ("content.malformed", "d-f1.jpg")}
    assert report.to_dict()["formats"]["d-f0.dat"]["format"] == "jpeg"


def test_pickle_scope(tmp_path: Path) -> None:
    blob = pickle.dumps([1, 2, 3], protocol=2)
    report = check(tmp_path, {"a.bin": blob, "b.pkl": blob, "c.bin": blob},
                   {"a.bin": "other", "b.pkl": "other", "c.bin": "dataset"})
    assert {f.artifact for f in report.findings if f.code == "content.pickle"} == {
        "b.pkl", "c.bin"}


def test_broken_executable_is_not_called_a_program(tmp_path: Path) -> None:
    report = check(tmp_path, {"notes.txt": b"\x7fELF\x02"}, {"notes.txt": "document"})
    assert set(codes(report, prefix="content.")) == set()
    report = check(tmp_path / "2", {"gen.py": b"\x7fELF\x02"}, {"gen.py": "source-code"})
    # not a well-formed binary, and .py claims no format
    assert set(codes(report, prefix="content.")) == set()
