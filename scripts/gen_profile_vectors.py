#!/usr/bin/env python3
"""Write the conformance vectors of the profiles, upstream and openness chapters.

    python scripts/gen_profile_vectors.py          # (re)write vectors/{profile,upstream,open}-*
    python scripts/gen_profile_vectors.py --check  # exit 1 when a vector on disk differs

Each vector is built here from a few files and a manifest whose ``digest``/``size`` values
are computed (``AUTO``), upstream manifests first, so that every pin is right by
construction and a vector fails for the one reason it is about. The files are tiny and
real: a PNG is a valid PNG, a wheel a valid wheel, so that the content check has nothing
to say about them.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import struct
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "spec" / "conformance" / "vectors"
PREFIXES = ("profile-", "upstream-", "open-")
AUTO = "@auto"
ZERO = "0" * 64

Files = dict[str, bytes]


# -- real little files ---------------------------------------------------------------------

def png(text: Mapping[str, str] | None = None) -> bytes:
    """A valid 1x1 RGB PNG, with tEXt chunks when ``text`` is given."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    for key, value in (text or {}).items():
        out += chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))
    out += chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00", 9)) + chunk(b"IEND", b"")
    return out


SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">\n'
       b'  <g id="sky"><rect width="16" height="8" fill="#88c"/></g>\n'
       b'  <g id="ground"><rect y="8" width="16" height="8" fill="#6a4"/></g>\n'
       b'</svg>\n')


def wheel() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (
            ("hello/__init__.py", "def main() -> None:\n    print('hello')\n"),
            ("hello-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: hello\nVersion: 1.0\n"),
            ("hello-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: vectors\n"
                                          "Root-Is-Purelib: true\nTag: py3-none-any\n"),
            ("hello-1.0.dist-info/RECORD", ""),
        ):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, text)
    return buf.getvalue()


