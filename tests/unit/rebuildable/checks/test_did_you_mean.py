"""Messages that send users the right way (issue 9): "did you mean" for field names and
kinds, inputs written as paths, and hints that name the command that fixes the problem."""

from __future__ import annotations

from pathlib import Path

from rebuildable.api import Options, validate
from rebuildable.codes import CODES
from rebuildable.findings import Finding
from rebuildable.report import Report
from tests.support.releases import make_release, read_manifest, write_manifest

FILES = {"src/train.py": b"print(1)\n", "data/train.csv": b"a,b\n", "config.yaml": b"lr: 1\n",
         "model/w.safetensors": b"w", "README.md": b"# m\n"}
IDS = {"src/train.py": "train-code", "data/train.csv": "corpus", "config.yaml": "config",
       "model/w.safetensors": "weights", "README.md": "card"}
KINDS = {"src/train.py": "training-code", "data/train.csv": "dataset", "config.yaml": "config",
         "model/w.safetensors": "weights", "README.md": "model-card"}


def _errors(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.severity.value == "error"]


def test_inputs_written_as_paths_name_the_ids_meant(tmp_path: Path) -> None:
    """Before: eight errors (a schema pattern error and a dangling reference for each
    path, plus a consequence) and no word about ids."""
    steps = [{"id": "train", "run": "python src/train.py",
              "inputs": ["src/train.py", "data/train.csv", "config.yaml"],
              "outputs": ["model/w.safetensors"]}]
    root = make_release(tmp_path / "rel", FILES, steps, ids=IDS, kinds=KINDS,
                        profile="ml-model", license="MIT")
    report = validate(root, Options())
    dangling = [f for f in _errors(report) if f.code.startswith("refs.dangling-")]
    assert len(dangling) == 4
    for f in dangling:
        assert f.hint is not None
        assert "by id, not by path" in f.hint
    by_pointer = {f.location.pointer: f for f in dangling if f.location is not None}
    assert "'train-code'" in by_pointer["/steps/0/inputs/0"].hint  # type: ignore[operator]
    assert "'weights'" in by_pointer["/steps/0/outputs/0"].hint  # type: ignore[operator]
    # the schema's pattern errors on the same values are not repeated, nor is the output
    # written as a path taken for a source ("weights declared as a source"): one error
    # per reference written as a path, each naming the id meant
    assert not [f for f in report.findings if f.code == "schema.invalid-value"]
    assert [f.code for f in _errors(report)] == ["refs.dangling-input"] * 3 + [
        "refs.dangling-output"]


def test_near_miss_ids_are_suggested(tmp_path: Path) -> None:
    steps = [{"id": "train", "run": "python src/train.py",
              "inputs": ["train-cod", "corpus", "config"], "outputs": ["weights"]}]
    root = make_release(tmp_path / "rel", FILES, steps, ids=IDS, kinds=KINDS)
    (f,) = [f for f in report_errors(root) if f.code == "refs.dangling-input"]
    assert "did you mean 'train-code'?" in f.message


def report_errors(root: Path) -> list[Finding]:
    return _errors(validate(root, Options()))


def test_misspelt_fields_get_did_you_mean(tmp_path: Path) -> None:
    steps = [{"id": "train", "run": "python src/train.py",
              "inputs": ["train-code", "corpus", "config"], "outputs": ["weights"]}]
    root = make_release(tmp_path / "rel", FILES, steps, ids=IDS, kinds=KINDS)
    data = read_manifest(root)
    data["licence"] = "MIT"
    data["steps"][0]["ouputs"] = data["steps"][0].pop("outputs")
    write_manifest(root / "rebuild.yaml", data)
    hints = {f.location.pointer: f.hint for f in validate(root, Options()).findings
             if f.code == "schema.unknown-field" and f.location is not None}
    assert "Did you mean 'license'?" in (hints["/licence"] or "")
    assert "Did you mean 'outputs'?" in (hints["/steps/0/ouputs"] or "")


def test_misspelt_kind_gets_did_you_mean(tmp_path: Path) -> None:
    root = make_release(tmp_path / "rel", FILES, ids=IDS,
                        kinds={**KINDS, "src/train.py": "traning-code"})
    (f,) = [f for f in validate(root, Options()).findings if f.code == "schema.unknown-kind"]
    assert f.severity.value == "warning"
    assert f.artifact == "train-code"
    assert "did you mean 'training-code'?" in f.message
    assert f.location is not None
    assert f.location.pointer == "/artifacts/0/kind"
    # a kind of one's own that looks like no known kind is left alone
    root2 = make_release(tmp_path / "rel2", FILES, ids=IDS,
                         kinds={**KINDS, "src/train.py": "shader-graph"})
    assert not [f for f in validate(root2, Options()).findings if f.code == "schema.unknown-kind"]


