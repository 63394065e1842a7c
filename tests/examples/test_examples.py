"""The bundled example releases: each validates clean, each step really rebuilds its
outputs from its declared inputs alone, and each broken twin is caught with the right
finding codes.

A broken twin is a copy of an example in ``tmp_path`` with one thing wrong: a flipped
byte in an output, a missing source, an undeclared file, a symlink, a tampered
manifest. The examples themselves are never modified.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from rebuildable.cli import cli
from rebuildable.context import Options
from rebuildable.engine import validate
from rebuildable.findings import Severity
from tests.support import PROBLEMS, codes
from tests.support.paths import EXAMPLE_NAMES, EXAMPLES

OURS = ("software-hello", "ml-tiny-sentiment", "ml-float-noise", "artwork-ora")
PYTHON3 = shutil.which("python3")


def _manifest(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((root / "rebuild.yaml").read_text("utf-8"))
    return data


def _twin(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target)
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ pristine examples


def test_the_four_examples_exist() -> None:
    assert set(OURS) <= set(EXAMPLE_NAMES)
    for name in EXAMPLE_NAMES:
        assert (EXAMPLES / name / "README.md").is_file(), f"{name} has no README.md"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_pristine_example_validates_via_api(name: str) -> None:
    report = validate(EXAMPLES / name)
    assert not report.fatal
    assert report.ok, [f.to_dict() for f in report.findings if f.severity is Severity.ERROR]
    assert report.counts["error"] == 0


@pytest.mark.parametrize("name", OURS)
def test_our_examples_are_clean_even_when_strict(name: str) -> None:
    report = validate(EXAMPLES / name, Options(strict=True))
    assert report.ok, [f.to_dict() for f in report.findings if f.severity is not Severity.INFO]
    assert report.counts["warning"] == 0


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_pristine_example_validates_via_cli(name: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(EXAMPLES / name)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli, ["validate", "--format", "json", str(EXAMPLES / name)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    assert report["counts"]["error"] == 0
    assert report["release"]["name"] == _manifest(EXAMPLES / name)["name"]


@pytest.mark.parametrize("name", OURS)
def test_every_file_is_declared_with_digest_size_and_licence(name: str) -> None:
    root = EXAMPLES / name
    data = _manifest(root)
    declared = {a["path"]: a for a in data["artifacts"] if "path" in a}
    shipped = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped - {"rebuild.yaml"} == set(declared)
    assert data.get("license")
    assert data.get("profile")
    for path, artifact in declared.items():
        assert artifact["digest"]["sha256"] == _sha256(root / path), path
        assert artifact["size"] == (root / path).stat().st_size, path


# -------------------------------------------------------- steps really rebuild outputs


def _run_step(root: Path, data: dict[str, Any], step: dict[str, Any], work: Path) -> None:
    """Run ``step`` as a rebuilder does: a fresh folder holding only its declared inputs."""
    paths = {a["id"]: a["path"] for a in data["artifacts"] if "path" in a}
    for ref in step["inputs"]:
        (work / paths[ref]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / paths[ref], work / paths[ref])
    before = {p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file()}
    home = work.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "SOURCE_DATE_EPOCH": "315532800",
    }
    done = subprocess.run(
        step["run"], shell=True, cwd=work, env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    after = {p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file()}
    # The step writes its declared outputs and nothing else (no __pycache__, no temp files).
    assert after - before == {paths[o] for o in step["outputs"]}


def _read_safetensors(path: Path) -> dict[str, tuple[str, list[int], list[float]]]:
    raw = path.read_bytes()
    (length,) = struct.unpack_from("<Q", raw)
    header = json.loads(raw[8 : 8 + length])
    body = raw[8 + length :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        code, width = {"F32": ("f", 4), "F64": ("d", 8)}[info["dtype"]]
        start, end = info["data_offsets"]
        values = list(struct.unpack(f"<{(end - start) // width}{code}", body[start:end]))
        out[name] = (info["dtype"], info["shape"], values)
    return out


@pytest.mark.skipif(PYTHON3 is None, reason="no python3 on PATH")
@pytest.mark.parametrize("name", ["software-hello", "ml-tiny-sentiment", "artwork-ora"])
def test_steps_reproduce_outputs_byte_for_byte(name: str, tmp_path: Path) -> None:
    root = EXAMPLES / name
    data = _manifest(root)
    by_id = {a["id"]: a for a in data["artifacts"]}
    for step in data["steps"]:
        assert not step.get("equivalence"), "exact examples declare no tolerance"
        work = tmp_path / step["id"] / "release"
        work.mkdir(parents=True)
        _run_step(root, data, step, work)
        for out in step["outputs"]:
            made = work / by_id[out]["path"]
            assert _sha256(made) == by_id[out]["digest"]["sha256"], f"{name}: {out} differs"


@pytest.mark.skipif(PYTHON3 is None, reason="no python3 on PATH")
def test_float_noise_rebuild_matches_only_within_its_numeric_policy(tmp_path: Path) -> None:
    root = EXAMPLES / "ml-float-noise"
    data = _manifest(root)
    (step,) = data["steps"]
    policy = step["equivalence"]["weights"]["numeric"]
    rtol, atol = policy["rtol"], policy["atol"]
    work = tmp_path / "release"
    work.mkdir()
    _run_step(root, data, step, work)
    # The vocabulary does not depend on the summation order: exact.
    assert _sha256(work / "model/vocab.json") == _sha256(root / "model/vocab.json")
    shipped = _read_safetensors(root / "model/weights.safetensors")
    rebuilt = _read_safetensors(work / "model/weights.safetensors")
    assert shipped.keys() == rebuilt.keys() == {"weight", "bias"}
    worst = 0.0
    for name, (dtype, shape, values) in shipped.items():
        dtype2, shape2, values2 = rebuilt[name]
        assert (dtype, shape) == (dtype2, shape2) == ("F64", shape)
        for a, b in zip(values, values2, strict=True):
            assert math.isclose(b, a, rel_tol=rtol, abs_tol=atol), (name, a, b)
            if a:
                worst = max(worst, abs(a - b) / abs(a))
    # Noise, not a different model: far inside the declared tolerance.
    assert worst < 1e-9


def test_float_noise_example_declares_the_numeric_policy() -> None:
    data = _manifest(EXAMPLES / "ml-float-noise")
    (step,) = data["steps"]
    assert step["equivalence"] == {"weights": {"numeric": {"rtol": 1.0e-6, "atol": 1.0e-9}}}
    weights = next(a for a in data["artifacts"] if a["id"] == "weights")
    assert _read_safetensors(EXAMPLES / "ml-float-noise" / weights["path"])["weight"][0] == "F64"


@pytest.mark.skipif(PYTHON3 is None, reason="no python3 on PATH")
def test_hello_zipapp_runs() -> None:
    app = EXAMPLES / "software-hello" / "dist" / "hello.pyz"
    done = subprocess.run(
        ["python3", str(app), "Ada", "--shout"], capture_output=True, check=True, timeout=60
    )
    assert done.stdout == b"HELLO, ADA!\n"
    with zipfile.ZipFile(app) as archive:
        assert archive.testzip() is None
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}


def test_ml_example_outputs_are_consistent() -> None:
    root = EXAMPLES / "ml-tiny-sentiment"
    tensors = _read_safetensors(root / "model/weights.safetensors")
    vocab = json.loads((root / "model/vocab.json").read_text("utf-8"))
    assert tensors["weight"][:2] == ("F32", [len(vocab)])
    assert tensors["bias"][1] == [1]
    metrics = json.loads((root / "eval/metrics.json").read_text("utf-8"))
    assert metrics["rows"] == sum(metrics["confusion"].values()) == 72
    assert metrics["accuracy"] > 0.8
    card = (root / "MODEL_CARD.md").read_text("utf-8")
    assert f"{metrics['accuracy']:.3f}" in card


def test_ora_is_well_formed_and_export_equals_its_merged_image() -> None:
    pil = pytest.importorskip("PIL.Image")
    root = EXAMPLES / "artwork-ora"
    with zipfile.ZipFile(root / "artwork.ora") as ora:
        first = ora.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert ora.read("mimetype") == b"image/openraster"
        names = set(ora.namelist())
        assert {"stack.xml", "mergedimage.png", "Thumbnails/thumbnail.png"} <= names
        assert sum(n.startswith("data/") and n.endswith(".png") for n in names) == 4
        merged = pil.open(io.BytesIO(ora.read("mergedimage.png"))).convert("RGBA")
        thumb = pil.open(io.BytesIO(ora.read("Thumbnails/thumbnail.png")))
        assert max(thumb.size) <= 256
    exported = pil.open(root / "exports/artwork.png")
    assert exported.mode == "RGBA"
    assert exported.size == merged.size
    assert exported.tobytes() == merged.tobytes()


# ---------------------------------------------------------------------- broken twins


def _flip_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _replace_by_symlink(path: Path, target: str) -> None:
    path.unlink()
    path.symlink_to(target)


def _edit_manifest(root: Path, old: str, new: str) -> None:
    manifest = root / "rebuild.yaml"
    text = manifest.read_text("utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {manifest}"
    manifest.write_text(text.replace(old, new), "utf-8")


Breakage = Callable[[Path], object]

TWINS: list[tuple[str, str, Breakage, set[str]]] = [
    # software-hello
    (
        "software-hello",
        "flipped byte in the built zipapp",
        lambda r: _flip_byte(r / "dist/hello.pyz"),
        {"integrity.digest-mismatch"},
    ),
    (
        "software-hello",
        "source file removed",
        lambda r: (r / "src/hello/__main__.py").unlink(),
        {"integrity.missing"},
    ),
    (
        "software-hello",
        "build script truncated",
        lambda r: (r / "build.py").write_bytes((r / "build.py").read_bytes()[:100]),
        {"integrity.size-mismatch", "integrity.digest-mismatch"},
    ),
    (
        "software-hello",
        "step input renamed in the manifest",
        lambda r: _edit_manifest(
            r, "inputs: [build-script, hello-init, hello-main]", "inputs: [build-script, main]"
        ),
        {"refs.dangling-input"},
    ),
    (
        "software-hello",
        "output replaced by a symlink",
        lambda r: _replace_by_symlink(r / "dist/hello.pyz", "../build.py"),
        {"path.symlink"},
    ),
    # ml-tiny-sentiment
    (
        "ml-tiny-sentiment",
        "flipped byte in the weights",
        lambda r: _flip_byte(r / "model/weights.safetensors", offset=-3),
        {"integrity.digest-mismatch"},
    ),
    (
        "ml-tiny-sentiment",
        "training data removed",
        lambda r: (r / "data/reviews.csv").unlink(),
        {"integrity.missing"},
    ),
    (
        "ml-tiny-sentiment",
        "declared size tampered",
        lambda r: _edit_manifest(r, "size: 1652\n", "size: 1653\n"),
        {"integrity.size-mismatch"},
    ),
    (
        "ml-tiny-sentiment",
        "misspelt field (licence) in the manifest",
        lambda r: _edit_manifest(
            r,
            "    license: CC0-1.0\n    description: 360",
            "    licence: CC0-1.0\n    description: 360",
        ),
        {"schema.unknown-field"},
    ),
    # ml-float-noise
    (
        "ml-float-noise",
        "equivalence policy for an artifact the step does not make",
        lambda r: _edit_manifest(r, "      weights: {numeric:", "      reviews: {numeric:"),
        {"refs.equivalence-not-output"},
    ),
    (
        "ml-float-noise",
        "weights replaced by a same-size perturbed copy",
        lambda r: _flip_byte(r / "model/weights.safetensors", offset=-1),
        {"integrity.digest-mismatch"},
    ),
    # artwork-ora
    (
        "artwork-ora",
        "flipped byte in the layered source",
        lambda r: _flip_byte(r / "artwork.ora"),
        {"integrity.digest-mismatch"},
    ),
    (
        "artwork-ora",
        "export script removed",
        lambda r: (r / "export.py").unlink(),
        {"integrity.missing"},
    ),
    (
        "artwork-ora",
        "output path escapes the release",
        lambda r: _edit_manifest(
            r, "path: exports/artwork.png", "path: ../artwork-ora/exports/artwork.png"
        ),
        {"path.escapes"},
    ),
]


@pytest.mark.parametrize(
    ("name", "what", "breakage", "expected"),
    TWINS,
    ids=[f"{t[0]}: {t[1]}" for t in TWINS],
)
def test_broken_twin_is_caught(
    name: str, what: str, breakage: Breakage, expected: set[str], tmp_path: Path
) -> None:
    root = _twin(name, tmp_path)
    breakage(root)
    report = validate(root)
    assert not report.ok, f"{what}: passed"
    found = set(codes(report, *PROBLEMS))
    assert expected <= found, f"{what}: expected {sorted(expected)}, got {sorted(found)}"
    result = CliRunner().invoke(cli, ["validate", str(root)], catch_exceptions=False)
    assert result.exit_code == 1, result.output


@pytest.mark.parametrize("name", OURS)
def test_undeclared_file_is_a_warning_and_fails_when_strict(name: str, tmp_path: Path) -> None:
    root = _twin(name, tmp_path)
    (root / "notes.txt").write_text("not in the manifest\n", "utf-8")
    report = validate(root)
    assert report.ok
    assert "unlisted.file" in set(codes(report, Severity.WARNING))
    unlisted = [f for f in report.findings if f.code == "unlisted.file"]
    assert any("notes.txt" in f.message for f in unlisted)
    runner = CliRunner()
    assert runner.invoke(cli, ["validate", str(root)]).exit_code == 0
    assert runner.invoke(cli, ["validate", "--strict", str(root)]).exit_code == 1


@pytest.mark.parametrize("name", OURS)
def test_swapping_two_outputs_is_caught(name: str, tmp_path: Path) -> None:
    """Every declared file keeps its own digest: exchanging two files' contents fails."""
    root = _twin(name, tmp_path)
    files = sorted(
        (a["path"] for a in _manifest(root)["artifacts"] if "path" in a),
        key=lambda p: (root / p).stat().st_size,
    )
    small, large = root / files[0], root / files[-1]
    a, b = small.read_bytes(), large.read_bytes()
    small.write_bytes(b)
    large.write_bytes(a)
    report = validate(root)
    assert not report.ok
    assert {"integrity.digest-mismatch", "integrity.size-mismatch"} <= set(codes(report, *PROBLEMS))


@pytest.mark.parametrize("name", OURS)
def test_text_report_is_the_same_with_and_without_colour(name: str, tmp_path: Path) -> None:
    """The plain text path is built without rich; it must say exactly what rich says."""
    import re

    from rebuildable.render.text import render_text

    root = _twin(name, tmp_path)
    (root / "stray\tfile.txt").write_text("x", "utf-8")  # a tab in a message
    _flip_byte(next(p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".yaml"))
    report = validate(root)
    plain = render_text(report)
    coloured = render_text(report, color=True)
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    assert "stray" in plain
