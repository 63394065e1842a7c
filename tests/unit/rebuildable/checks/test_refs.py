"""Identifiers and references between artifacts, steps and upstreams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rebuildable.engine import Options, validate
from rebuildable.report import Report
from tests.support import codes, make_release

FILES = {"src/a.py": b"print('a')\n", "out/b.bin": b"b", "out/c.bin": b"c"}
IDS = {"src/a.py": "a", "out/b.bin": "b", "out/c.bin": "c"}


def run(tmp_path: Path, steps: list[dict[str, Any]], **fields: Any) -> Report:
    root = make_release(tmp_path / "r", FILES, steps, ids=IDS, **fields)
    return validate(root, Options(hash_files=False))


def step(ident: str, inputs: list[str], outputs: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": ident, "run": "true", "inputs": inputs, "outputs": outputs, **extra}


def test_well_formed_references_give_no_findings(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s1", ["a"], ["b"]), step("s2", ["b"], ["c"])])
    assert codes(report, prefix="refs.") == []
    assert codes(report, prefix="ids.") == []


def test_duplicate_artifact_and_step_ids(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES, [step("s", ["a"], ["b"]), step("s", ["a"], ["c"])],
                        ids={"src/a.py": "a", "out/b.bin": "b", "out/c.bin": "c"})
    text = (root / "rebuild.yaml").read_text().replace("id: c\n", "id: b\n")
    (root / "rebuild.yaml").write_text(text)
    report = validate(root, Options(hash_files=False))
    dups = [f for f in report.findings if f.code == "ids.duplicate"]
    assert {(f.artifact, f.step) for f in dups} == {("b", None), (None, "s")}
    assert all(f.location and f.location.line for f in dups)


def test_dangling_input_output_environment(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s", ["a", "ghost"], ["b", "phantom"], environment="nope")])
    assert codes(report, prefix="refs.") == [
        "refs.dangling-environment", "refs.dangling-input", "refs.dangling-output"
    ]
    dangling = next(f for f in report.findings if f.code == "refs.dangling-input")
    assert dangling.step == "s"
    assert dangling.location is not None
    assert dangling.location.pointer == "/steps/0/inputs/1"


def test_upstream_reference_syntax_is_accepted_for_declared_upstreams(tmp_path: Path) -> None:
    upstream = [{"id": "base", "relation": "adapter-of",
                 "manifest": {"uri": "https://example.org/base/rebuild.yaml",
                              "digest": {"sha256": "0" * 64}}}]
    report = run(tmp_path, [step("s", ["a", "base:weights"], ["b"])], upstream=upstream)
    assert codes(report, prefix="refs.") == []
    report = run(tmp_path, [step("s", ["a", "other:weights"], ["b"])], upstream=upstream)
    assert codes(report, prefix="refs.") == ["refs.unknown-upstream"]


def test_upstream_artifact_cannot_be_an_output(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s", ["a"], ["base:weights"])])
    # One problem, one code (manifest.md, section 5.1): the schema leaves references
    # to the refs check, which says what is wrong.
    assert "refs.upstream-output" in codes(report)
    assert "schema.invalid-value" not in codes(report)


def test_one_producer_per_output(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s1", ["a"], ["b"]), step("s2", ["a"], ["b"])])
    (f,) = [f for f in report.findings if f.code == "refs.multiple-producers"]
    assert (f.artifact, f.step) == ("b", "s2")


def test_step_consuming_its_own_output(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s", ["a", "b"], ["b"])])
    assert "refs.output-is-input" in codes(report)


def test_cycle_between_steps_is_reported_once(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s1", ["a", "c"], ["b"]), step("s2", ["b"], ["c"])])
    cycles = [f for f in report.findings if f.code == "refs.cycle"]
    assert len(cycles) == 1
    assert cycles[0].data["cycle"][0] == cycles[0].data["cycle"][-1]


def test_cycle_through_environment(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s1", ["a"], ["b"], environment="c"), step("s2", ["b"], ["c"])])
    assert codes(report, prefix="refs.cycle") == ["refs.cycle"]


def test_long_chain_of_steps_does_not_recurse(tmp_path: Path) -> None:
    n = 3000
    files = {f"f{i}": b"x" for i in range(n)}
    steps = [step(f"s{i}", [f"f{i}"], [f"f{i + 1}"]) for i in range(n - 1)]
    root = make_release(tmp_path / "r", files, steps, ids={f"f{i}": f"f{i}" for i in range(n)})
    report = validate(root, Options(hash_files=False))
    assert codes(report, prefix="refs.") == []


def test_duplicate_reference_in_a_step_is_a_warning(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s", ["a", "a"], ["b"])])
    (f,) = [f for f in report.findings if f.code == "refs.duplicate-reference"]
    assert f.severity.value == "warning"


def test_equivalence_for_something_not_produced(tmp_path: Path) -> None:
    report = run(tmp_path, [step("s", ["a"], ["b"], equivalence={"c": "exact"})])
    assert "refs.equivalence-not-output" in codes(report)
