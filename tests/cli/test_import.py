"""`rebuildable import`: drafts from a checksum list, a DVC pipeline, a model card and a
model-signing bundle. Each draft is validated: it passes, or the findings left say
exactly what the source could not tell (a digest to pin), never anything vague."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from rebuildable import api
from rebuildable.cli import cli
from tests.support import codes, corpus_dir


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["import", *args], catch_exceptions=False)


def manifest(root: Path) -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((root / "rebuild.yaml").read_text())
    return data


def errors(root: Path) -> list[str]:
    return codes(api.validate(root), "error")


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# -- sha256sums ---------------------------------------------------------------------------

def test_sha256sums(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "tool").write_bytes(b"\x00binary")
    (tmp_path / "README.md").write_bytes(b"# tool\n")
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  ./{p.relative_to(tmp_path)}\n"
                   for p in (tmp_path / "dist" / "tool", tmp_path / "README.md"))
    (tmp_path / "SHA256SUMS").write_text(sums + "garbage\n" + "0" * 64 + "  ../escape\n")
    result = invoke("sha256sums", str(tmp_path / "SHA256SUMS"), "--license", "MIT")
    assert result.exit_code == 0, result.output
    assert "line 3: not a checksum line" in result.stderr
    assert "'../escape' is not a path inside the release" in result.stderr
    data = manifest(tmp_path)
    arts = {a["path"]: a for a in data["artifacts"]}  # type: ignore[attr-defined]
    assert set(arts) == {"dist/tool", "README.md"}
    assert arts["dist/tool"]["digest"]["sha256"] == hashlib.sha256(b"\x00binary").hexdigest()
    assert (tmp_path / "rebuild.yaml").read_text().startswith("# yaml-language-server: $schema=")
    assert errors(tmp_path) == []


def test_sha256sums_keeps_a_stated_digest_that_the_file_does_not_match(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"now")
    (tmp_path / "SUMS").write_text(f"{hashlib.sha256(b'then').hexdigest()}  a\n")
    result = invoke("sha256sums", str(tmp_path / "SUMS"))
    assert result.exit_code == 0
    assert "does not match the file (validate will report it)" in result.stderr
    assert errors(tmp_path) == ["integrity.digest-mismatch"]


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "SUMS").write_text(f"{hashlib.sha256(b'a').hexdigest()}  a\n")
    (tmp_path / "rebuild.yaml").write_text("mine\n")
    refused = invoke("sha256sums", str(tmp_path / "SUMS"))
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    assert (tmp_path / "rebuild.yaml").read_text() == "mine\n"
    assert invoke("sha256sums", "--force", str(tmp_path / "SUMS")).exit_code == 0
    assert (tmp_path / "rebuild.yaml").read_text() != "mine\n"


def test_unusable_sources_exit_1(tmp_path: Path) -> None:
    (tmp_path / "SUMS").write_text("nothing here\n")
    assert invoke("sha256sums", str(tmp_path / "SUMS")).exit_code == 1
    (tmp_path / "model.sig").write_text("{}")
    bad = invoke("model-signing", str(tmp_path / "model.sig"))
    assert bad.exit_code == 1
    assert "not a model-signing bundle" in bad.stderr
    (tmp_path / "README.md").write_text("# no front matter\n")
    assert "no YAML front matter" in invoke("model-card", str(tmp_path / "README.md")).stderr
    assert not (tmp_path / "rebuild.yaml").exists()


# -- dvc ------------------------------------------------------------------------------------

DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [src/prepare.py, data/raw.csv]
    params: [prepare.seed]
    outs: [data/clean]
  train:
    wdir: .
    cmd:
      - python src/train.py
      - echo done
    deps: [src/train.py, data/clean]
    outs: [model.pkl]
    metrics:
      - metrics.json:
          cache: false
  sweep:
    foreach: [1, 2]
    do:
      cmd: echo ${item}
"""


def dvc_project(root: Path) -> Path:
    files = {"src/prepare.py": b"print('prepare')\n", "src/train.py": b"print('train')\n",
             "data/raw.csv": b"a,b\n", "data/clean/part-1.csv": b"a\n",
             "data/clean/part-2.csv": b"b\n", "model.pkl": b"weights",
             "metrics.json": b"{}\n", "params.yaml": b"prepare:\n  seed: 1\n",
             "dvc.yaml": DVC_YAML.encode()}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    lock = {"schema": "2.0", "stages": {
        "train": {"cmd": "python src/train.py", "outs": [
            {"path": "model.pkl", "md5": md5(b"weights"), "size": 7}]},
        "prepare": {"cmd": "python src/prepare.py", "deps": [
            {"path": "data/raw.csv", "md5": md5(b"a,b\n"), "size": 4}]}}}
    (root / "dvc.lock").write_text(yaml.safe_dump(lock))
    return root


