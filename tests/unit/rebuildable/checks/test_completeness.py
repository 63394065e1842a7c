"""The completeness check: outputs trace back through steps to pinned sources."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable.checks.completeness import Closure
from rebuildable.digest import strong_pin
from rebuildable.engine import validate
from rebuildable.findings import Finding
from rebuildable.release import safe_relative
from rebuildable.report import Report
from tests.support import codes, make_release, read_manifest, write_manifest

SHA = "a" * 64


def _only(report: Report, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, [f.code for f in report.findings]
    return found[0]


def _summary(report: Report) -> dict[str, Any]:
    return _only(report, "completeness.summary").data


def _external(ident: str, digest: dict[str, str]) -> dict[str, Any]:
    return {"id": ident, "uri": f"https://data.example.org/{ident}", "kind": "dataset",
            "digest": digest}


TRAIN = {"id": "train", "run": "python train.py", "inputs": ["train.py", "corpus"],
         "outputs": ["weights"]}


def _release(tmp_path: Path, corpus_digest: dict[str, str], **kw: Any) -> Path:
    return make_release(tmp_path, {"train.py": b"print(1)\n", "weights.bin": b"w"},
                        [TRAIN], ids={"weights.bin": "weights"},
                        extra_artifacts=[_external("corpus", corpus_digest)], **kw)


def test_complete_release_has_only_the_summary(tmp_path: Path) -> None:
    report = validate(_release(tmp_path, {"sha256": SHA}))
    assert codes(report, prefix="completeness.") == ["completeness.summary"]
    data = _summary(report)
    assert data["complete"] is True
    assert (data["outputs"], data["steps"], data["closure"]) == (1, 1, 2)
    assert (data["closure_shipped"], data["closure_external"]) == (1, 1)
    assert report.ok


@pytest.mark.parametrize(
    "digest",
    [{"md5": "0" * 32}, {"sha1": "0" * 40}, {"md5": "0" * 32, "sha1": "0" * 40},
     {"sha256": "A" * 64}, {"sha256": "ab"}, {"whirlpool": "0" * 128}],
    ids=["md5", "sha1", "md5+sha1", "upper-case", "short", "unknown-alg"],
)
def test_external_source_without_strong_digest_breaks_closure(tmp_path: Path,
                                                              digest: dict[str, str]) -> None:
    report = validate(_release(tmp_path, digest))
    f = _only(report, "completeness.unpinned-source")
    assert f.artifact == "corpus"
    assert f.location is not None
    assert f.location.pointer == "/artifacts/2/digest"
    assert f.location.line is not None
    assert "'weights'" in f.message
    assert f.data["outputs"] == ["weights"]
    assert _summary(report)["complete"] is False
    assert not report.ok


def test_md5_beside_sha256_is_pinned(tmp_path: Path) -> None:
    report = validate(_release(tmp_path, {"md5": "0" * 32, "sha256": SHA}))
    assert "completeness.unpinned-source" not in codes(report, prefix="completeness.")


def test_unpinned_source_names_every_output_downstream(tmp_path: Path) -> None:
    steps = [
        {"id": "prep", "run": "p", "inputs": ["corpus"], "outputs": ["clean"]},
        {"id": "train", "run": "t", "inputs": ["clean", "code"], "outputs": ["weights"]},
        {"id": "eval", "run": "e", "inputs": ["weights", "code"], "outputs": ["scores"]},
    ]
    root = make_release(tmp_path, {"c.py": b"1", "clean.txt": b"2", "w.bin": b"3", "s.json": b"4"},
                        steps, ids={"c.py": "code", "clean.txt": "clean", "w.bin": "weights",
                                    "s.json": "scores"},
                        extra_artifacts=[_external("corpus", {"sha1": "0" * 40})])
    f = _only(validate(root), "completeness.unpinned-source")
    assert f.data["outputs"] == ["clean", "weights", "scores"]


def test_source_outside_every_closure_is_not_reported_unpinned(tmp_path: Path) -> None:
    # 'corpus' is consumed only by a step without outputs: no output depends on it.
    steps = [{"id": "look", "run": "cat", "inputs": ["corpus"], "outputs": []}]
    root = make_release(tmp_path, {"a.txt": b"a"}, steps,
                        extra_artifacts=[_external("corpus", {"md5": "0" * 32})])
    report = validate(root)
    assert codes(report, prefix="completeness.") == [
        "completeness.step-without-outputs", "completeness.summary", "completeness.unused-source"]


def test_environment_counts_as_input(tmp_path: Path) -> None:
    step = {"id": "build", "run": "make", "inputs": [], "outputs": ["out"],
            "environment": "image"}
    root = make_release(tmp_path, {"out.bin": b"o"}, [step], ids={"out.bin": "out"},
                        extra_artifacts=[_external("image", {"sha1": "0" * 40})])
    report = validate(root)
    # no step-without-inputs: the environment is an input; and it must be pinned
    assert codes(report, prefix="completeness.") == ["completeness.summary",
                                                     "completeness.unpinned-source"]


def test_step_without_inputs_and_without_outputs(tmp_path: Path) -> None:
    steps = [{"id": "gen", "run": "echo > o", "inputs": [], "outputs": ["o"]},
             {"id": "noop", "run": "true", "inputs": ["o"], "outputs": []}]
    root = make_release(tmp_path, {"o": b"o"}, steps, ids={"o": "o"})
    report = validate(root)
    no_in = _only(report, "completeness.step-without-inputs")
    assert no_in.step == "gen"
    assert no_in.location is not None
    assert no_in.location.pointer == "/steps/0/inputs"
    no_out = _only(report, "completeness.step-without-outputs")
    assert no_out.step == "noop"
    assert no_out.location is not None
    assert no_out.location.pointer == "/steps/1/outputs"


def test_missing_shipped_source(tmp_path: Path) -> None:
    root = _release(tmp_path, {"sha256": SHA})
    (root / "train.py").unlink()
    report = validate(root)
    f = _only(report, "completeness.missing-source")
    assert f.artifact == "train.py"
    assert f.location is not None
    assert f.location.pointer == "/artifacts/0/path"
    assert "not in the release" in f.message


def test_missing_output_is_not_a_missing_source(tmp_path: Path) -> None:
    root = _release(tmp_path, {"sha256": SHA})
    (root / "weights.bin").unlink()
    assert "completeness.missing-source" not in codes(validate(root), prefix="completeness.")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_source_is_not_shipped(tmp_path: Path) -> None:
    root = _release(tmp_path, {"sha256": SHA})
    (root / "real.py").write_bytes(b"print(1)\n")
    (root / "train.py").unlink()
    (root / "train.py").symlink_to("real.py")
    f = _only(validate(root), "completeness.missing-source")
    assert "symlink" in f.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_source_is_not_shipped(tmp_path: Path) -> None:
    root = _release(tmp_path, {"sha256": SHA})
    (root / "train.py").unlink()
    os.mkfifo(root / "train.py")
    f = _only(validate(root), "completeness.missing-source")
    assert "not a regular file" in f.message


def test_unsafe_path_is_left_to_the_path_check(tmp_path: Path) -> None:
    root = _release(tmp_path, {"sha256": SHA})
    data = read_manifest(root)
    data["artifacts"][0]["path"] = "../train.py"
    write_manifest(root / "rebuild.yaml", data)
    assert "completeness.missing-source" not in codes(validate(root), prefix="completeness.")


def _with_upstream(tmp_path: Path, digest: dict[str, str]) -> Path:
    step = {"id": "tune", "run": "t", "inputs": ["base:weights", "code"], "outputs": ["adapter"]}
    return make_release(
        tmp_path, {"code.py": b"c", "adapter.bin": b"a"}, [step],
        ids={"code.py": "code", "adapter.bin": "adapter"},
        upstream=[{"id": "base", "relation": "adapter-of",
                   "manifest": {"uri": "https://models.example.org/base/rebuild.yaml",
                                "digest": digest}}])


def test_upstream_input_pinned_by_strong_manifest_digest(tmp_path: Path) -> None:
    report = validate(_with_upstream(tmp_path, {"sha256": SHA}))
    assert codes(report, prefix="completeness.") == ["completeness.summary"]
    assert _summary(report)["closure_upstream"] == 1


def test_upstream_input_with_weak_manifest_digest_is_unpinned(tmp_path: Path) -> None:
    report = validate(_with_upstream(tmp_path, {"md5": "0" * 32}))
    f = _only(report, "completeness.unpinned-source")
    assert f.upstream == "base"
    assert f.location is not None
    assert f.location.pointer == "/upstream/0/manifest/digest"
    assert f.data["source"] == "base:weights"


def test_unused_source_is_info_only(tmp_path: Path) -> None:
    root = make_release(tmp_path, {"train.py": b"1", "README.md": b"r", "w.bin": b"w"},
                        [{"id": "t", "run": "r", "inputs": ["train.py"], "outputs": ["w"]}],
                        ids={"w.bin": "w"})
    report = validate(root)
    f = _only(report, "completeness.unused-source")
    assert f.artifact == "readme.md"
    assert f.severity.value == "info"
    assert report.ok


def test_no_steps_no_unused_source_noise(tmp_path: Path) -> None:
    report = validate(make_release(tmp_path, {"a": b"a", "b": b"b"}))
    assert codes(report, prefix="completeness.") == ["completeness.summary"]
    assert _summary(report)["sources"] == 2


def test_dangling_references_are_left_to_refs(tmp_path: Path) -> None:
    step = {"id": "t", "run": "r", "inputs": ["ghost", "nope:x"], "outputs": ["w"]}
    report = validate(make_release(tmp_path, {"w.bin": b"w"}, [step], ids={"w.bin": "w"}))
    assert [c for c in codes(report, prefix="completeness.") if c != "completeness.summary"] == []
    assert "refs.dangling-input" in codes(report, prefix="refs.")


def test_cycle_terminates(tmp_path: Path) -> None:
    steps = [{"id": "a", "run": "x", "inputs": ["b-out", "src"], "outputs": ["a-out"]},
             {"id": "b", "run": "x", "inputs": ["a-out"], "outputs": ["b-out"]}]
    root = make_release(tmp_path, {"a": b"a", "b": b"b", "s": b"s"}, steps,
                        ids={"a": "a-out", "b": "b-out", "s": "src"})
    report = validate(root)
    assert _summary(report)["closure"] == 1
    assert "refs.cycle" in codes(report, prefix="refs.")


def test_closure_is_left_in_the_cache(tmp_path: Path) -> None:
    from rebuildable.checks import completeness
    from rebuildable.context import Context, Options
    from rebuildable.load import load_manifest
    from rebuildable.model import Manifest
    from rebuildable.release import open_release

    root = _release(tmp_path, {"md5": "0" * 32})
    with open_release(root) as release:
        doc = load_manifest(release.read_manifest(), "rebuild.yaml").document
        assert doc is not None
        ctx = Context(release, doc, Manifest.from_data(doc.data), Options())
        list(completeness.check(ctx))
    closure = ctx.state.closure
    assert isinstance(closure, Closure)
    assert closure.closure == {"train.py", "corpus"}
    assert closure.unpinned == {"corpus"}
    assert not closure.complete


def test_long_chain_is_linear(tmp_path: Path) -> None:
    n = 2000
    files = {f"f{i}": b"x" for i in range(n + 1)}
    steps = [{"id": f"s{i}", "run": "r", "inputs": [f"a{i}"], "outputs": [f"a{i + 1}"]}
             for i in range(n)]
    root = make_release(tmp_path, files, steps, ids={f"f{i}": f"a{i}" for i in range(n + 1)},
                        license="MIT")
    report = validate(root)
    assert _summary(report)["closure"] == 1
    assert _summary(report)["outputs"] == n


def test_strong_pin_rules() -> None:
    assert strong_pin({"sha256": SHA})
    assert strong_pin({"sha512": "0" * 128, "md5": "x"})
    assert not strong_pin({})
    assert not strong_pin({"sha256": SHA.upper()})
    assert not strong_pin({"md5": "0" * 32, "sha1": "0" * 40})
    assert not strong_pin({"sha-256": SHA})


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab/.\\:\x00", max_size=12))
def test_safe_relative_never_accepts_escapes(path: str) -> None:
    if safe_relative(path):
        parts = path.split("/")
        assert ".." not in parts
        assert "." not in parts
        assert "" not in parts
        assert "\\" not in path
        assert "\x00" not in path
        assert not path.startswith("/")
