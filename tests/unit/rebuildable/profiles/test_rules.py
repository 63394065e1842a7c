"""Profiles on generated releases: each rule fails on the release it is about and only
there; sniffed formats stand in for vague kinds; the bundled examples pass."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.findings import Severity
from rebuildable.profiles import REGISTRY
from rebuildable.report import Report
from tests.support import codes, make_release, read_manifest, write_manifest
from tests.support.paths import ROOT

EXAMPLES = ROOT / "examples"


def wheel() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("w/__init__.py", "")
        zf.writestr("w-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        zf.writestr("w-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: w\nVersion: 1.0\n")
        zf.writestr("w-1.0.dist-info/RECORD", "")
    return buf.getvalue()


def safetensors() -> bytes:
    blob = struct.pack("<2f", 0.5, -0.25)
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + blob


def png(software: str | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    if software:
        out += chunk(b"tEXt", b"Software\0" + software.encode())
    return out + chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00")) + chunk(b"IEND", b"")


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
       b'<rect width="4" height="4"/></svg>\n')


def run(root: Path, **options: Any) -> Report:
    return validate(root, Options(**options))


# -- the registry ----------------------------------------------------------------------

def test_registry_names_and_rules() -> None:
    assert set(REGISTRY) == {"software", "ml-model", "adapter", "dataset", "artwork", "generic"}
    assert REGISTRY["generic"].rules == ()
    labels = [r.label for p in REGISTRY.values() for r in p.rules]
    # adapter includes every ml-model rule, then its own
    ml = [r.label for r in REGISTRY["ml-model"].rules]
    assert [r.label for r in REGISTRY["adapter"].rules][: len(ml)] == ml
    spec = (ROOT / "spec" / "profiles.md").read_text("utf-8")
    for label in set(labels):
        assert f"**[{label}]**" in spec, f"{label} is not defined in spec/profiles.md"


def test_unknown_profile_is_located(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"}, profile=["software", "paintng"])
    report = run(root)
    [f] = [f for f in report.findings if f.code == "profile.unknown"]
    assert f.severity is Severity.ERROR
    assert "paintng" in f.message
    assert f.location is not None
    assert f.location.pointer == "/profile/1"
    assert f.location.line is not None


# -- software --------------------------------------------------------------------------

def test_binary_recognised_by_bytes_when_kind_is_vague(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"dist/w-1.0-py3-none-any.whl": wheel()},
                        profile="software")  # kind "other"
    report = run(root)
    [f] = [f for f in report.findings if f.code == "profile.binary-source"]
    assert f.artifact == "dist-w-1.0-py3-none-any.whl"
    assert "recognised" in f.message
    assert f.data["requirement"] == "SW-1"
    assert f.data["profile"] == "software"


def test_declared_kind_is_not_overridden_by_bytes(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"toolchain.whl": wheel()},
                        kinds={"toolchain.whl": "environment"}, profile="software")
    assert not set(codes(run(root), prefix="profile."))


def test_generic_never_judges_kinds(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"app.whl": wheel()}, kinds={"app.whl": "binary"})
    assert not set(codes(run(root), prefix="profile."))


def test_binary_built_through_an_intermediate_step(tmp_path: Path) -> None:
    files = {"src/main.c": b"int main(void){return 0;}\n", "build/main.o": b"obj",
             "dist/app.whl": wheel(), "env.lock": b"gcc 13\n"}
    steps = [
        {"id": "compile", "run": "cc -c src/main.c -o build/main.o", "inputs": ["src-main.c"],
         "outputs": ["build-main.o"], "environment": "env.lock"},
        {"id": "link", "run": "pack build/main.o", "inputs": ["build-main.o"],
         "outputs": ["dist-app.whl"], "environment": "env.lock"},
    ]
    root = make_release(tmp_path / "r", files, steps, profile="software",
                        kinds={"src/main.c": "source-code", "build/main.o": "binary",
                               "dist/app.whl": "binary", "env.lock": "environment"})
    assert not set(codes(run(root), prefix="profile."))


# -- ml-model --------------------------------------------------------------------------

def _model(tmp_path: Path, inputs: list[str], **kw: Any) -> Path:
    files = {"train.py": b"print(1)\n", "cfg.json": b"{}\n", "data.csv": b"a\n1\n",
             "w.safetensors": safetensors(), "eval.py": b"print(2)\n", "CARD.md": b"# card\n",
             "env.lock": b"py\n"}
    kinds = {"train.py": "training-code", "cfg.json": "config", "data.csv": "dataset",
             "w.safetensors": "weights", "eval.py": "evaluation-code", "CARD.md": "model-card",
             "env.lock": "environment"}
    kinds.update(kw.pop("kinds", {}))
    steps = [{"id": "train", "run": "python3 train.py", "inputs": inputs,
              "outputs": ["w.safetensors"], "environment": "env.lock"}]
    return make_release(tmp_path / "m", files, steps, kinds=kinds, profile="ml-model", **kw)


def test_model_complete(tmp_path: Path) -> None:
    report = run(_model(tmp_path, ["train.py", "cfg.json", "data.csv"]))
    assert not set(codes(report, prefix="profile."))


def test_model_missing_code_and_data_are_separate_errors(tmp_path: Path) -> None:
    report = run(_model(tmp_path, ["cfg.json"]))
    found = {f.code: f for f in report.findings if f.code.startswith("profile.")}
    assert set(found) == {"profile.no-training-code", "profile.no-training-data"}
    assert found["profile.no-training-code"].step == "train"
    assert found["profile.no-training-code"].artifact == "w.safetensors"
    assert found["profile.no-training-code"].location is not None


def test_weights_recognised_by_bytes_as_source(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"model.bin": safetensors()}, profile="ml-model")
    assert set(codes(run(root), prefix="profile.")) == {"profile.weights-as-source"}


def test_quantised_weights_trace_back_through_the_training_step(tmp_path: Path) -> None:
    root = _model(tmp_path, ["train.py", "cfg.json", "data.csv"])
    data = read_manifest(root)
    (root / "q.gguf").write_bytes(b"GGUF")
    data["artifacts"].append({"id": "q", "path": "q.gguf", "kind": "weights",
                              "digest": {"sha256": _sha(b"GGUF")}, "size": 4})
    data["artifacts"].append({"id": "convert", "path": "convert.py", "kind": "source-code",
                              "digest": {"sha256": _sha(b"c\n")}, "size": 2})
    (root / "convert.py").write_bytes(b"c\n")
    data["steps"].append({"id": "quantise", "run": "python3 convert.py",
                          "inputs": ["convert", "w.safetensors"], "outputs": ["q"],
                          "environment": "env.lock"})
    write_manifest(root / "rebuild.yaml", data)
    assert not set(codes(run(root), prefix="profile."))


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_ml_model_and_adapter_rules_run_once(tmp_path: Path) -> None:
    root = _model(tmp_path, ["cfg.json", "data.csv"])
    data = read_manifest(root)
    data["profile"] = ["ml-model", "adapter"]
    write_manifest(root / "rebuild.yaml", data)
    report = run(root)
    no_code = [f for f in report.findings if f.code == "profile.no-training-code"]
    assert len(no_code) == 1
    assert "profile.no-base" in set(codes(report, prefix="profile."))


# -- artwork ---------------------------------------------------------------------------

def test_raster_with_editor_metadata_is_flagged(tmp_path: Path) -> None:
    root = make_release(tmp_path / "a", {"art.svg": SVG, "tex.png": png("Adobe Photoshop 25.0")},
                        profile="artwork")  # kinds "other": sniffed
    report = run(root)
    [f] = [f for f in report.findings if f.code == "profile.raster-exported-by-editor"]
    assert f.data["editor"] == "photoshop"
    assert f.severity is Severity.WARNING


def test_plain_raster_beside_a_layered_source_is_fine(tmp_path: Path) -> None:
    root = make_release(tmp_path / "a", {"art.svg": SVG, "photo.png": png()}, profile="artwork")
    assert not set(codes(run(root), prefix="profile."))


def test_raster_only(tmp_path: Path) -> None:
    root = make_release(tmp_path / "a", {"a.png": png(), "b.png": png("darktable")},
                        profile="artwork")
    report = run(root)
    assert [f.artifact for f in report.findings if f.code == "profile.raster-only-source"] == [
        "a.png", "b.png"]


# -- the bundled examples --------------------------------------------------------------

EXAMPLE_NAMES = ["software-hello", "ml-tiny-sentiment", "artwork-ora", "adapter-lora-tiny",
                 "adapter-on-noncommercial-base", "dataset-reviews-clean", "generic-notes"]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_meet_their_profiles(name: str) -> None:
    folder = EXAMPLES / name
    if not (folder / "rebuild.yaml").is_file():
        pytest.skip(f"example {name} is not there")
    report = run(folder)
    errors = [f for f in report.findings if f.code.startswith(("profile.", "upstream."))
              and f.severity is Severity.ERROR]
    assert not errors, [f.message for f in errors]
    declared = read_manifest(folder).get("profile")
    # generic-notes shows the default: no profile declared means the core rules only.
    assert declared or name == "generic-notes", f"{name} declares no profile"


@pytest.mark.parametrize("name", ["adapter-lora-tiny", "adapter-on-noncommercial-base",
                                  "dataset-reviews-clean"])
def test_own_examples_are_clean_even_when_strict(name: str) -> None:
    report = run(EXAMPLES / name, strict=True)
    assert report.ok, [f.message for f in report.findings if f.severity is not Severity.INFO]
    assert not set(codes(report, prefix="profile.")), set(codes(report, prefix="profile."))
    assert report.to_dict()["verdicts"]["intact"]["ok"]
    assert report.to_dict()["verdicts"]["complete"]["ok"]


def test_profile_vectors_are_fresh() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_profile_vectors.py"),
                           "--check"], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_recommended_practices_are_notes(tmp_path: Path) -> None:
    files = {"train.py": b"print(1)\n", "cfg.json": b"{}\n", "data.csv": b"a\n1\n",
             "w.safetensors": safetensors()}
    kinds = {"train.py": "training-code", "cfg.json": "config", "data.csv": "dataset",
             "w.safetensors": "weights"}
    # no Python in the command: a Python step without environment is a warning ([PY-1])
    steps = [{"id": "train", "run": "make train",
              "inputs": ["train.py", "cfg.json", "data.csv"], "outputs": ["w.safetensors"]}]
    root = make_release(tmp_path / "m", files, steps, kinds=kinds, profile="ml-model")
    report = run(root, strict=True)
    notes = {f.code: f for f in report.findings if f.code.startswith("profile.")}
    assert set(notes) == {"profile.no-evaluation-code", "profile.no-model-card",
                          "profile.environment-not-pinned"}
    assert all(f.severity is Severity.INFO for f in notes.values())
    assert notes["profile.environment-not-pinned"].data["requirement"] == "ML-7"
    assert notes["profile.environment-not-pinned"].step == "train"
    assert report.ok  # notes never fail a release, even --strict


def test_dataset_without_card_is_a_note(tmp_path: Path) -> None:
    files = {"clean.py": b"print(1)\n", "raw.jsonl": b"{}\n", "clean.csv": b"a\n"}
    kinds = {"clean.py": "data-processing-code", "raw.jsonl": "dataset", "clean.csv": "dataset"}
    steps = [{"id": "clean", "run": "python3 clean.py", "inputs": ["clean.py", "raw.jsonl"],
              "outputs": ["clean.csv"]}]
    report = run(make_release(tmp_path / "d", files, steps, kinds=kinds, profile="dataset"))
    assert set(codes(report, prefix="profile.")) == {"profile.no-data-card",
                                                     "profile.environment-not-pinned"}
    assert all(f.severity is Severity.INFO for f in report.findings
               if f.code.startswith("profile."))