def safetensors(values: list[float]) -> bytes:
    blob = struct.pack(f"<{len(values)}f", *values)
    header = json.dumps({"weight": {"dtype": "F32", "shape": [len(values)],
                                    "data_offsets": [0, len(blob)]}},
                        separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + blob


def text(s: str) -> bytes:
    return s.encode("utf-8")


# -- releases ----------------------------------------------------------------------------

def art(ident: str, path: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "path": path, "kind": kind, "digest": AUTO, "size": AUTO, **extra}


def ext(ident: str, uri: str, kind: str, digest: str, size: int, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "uri": uri, "kind": kind, "digest": {"sha256": digest}, "size": size,
            **extra}


def manifest(name: str, artifacts: list[dict[str, Any]],
             steps: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"spec": "rebuildable/0.1", "name": name, "version": "1.0.0",
                           "license": "Apache-2.0"}
    out.update(fields)
    out["artifacts"] = artifacts
    if steps:
        out["steps"] = steps
    return out


def step(ident: str, run: str, inputs: list[str], outputs: list[str],
         **extra: Any) -> dict[str, Any]:
    return {"id": ident, "run": run, "inputs": inputs, "outputs": outputs, **extra}


class Release:
    """Files plus a manifest, and upstream releases shipped in sub-folders."""

    def __init__(self, files: Files, data: dict[str, Any],
                 inner: Mapping[str, Release] | None = None) -> None:
        self.files = files
        self.data = data
        self.inner = dict(inner or {})

    def write(self, root: Path) -> bytes:
        for folder, sub in self.inner.items():
            sub.write(root / folder)
        for rel, blob in self.files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(blob)
        data = json.loads(json.dumps(self.data))
        for a in data.get("artifacts", []):
            if a.get("digest") == AUTO:
                blob = (root / a["path"]).read_bytes()
                a["digest"] = {"sha256": hashlib.sha256(blob).hexdigest()}
            if a.get("size") == AUTO:
                a["size"] = len((root / a["path"]).read_bytes())
        for u in data.get("upstream", []):
            m = u["manifest"]
            if m.get("digest") == AUTO:
                pinned = (root / m["path"]).read_bytes()
                m["digest"] = {"sha256": hashlib.sha256(pinned).hexdigest()}
        raw = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
        (root / "rebuild.yaml").write_bytes(raw)
        return raw


def model_files(data_license: str = "CC0-1.0", weights_license: str | None = None,
                *, eval_and_card: bool = True, environment: bool = True,
                extra: list[dict[str, Any]] | None = None,
                train_inputs: list[str] | None = None,
                profile: str | list[str] = "ml-model", name: str = "tiny-model",
                upstream: list[dict[str, Any]] | None = None,
                run: str = "python3 train.py", **step_extra: Any) -> Release:
    files: Files = {
        "train.py": text("import sys\n\nprint('train', sys.argv)\n"),
        "config.json": text('{"epochs": 3}\n'),
        "data/train.csv": text("text,label\ngood,1\nbad,0\n"),
        "model/weights.safetensors": safetensors([0.25, -0.5]),
    }
    arts = [art("train-code", "train.py", "training-code"),
            art("config", "config.json", "config"),
            art("data", "data/train.csv", "dataset", license=data_license),
            art("weights", "model/weights.safetensors", "weights",
                **({"license": weights_license} if weights_license else {}))]
    steps = [step("train", run, train_inputs or ["train-code", "config", "data"],
                  ["weights"], **({"environment": "env"} if environment else {}), **step_extra)]
    if environment:
        files["requirements.lock"] = text("# python 3.11, standard library only\n")
        arts.append(art("env", "requirements.lock", "environment"))
    if eval_and_card:
        files["evaluate.py"] = text("print('evaluate')\n")
        files["MODEL_CARD.md"] = text("# tiny-model\n\nA model for conformance vectors.\n")
        arts += [art("eval-code", "evaluate.py", "evaluation-code"),
                 art("card", "MODEL_CARD.md", "model-card")]
    arts += extra or []
    fields: dict[str, Any] = {"profile": profile}
    if upstream:
        fields["upstream"] = upstream
    return Release(files, manifest(name, arts, steps, **fields))


def adapter_release(base: Release, *, consume_base: bool = True, upstream_entry: bool = True,
                    base_digest: Any = AUTO, inputs_extra: list[str] | None = None) -> Release:
    files: Files = {
        "train_lora.py": text("print('lora')\n"),
        "lora.json": text('{"rank": 2}\n'),
        "data/domain.csv": text("text,label\nlong battery,1\nshort battery,0\n"),
        "adapter/adapter.safetensors": safetensors([0.125, 0.0625]),
        "requirements.lock": text("# python 3.11, standard library only\n"),
        "evaluate.py": text("print('evaluate')\n"),
        "ADAPTER_CARD.md": text("# adapter\n"),
    }
    arts = [art("train-code", "train_lora.py", "training-code"),
            art("config", "lora.json", "config"),
            art("data", "data/domain.csv", "dataset", license="CC0-1.0"),
            art("adapter", "adapter/adapter.safetensors", "adapter"),
            art("env", "requirements.lock", "environment"),
            art("eval-code", "evaluate.py", "evaluation-code"),
            art("card", "ADAPTER_CARD.md", "model-card")]
    inputs = ["train-code", "config", "data", *(["base:weights"] if consume_base else []),
              *(inputs_extra or [])]
    fields: dict[str, Any] = {"profile": "adapter"}
    if upstream_entry:
        fields["upstream"] = [{"id": "base", "relation": "adapter-of",
                               "manifest": {"path": "upstream/base/rebuild.yaml",
                                            "digest": base_digest}}]
    return Release(files, manifest("tiny-adapter", arts,
                                   [step("train", "python3 train_lora.py", inputs, ["adapter"],
                                         environment="env")], **fields),
                   inner={"upstream/base": base} if upstream_entry else {})


def software(binary_source: bool = False, from_source: bool = True,
             environment: bool = True, run: str = "sh build.sh") -> Release:
    files: Files = {"src/hello/__init__.py": text("def main() -> None:\n    print('hello')\n"),
                    "build.sh": text("#!/bin/sh\npython3 -m zipfile -c dist/hello.whl src/hello\n"),
                    "dist/hello-1.0-py3-none-any.whl": wheel()}
    arts = [art("code", "src/hello/__init__.py", "source-code" if from_source else "document"),
            art("build", "build.sh", "build-script"),
            art("wheel", "dist/hello-1.0-py3-none-any.whl", "binary")]
    steps = None
    if not binary_source:
        steps = [step("build", run,
                      ["code", "build"] if from_source else ["build"], ["wheel"],
                      **({"environment": "env"} if environment else {}))]
    if environment:
        files["requirements.lock"] = text("# python 3.11\n")
        arts.append(art("env", "requirements.lock", "environment"))
    return Release(files, manifest("hello", arts, steps, profile="software"))


def dataset(processing: bool = True, raw: bool = True, card: bool = True,
            external: bool = False, steps: bool = True, *, copy: bool = False) -> Release:
    files: Files = {"clean.py": text("print('clean')\n"),
                    "derived/clean.csv": text("text,label\ngood,1\n"),
                    "requirements.lock": text("# python 3.11\n")}
    arts = [art("code", "clean.py", "data-processing-code" if processing else "source-code"),
            art("clean", "derived/clean.csv", "dataset", license="CC0-1.0"),
            art("env", "requirements.lock", "environment")]
    inputs = ["code"]
    if raw and external:
        arts.append(ext("crawl", "https://data.example.org/crawl-2025-06.jsonl.gz", "dataset",
                        "3b" * 32, 123456789, license="CC0-1.0"))
        inputs.append("crawl")
    elif raw:
        files["raw/crawl.jsonl"] = text('{"text": "Good!", "stars": 5}\n')
        if copy:  # the "derived" data is the raw file, byte for byte
            files["derived/clean.csv"] = files["raw/crawl.jsonl"]
        arts.append(art("crawl", "raw/crawl.jsonl", "dataset", license="CC0-1.0"))
        inputs.append("crawl")
    if card:
        files["DATA_CARD.md"] = text("# clean\n")
        arts.append(art("card", "DATA_CARD.md", "data-card"))
    made = [step("clean", "python3 clean.py", inputs, ["clean"], environment="env")]
    return Release(files, manifest("clean-reviews", arts, made if steps else None,
                                   profile="dataset"))


def artwork(kind: str) -> Release:
    files: Files = {"export.sh": text("#!/bin/sh\nrsvg-convert art.svg > art.png\n")}
    arts = [art("export", "export.sh", "build-script")]
    steps = None
    if kind == "ok":
        files |= {"art.svg": SVG, "art.png": png()}
        arts += [art("svg", "art.svg", "vector-image"), art("png", "art.png", "raster-image")]
        steps = [step("export", "sh export.sh", ["export", "svg"], ["png"])]
    elif kind == "not-from-layered":
        files |= {"art.svg": SVG, "gen.png": png()}
        arts += [art("svg", "art.svg", "vector-image"), art("png", "gen.png", "raster-image")]
        steps = [step("export", "sh export.sh", ["export"], ["png"])]
    elif kind == "raster-only":
        files |= {"art.png": png()}
        arts += [art("png", "art.png", "raster-image")]
    elif kind == "editor-export":
        files |= {"art.svg": SVG, "texture.png": png({"Software": "GIMP 2.10.36"})}
        arts += [art("svg", "art.svg", "vector-image"),
                 art("texture", "texture.png", "raster-image")]
    return Release(files, manifest("art", arts, steps, profile="artwork"))


def generic_binary() -> Release:
    files: Files = {"dist/hello-1.0-py3-none-any.whl": wheel()}
    return Release(files, manifest("hello", [art("wheel", "dist/hello-1.0-py3-none-any.whl",
                                                  "binary")]))


def licensed(licence: str, kind: str = "dataset") -> Release:
    files: Files = {"data.csv": text("a,b\n1,2\n")}
    return Release(files, manifest("licensed", [art("data", "data.csv", kind, license=licence)]))


# -- the vectors -------------------------------------------------------------------------

Vector = tuple[str, list[str], Callable[[], Release], bool, list[str], dict[str, Any]]


def _base(weights_license: str | None = None, data_license: str = "CC0-1.0") -> Release:
    return model_files(data_license=data_license, weights_license=weights_license,
                       name="tiny-base")


def _with(rel: Release, **fields: Any) -> Release:
    rel.data.update(fields)
    return rel


def _weights_as_source() -> Release:
    rel = model_files()
    rel.data["steps"] = []
    del rel.data["steps"]
    return rel


def _recipe_model() -> Release:
    rel = model_files()
    rel.files.pop("data/train.csv")
    rel.files["data/RECIPE.md"] = text("Download the corpus from ... and keep rows 1-1000.\n")
    rel.data["artifacts"][2] = art("data", "data/RECIPE.md", "data-recipe", license="CC0-1.0")
    return rel


def _upstream_path(path: str) -> Release:
    rel = adapter_release(_base())
    rel.inner = {}
    rel.data["upstream"][0]["manifest"] = {"path": path, "digest": {"sha256": ZERO}}
    return rel


def _uri_upstream(with_dir: bool = False) -> Release:
    rel = adapter_release(_base())
    base = rel.inner.pop("upstream/base")
    with tempfile.TemporaryDirectory() as tmp:
        raw = base.write(Path(tmp))
    rel.data["upstream"][0]["manifest"] = {
        "uri": "https://models.example.org/tiny-base/1.0.0/rebuild.yaml",
        "digest": {"sha256": hashlib.sha256(raw).hexdigest()}}
    if with_dir:
        rel.extra_outside = {"upstreams/tiny-base.rebuild.yaml": raw}  # type: ignore[attr-defined]
    return rel


def _broken_base_adapter() -> Release:
    rel = adapter_release(_base())
    rel.inner["upstream/base"] = _BrokenAfterWrite(rel.inner["upstream/base"])
    return rel


class _BrokenAfterWrite(Release):
    """Writes the base correctly, then changes one of its files (a digest mismatch)."""

    def __init__(self, inner: Release) -> None:
        super().__init__(inner.files, inner.data, inner.inner)

    def write(self, root: Path) -> bytes:
        raw = super().write(root)
        (root / "data/train.csv").write_bytes(text("text,label\ngood,1\nbad,1\n"))
        return raw


def _environment_only_an_input() -> Release:
    rel = model_files(environment=False)
    rel.files["pylock.toml"] = text('lock-version = "1.0"\ncreated-by = "hand"\npackages = []\n')
    rel.data["artifacts"].append(art("lock", "pylock.toml", "environment"))
    rel.data["steps"][0]["inputs"].append("lock")
    return rel


def _self_upstream() -> Release:
    rel = licensed("MIT")
    rel.data["upstream"] = [{"id": "self", "relation": "derived-from",
                             "manifest": {"path": "rebuild.yaml", "digest": {"sha256": ZERO}}}]
    return rel


VECTORS_DEF: dict[str, Vector] = {}


def vector(name: str, description: str, covers: list[str], build: Callable[[], Release],  # noqa: PLR0917
           ok: bool, codes: list[str], **options: Any) -> None:
    VECTORS_DEF[name] = (description, covers, build, ok, sorted(set(codes)), options)


# profiles in general
vector("profile-unknown", "An unknown profile name is an error; the known ones still apply",
       ["PRO-1"], lambda: _with(software(), profile=["software", "painting"]), False,
       ["profile.unknown"])
vector("profile-generic-default", "No profile means generic: the core rules only, so a binary "
       "shipped as a source is not a profile error", ["PRO-2"], generic_binary, True, [])
vector("profile-several", "Several profiles: the rules of each apply", ["PRO-3"],
       lambda: _with(software(binary_source=True), profile=["software", "artwork"]), False,
       ["profile.binary-source"])
# software
vector("profile-software-ok", "A wheel built from source code by a step, environment pinned",
       ["SW-1", "SW-2", "SW-3"], software, True, [])
vector("profile-software-binary-source", "A binary declared as a source is an error",
       ["SW-1"], lambda: software(binary_source=True), False, ["profile.binary-source"])
vector("profile-software-not-from-source", "A binary built by a step that consumes no source "
       "code is an error", ["SW-2"], lambda: software(from_source=False), False,
       ["profile.binary-not-from-source"])
vector("profile-software-environment", "A binary built without a pinned environment is a "
       "note (info only)", ["SW-3"], lambda: software(environment=False), True, [])
# ml-model
vector("profile-ml-ok", "Weights trained from code, config and data; evaluation code, model "
       "card and environment shipped", ["ML-1", "ML-2", "ML-3", "ML-4", "ML-5", "ML-6", "ML-7"],
       model_files, True, [])
vector("profile-ml-weights-source", "Weights declared as a source are an error",
       ["ML-1"], _weights_as_source, False, ["profile.weights-as-source"])
vector("profile-ml-no-training-code", "The step that makes the weights consumes no training "
       "code: the release is not complete, so it is rebuildable not at all", ["ML-2"],
       lambda: model_files(train_inputs=["config", "data"]), False,
       ["profile.no-training-code"])
vector("profile-ml-no-data", "The step that makes the weights consumes no data",
       ["ML-3"], lambda: model_files(train_inputs=["train-code", "config"]), False,
       ["profile.no-training-data"])
vector("profile-ml-data-recipe", "A data recipe stands for data that cannot be shipped",
       ["ML-3"], _recipe_model, True, [])
vector("profile-ml-no-config", "No config consumed by training is a warning",
       ["ML-4"], lambda: model_files(train_inputs=["train-code", "data"]), True,
       ["profile.no-training-config"])
vector("profile-ml-no-eval-no-card", "No evaluation code and no model card are notes (info only)",
       ["ML-5", "ML-6"], lambda: model_files(eval_and_card=False), True, [])
vector("profile-ml-environment", "Training without a pinned environment is a note (info only) "
       "when the step runs no Python", ["ML-7"],
       lambda: model_files(environment=False, run="make train"), True, [])
# Python without an environment (software, ml-model, adapter)
vector("profile-python-no-environment", "A training step that runs python3 and names no "
       "environment is a warning (and no environment-not-pinned note besides)",
       ["PY-1", "ML-7", "ML-8"], lambda: model_files(environment=False), True,
       ["profile.python-without-environment"])
vector("profile-python-software-wrapped", "A build step that runs Python behind an "
       "assignment, a wrapper and an operator is a warning too", ["PY-1", "SW-3", "SW-4"],
       lambda: software(environment=False, run="cd src && SOURCE_DATE_EPOCH=0 nice -n 5 "
                        "/usr/bin/python3.12 -m zipfile -c ../dist/hello.whl hello"), True,
       ["profile.python-without-environment"])
vector("profile-python-replay", "A replay command that runs Python counts even when the "
       "step's run does not", ["PY-1"],
       lambda: model_files(environment=False, run="make train", checkpoints=["weights"],
                           replay="python3 train.py --resume {from} --out {out}"), True,
       ["profile.python-without-environment"])
vector("profile-python-environment-as-input", "A lock among the inputs but not named as the "
       "step's environment does not pin it", ["PY-1"], _environment_only_an_input, True,
       ["profile.python-without-environment"])
# adapter
vector("profile-adapter-ok", "A LoRA adapter trained on base:weights of a pinned base "
       "shipped inside the release", ["AD-1", "AD-2", "AD-3", "UP-2", "UP-4", "UP-5"],
       lambda: adapter_release(_base()), True, [])
vector("profile-adapter-no-base", "An adapter release that declares no base",
       ["AD-1"], lambda: adapter_release(_base(), consume_base=False, upstream_entry=False),
       False, ["profile.no-base"])
vector("profile-adapter-weak-pin", "A base pinned by md5 alone is no pin",
       ["AD-2", "UP-4"],
       lambda: adapter_release(_base(), base_digest={"md5": "0" * 32}), False,
       ["completeness.unpinned-source", "unlisted.file", "upstream.weak-digest"])
vector("profile-adapter-base-not-consumed", "The adapter's training consumes nothing of "
       "the base", ["AD-3"], lambda: adapter_release(_base(), consume_base=False), False,
       ["profile.base-not-consumed"])
# dataset
vector("profile-dataset-ok", "Derived data made by processing code from a shipped raw "
       "source, with a data card", ["DS-1", "DS-2", "DS-3", "DS-4", "DS-5"], dataset, True, [])
vector("profile-dataset-external-raw", "A raw source pinned by uri and sha256 counts",
       ["DS-2"], lambda: dataset(external=True), True, [])
vector("profile-dataset-no-processing-code", "Derived data made by code that is not "
       "data-processing code", ["DS-1"], lambda: dataset(processing=False), False,
       ["profile.no-processing-code"])
vector("profile-dataset-no-raw", "Derived data made from no raw data", ["DS-2"],
       lambda: dataset(raw=False), False, ["profile.no-raw-data"])
vector("profile-dataset-nothing-derived", "A dataset release whose data no step makes: the "
       "derived data is declared a source", ["DS-5"], lambda: dataset(steps=False), False,
       ["profile.no-derived-data"])
vector("profile-dataset-copied", "Derived data with the bytes of the raw data its step "
       "consumes is a copy, not derived", ["PRO-4"], lambda: dataset(copy=True), False,
       ["profile.output-copies-input"])
vector("profile-dataset-no-card", "No data card is a note (info only)", ["DS-3"],
       lambda: dataset(card=False), True, [])
# artwork
vector("profile-artwork-ok", "A PNG exported from its SVG source by a step",
       ["ART-1", "ART-2", "ART-3"], lambda: artwork("ok"), True, [])
vector("profile-artwork-not-from-layered", "A PNG output made from no layered or vector "
       "image", ["ART-1"], lambda: artwork("not-from-layered"), False,
       ["profile.raster-not-from-layered"])
vector("profile-artwork-raster-only", "A PNG as the only source of the work",
       ["ART-2"], lambda: artwork("raster-only"), False, ["profile.raster-only-source"])
vector("profile-artwork-editor-export", "A PNG source whose metadata names GIMP is an "
       "export, not a source", ["ART-3"], lambda: artwork("editor-export"), True,
       ["profile.raster-exported-by-editor"])
# upstream
vector("upstream-path-escapes", "An upstream manifest path that leaves the release",
       ["UP-1"], lambda: _upstream_path("../base/rebuild.yaml"), False,
       ["upstream.path-escapes"])
vector("upstream-missing", "An upstream manifest path that is not in the release",
       ["UP-2"], lambda: _upstream_path("upstream/nowhere/rebuild.yaml"), False,
       ["upstream.missing"])
vector("upstream-uri-unresolved", "A uri upstream with no local copy is a warning",
       ["UP-3"], _uri_upstream, True, ["upstream.not-resolved"])
vector("upstream-uri-resolved-offline", "A uri upstream found by digest in a folder of "
       "manifests is checked (its files are not there: manifest only)", ["UP-3", "UP-5"],
       lambda: _uri_upstream(with_dir=True), True, [], upstream_dirs=["upstreams"])
vector("upstream-digest-mismatch", "An upstream manifest that changed after it was pinned",
       ["UP-4"], lambda: adapter_release(_base(), base_digest={"sha256": ZERO}), False,
       ["unlisted.file", "upstream.digest-mismatch"])
vector("upstream-invalid", "An upstream release with an error: one summary, its errors "
       "relabelled with the upstream id", ["UP-5"], _broken_base_adapter, False,
       ["integrity.digest-mismatch", "upstream.invalid"])
vector("upstream-cycle", "A release that names itself as its upstream", ["UP-6"],
       _self_upstream, False, ["upstream.cycle"])
vector("upstream-dangling-artifact", "base:tokenizer names no artifact of the base",
       ["UP-7"], lambda: adapter_release(_base(), inputs_extra=["base:tokenizer"]), False,
       ["upstream.dangling-artifact"])
# openness
vector("open-noncommercial-required", "A CC-BY-NC-4.0 artifact under --require open-source",
       ["OPEN-1", "OPEN-5"], lambda: licensed("CC-BY-NC-4.0"), False, ["openness.not-open"],
       require=["open-source"])
vector("open-noncommercial-not-required", "The same release without --require: the verdict "
       "is information only", ["OPEN-5", "OPEN-8"], lambda: licensed("CC-BY-NC-4.0"), True, [])
vector("open-no-derivatives", "CC-BY-ND-4.0 is not open", ["OPEN-1"],
       lambda: licensed("CC-BY-ND-4.0"), False, ["openness.not-open"], require=["open-source"])
vector("open-open-data", "Open data and content licences count: CDLA-Permissive-2.0",
       ["OPEN-1"], lambda: licensed("CDLA-Permissive-2.0"), True, [], require=["open-source"])
vector("open-or-most-open", "OR takes the most open option", ["OPEN-2"],
       lambda: licensed("MIT OR CC-BY-NC-4.0"), True, [], require=["open-source"])
vector("open-and-least-open", "AND takes the least open part", ["OPEN-2"],
       lambda: licensed("MIT AND CC-BY-NC-4.0"), False, ["openness.not-open"],
       require=["open-source"])
vector("open-with-unlisted-addition", "WITH a user-defined addition (AdditionRef-) may "
       "take permissions away: not open", ["OPEN-2"],
       lambda: licensed("MIT WITH AdditionRef-NonCommercial"), False, ["openness.not-open"],
       require=["open-source"])
vector("open-with-listed-exception", "WITH a listed SPDX exception adds permissions: open",
       ["OPEN-2"], lambda: licensed("Apache-2.0 WITH LLVM-exception"), True, [],
       require=["open-source"])
vector("open-licenseref-unknown", "An undocumented LicenseRef is not open", ["OPEN-3"],
       lambda: licensed("LicenseRef-Custom-Model-License"), False, ["openness.not-open"],
       require=["open-source"])
vector("open-rail", "A RAIL licence restricts fields of use", ["OPEN-3"],
       lambda: licensed("LicenseRef-CreativeML-OpenRAIL-M", kind="weights"), False,
       ["openness.not-open"], require=["open-source"])
vector("open-code-under-content-licence", "Code under CC-BY-3.0 is not open source code",
       ["OPEN-4"], lambda: licensed("CC-BY-3.0", kind="source-code"), False,
       ["openness.not-open"], require=["open-source"])
vector("open-upstream-noncommercial", "An adapter on a base whose weights are CC-BY-NC-4.0 "
       "is not open source", ["OPEN-6"],
       lambda: adapter_release(_base(weights_license="CC-BY-NC-4.0")), False,
       ["openness.not-open"], require=["open-source"])
vector("open-upstream-noncommercial-data", "A base trained on non-commercial data passes "
       "that on through its weights", ["OPEN-6"],
       lambda: adapter_release(_base(data_license="CC-BY-NC-4.0")), False,
       ["openness.not-open"], require=["open-source"])
LONG_RUN = {"hardware": "1000 x A100", "hours": 4300}
vector("open-rebuildable-full", "A model whose training step declares no cost can be rebuilt "
       "in full (verdicts.rebuildable, an info)", ["OPEN-8"], model_files, True, [])
vector("open-rebuildable-sampled", "A 4300-hour training run that publishes checkpoints and a "
       "replay command can be rebuilt in sampled segments only", ["OPEN-8"],
       lambda: model_files(cost=LONG_RUN, checkpoints=["weights"],
                           replay="python3 train.py --resume {from} --out {out}"), True, [])
vector("open-rebuildable-none", "A 4300-hour training run without checkpoints and replay "
       "cannot be rebuilt by a checker", ["OPEN-8"], lambda: model_files(cost=LONG_RUN),
       True, [])
vector("open-unknown-requirement", "An unknown requirement is an error", ["OPEN-7"],
       lambda: licensed("MIT"), False, ["openness.unknown-requirement"],
       require=["open-source", "gratis"])


# Finer expectations (expect.findings): the notes (infos) these vectors exist to show.
FINDINGS: dict[str, list[dict[str, Any]]] = {
    # profiles.md 4.4: not complete, so not rebuildable at all, however cheap the step
    "profile-ml-no-training-code": [
        {"code": "openness.rebuildable", "count": 1, "data": {"mode": "none"}}],
    "profile-software-environment": [
        {"code": "profile.environment-not-pinned", "count": 1, "step": "build"}],
    "profile-ml-environment": [
        {"code": "profile.environment-not-pinned", "count": 1, "step": "train"}],
    "profile-python-no-environment": [
        {"code": "profile.python-without-environment", "count": 1, "step": "train",
         "pointer": "/steps/0/run"},
        {"code": "profile.environment-not-pinned", "count": 0}],
    "profile-python-software-wrapped": [
        {"code": "profile.python-without-environment", "count": 1, "step": "build",
         "pointer": "/steps/0/run"},
        {"code": "profile.environment-not-pinned", "count": 0}],
    "profile-python-replay": [
        {"code": "profile.python-without-environment", "count": 1, "step": "train",
         "pointer": "/steps/0/replay"}],
    "profile-python-environment-as-input": [
        {"code": "profile.python-without-environment", "count": 1, "step": "train"}],
    "profile-ml-no-eval-no-card": [
        {"code": "profile.no-evaluation-code", "count": 1, "pointer": "/artifacts"},
        {"code": "profile.no-model-card", "count": 1, "pointer": "/artifacts"},
        {"code": "openness.mof", "count": 1}],
    "profile-dataset-no-card": [
        {"code": "profile.no-data-card", "count": 1, "pointer": "/artifacts"}],
    "upstream-uri-resolved-offline": [
        {"code": "upstream.valid", "count": 1, "upstream": "base",
         "pointer": "/upstream/0/manifest"}],
    "open-open-data": [{"code": "openness.verdict", "count": 1, "pointer": None}],
    "open-rebuildable-full": [
        {"code": "openness.rebuildable", "count": 1, "pointer": None, "data": {"mode": "full"}}],
    "open-rebuildable-sampled": [
        {"code": "openness.rebuildable", "count": 1, "data": {"mode": "sampled"}}],
    "open-rebuildable-none": [
        {"code": "openness.rebuildable", "count": 1, "data": {"mode": "none"}}],
}


# -- writing -----------------------------------------------------------------------------

def build(target: Path) -> None:
    for name, (description, covers, make, ok, codes, options) in VECTORS_DEF.items():
        folder = target / name
        rel = make()
        rel.write(folder / "release")
        for rel_path, blob in getattr(rel, "extra_outside", {}).items():
            (folder / rel_path).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel_path).write_bytes(blob)
        vec: dict[str, Any] = {"description": description, "covers": covers}
        if options:
            vec["options"] = options
        vec["expect"] = {"ok": ok, "codes": codes}
        if name in FINDINGS:
            vec["expect"]["findings"] = FINDINGS[name]
        (folder / "vector.json").write_text(json.dumps(vec, indent=2) + "\n", encoding="utf-8")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when vectors are stale")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        build(fresh)
        if args.check:
            current = {}
            for name in VECTORS_DEF:
                if (VECTORS / name).is_dir():
                    current.update({f"{name}/{k}": v
                                    for k, v in _snapshot(VECTORS / name).items()})
            if current != _snapshot(fresh):
                print("profile/upstream/open vectors are stale: "
                      "run python scripts/gen_profile_vectors.py")
                return 1
            return 0
        for old in sorted(VECTORS.glob("*")):
            if old.name.startswith(PREFIXES) and old.name not in VECTORS_DEF:
                shutil.rmtree(old)
        for name in VECTORS_DEF:
            if (VECTORS / name).exists():
                shutil.rmtree(VECTORS / name)
            shutil.copytree(fresh / name, VECTORS / name)
    print(f"wrote {len(VECTORS_DEF)} vectors under {VECTORS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