def test_hints_name_the_commands_that_fix_the_problem(tmp_path: Path) -> None:
    no_manifest = validate(tmp_path, Options())
    (f,) = [f for f in no_manifest.findings if f.code == "release.no-manifest"]
    assert "rebuildable init" in (f.hint or CODES[f.code].hint or "")
    root = make_release(tmp_path / "rel", {"a.txt": b"a", "b.txt": b"b"})
    (root / "a.txt").write_bytes(b"b")  # same size, another digest
    (root / "b.txt").write_bytes(b"bb")  # another size
    changed = [g for g in validate(root, Options()).findings
               if g.code in ("integrity.digest-mismatch", "integrity.size-mismatch")]
    assert {g.code for g in changed} == {"integrity.digest-mismatch",
                                         "integrity.size-mismatch"}
    for g in changed:  # the command that exists, not "where your version has it"
        hint = g.hint or CODES[g.code].hint or ""
        assert "rebuildable update RELEASE" in hint
        assert "where your version" not in hint


def test_misspelt_profile_is_one_finding_with_the_name_meant(tmp_path: Path) -> None:
    """Before: profile.unknown plus a schema error saying "expected a list" of a string."""
    root = make_release(tmp_path / "rel", FILES, ids=IDS, kinds=KINDS, profile="ml_model")
    errors = report_errors(root)
    assert [f.code for f in errors] == ["profile.unknown"]
    assert errors[0].hint == "Did you mean 'ml-model'?"
    root2 = make_release(tmp_path / "rel2", FILES, ids=IDS, kinds=KINDS, profile={"a": 1})
    assert "schema.wrong-type" in {f.code for f in report_errors(root2)}


UPSTREAM = {"id": "base", "relation": "fine-tune-of",
            "manifest": {"uri": "https://example.org/base/rebuild.yaml",
                         "digest": {"sha256": "0" * 64}}}


def test_references_to_upstreams_and_equivalence_outputs_name_the_one_meant(
        tmp_path: Path) -> None:
    """A misspelt upstream in BASE:ARTIFACT and an equivalence policy keyed by a misspelt
    output id, or by the output's path, say which was meant."""
    steps = [{"id": "train", "run": "python src/train.py",
              "inputs": ["train-code", "corpus", "bse:weights"], "outputs": ["weights"],
              "environment": "bse:env",
              "equivalence": {"weigths": {"numeric": {"rtol": 0.1}},
                              "model/w.safetensors": {"numeric": {"rtol": 0.1}}}}]
    root = make_release(tmp_path / "rel", FILES, steps, ids=IDS, kinds=KINDS,
                        upstream=[UPSTREAM])
    found = {(f.code, f.location.pointer if f.location else None): f.message
             for f in validate(root, Options()).findings}
    assert found[("refs.unknown-upstream", "/steps/0/inputs/2")].endswith(
        "did you mean 'base'?")
    assert found[("refs.unknown-upstream", "/steps/0/environment")].endswith(
        "did you mean 'base'?")
    assert found[("refs.equivalence-not-output", "/steps/0/equivalence/weigths")].endswith(
        "did you mean 'weights'?")
    assert "it is the path of output 'weights'" in found[
        ("refs.equivalence-not-output", "/steps/0/equivalence/model~1w.safetensors")]


def test_misspelt_digest_algorithm_names_the_one_meant(tmp_path: Path) -> None:
    """sha-256 is sha256 (difflib alone would say sha3-256), sha265 is sha256."""
    root = make_release(tmp_path / "rel", FILES, ids=IDS, kinds=KINDS)
    data = read_manifest(root)
    data["artifacts"][0]["digest"] = {"sha-256": data["artifacts"][0]["digest"]["sha256"]}
    data["artifacts"][1]["digest"] = {"sha265": data["artifacts"][1]["digest"]["sha256"]}
    write_manifest(root / "rebuild.yaml", data)
    hints = {f.artifact: f.hint for f in validate(root, Options()).findings
             if f.code == "integrity.unknown-algorithm"}
    assert hints == {"train-code": "Did you mean 'sha256'?", "corpus": "Did you mean 'sha256'?"}


def test_misspelt_relation_gets_did_you_mean(tmp_path: Path) -> None:
    """Relations are open-ended; a near miss of one of the vocabulary is a warning."""
    for relation, meant in (("finetune-of", "fine-tune-of"), ("adaptor-of", "adapter-of"),
                            ("derived_from", "derived-from"), ("merged-with", None)):
        root = make_release(tmp_path / relation, FILES, ids=IDS, kinds=KINDS,
                            upstream=[{**UPSTREAM, "relation": relation}])
        found = [f for f in validate(root, Options()).findings
                 if f.code == "schema.unknown-relation"]
        if meant is None:
            assert not found, relation  # a relation of one's own
            continue
        (f,) = found
        assert f.severity.value == "warning"
        assert f.upstream == "base"
        assert f.message.endswith(f"did you mean {meant!r}?")
        assert f.location is not None
        assert f.location.pointer == "/upstream/0/relation"