def test_dvc_stages_become_steps(tmp_path: Path) -> None:
    root = dvc_project(tmp_path)
    result = invoke("dvc", str(root / "dvc.lock"), "--license", "Apache-2.0")
    assert result.exit_code == 0, result.output
    assert "stage 'sweep': foreach/matrix stages are not imported" in result.stderr
    data = manifest(root)
    arts = {a["path"]: a for a in data["artifacts"]}  # type: ignore[attr-defined]
    ids = {p: a["id"] for p, a in arts.items()}
    steps = {s["id"]: s for s in data["steps"]}  # type: ignore[attr-defined]
    assert steps["prepare"]["inputs"] == [ids["src/prepare.py"], ids["data/raw.csv"],
                                          ids["params.yaml"]]
    assert steps["prepare"]["outputs"] == [ids["data/clean/part-1.csv"],
                                           ids["data/clean/part-2.csv"]]
    assert steps["train"]["run"] == "python src/train.py && echo done"
    assert steps["train"]["outputs"] == [ids["model.pkl"], ids["metrics.json"]]
    assert arts["params.yaml"]["kind"] == "config"
    # dvc.lock's md5 is kept beside the sha256 that pins the file
    assert arts["model.pkl"]["digest"] == {"sha256": hashlib.sha256(b"weights").hexdigest(),
                                           "md5": md5(b"weights")}
    assert errors(root) == []


def test_dvc_stale_lock_is_reported(tmp_path: Path) -> None:
    root = dvc_project(tmp_path)
    (root / "model.pkl").write_bytes(b"retrained")
    result = invoke("dvc", str(root / "dvc.yaml"))
    assert "model.pkl: the md5 digest in the source does not match" in result.stderr
    assert "integrity.digest-mismatch" in errors(root)


def test_dvc_output_not_pulled_keeps_md5(tmp_path: Path) -> None:
    root = dvc_project(tmp_path)
    (root / "data" / "raw.csv").unlink()
    result = invoke("dvc", str(root / "dvc.yaml"))
    assert result.exit_code == 0
    assert "data/raw.csv: only an md5 digest (run `dvc pull`" in result.stderr
    found = errors(root)
    assert "integrity.missing" in found


# -- model card ------------------------------------------------------------------------------

CARD = """\
---
license: {license}
{extra}base_model: org/base-7b
base_model_relation: adapter
datasets:
  - org/reviews
library_name: peft
pipeline_tag: text-classification
---
# Tiny adapter
"""


def test_model_card(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(CARD.format(license="apache-2.0", extra=""))
    (tmp_path / "adapter_model.safetensors").write_bytes(b"w")
    result = invoke("model-card", str(tmp_path / "README.md"))
    assert result.exit_code == 0, result.output
    data = manifest(tmp_path)
    assert data["license"] == "Apache-2.0"
    assert data["profile"] == "adapter"
    assert data["x-library_name"] == "peft"
    assert data["x-pipeline_tag"] == "text-classification"
    assert data["upstream"] == [{"id": "org-base-7b", "relation": "adapter-of",
                                 "name": "org/base-7b",
                                 "manifest": {"uri": "https://huggingface.co/org/base-7b"}}]
    arts = {a["id"]: a for a in data["artifacts"]}  # type: ignore[attr-defined]
    assert arts["readme.md"]["kind"] == "model-card"
    assert arts["dataset-org-reviews"] == {"id": "dataset-org-reviews", "kind": "dataset",
                                           "uri": "https://huggingface.co/datasets/org/reviews"}
    # what the card cannot tell: the digests to pin (and the steps to add)
    found = errors(tmp_path)
    assert found.count("schema.missing-field") == 2
    assert "upstream.weak-digest" in found
    assert "validate: " in result.stderr
    assert "error(s) left to fix" in result.stderr


def test_model_card_other_licence(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(CARD.format(
        license="other", extra="license_name: tiny community v1\nlicense_link: LICENSE\n"))
    assert invoke("model-card", str(tmp_path / "README.md")).exit_code == 0
    assert manifest(tmp_path)["license"] == "LicenseRef-tiny-community-v1"


# -- model signing ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["v1.1.0-elliptic-key", "v1.1.0-sigstore",
                                  "v1.1.0-certificate", "v0.2.0-certificate"])
def test_model_signing_bundles(tmp_path: Path, case: str) -> None:
    source = corpus_dir("attestations/model-signing") / case
    root = tmp_path / case
    shutil.copytree(source, root)
    result = invoke("model-signing", str(root / "model.sig"), "--license", "Apache-2.0")
    assert result.exit_code == 0, result.output
    arts = {a["path"]: a for a in manifest(root)["artifacts"]}  # type: ignore[attr-defined]
    assert set(arts) == {"signme-1", "signme-2"}
    for path, art in arts.items():
        assert art["digest"]["sha256"] == hashlib.sha256((root / path).read_bytes()).hexdigest()
    assert errors(root) == []
