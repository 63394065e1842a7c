"""Properties of the completeness check over random step graphs (in memory, no disk)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable.checks import completeness
from rebuildable.context import Context, Options
from rebuildable.load import Document
from rebuildable.model import Manifest
from rebuildable.release import Entry, EntryType, Release

STRONG = {"sha256": "a" * 64}
WEAK = {"md5": "b" * 32}


class _Files(Release):
    """A release holding exactly the given regular files."""

    def __init__(self, paths: set[str]) -> None:
        self.label = "memory"
        self.manifest_name = "rebuild.yaml"
        self.findings = []
        self._entries = {p: Entry(p, EntryType.FILE, 1) for p in paths}

    def entries(self) -> Mapping[str, Entry]:
        return self._entries

    def open(self, path: str) -> BinaryIO:  # pragma: no cover - never called here
        raise NotImplementedError


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    """A DAG: artifact i may only be consumed by steps producing artifacts > i."""
    n = draw(st.integers(min_value=1, max_value=12))
    artifacts: list[dict[str, Any]] = []
    for i in range(n):
        external = draw(st.booleans())
        art: dict[str, Any] = {"id": f"a{i}", "kind": "other"}
        if external:
            art["uri"] = f"https://example.org/a{i}"
            art["digest"] = draw(st.sampled_from([STRONG, WEAK]))
        else:
            art["path"] = f"f{i}"
            art["digest"] = STRONG
        artifacts.append(art)
    steps = []
    producer_of: set[int] = set()
    for j in range(draw(st.integers(min_value=0, max_value=5))):
        out = draw(st.integers(min_value=0, max_value=n - 1))
        if out in producer_of:
            continue
        producer_of.add(out)
        inputs = sorted(draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=4)))
        inputs = [i for i in inputs if i < out]
        steps.append({"id": f"s{j}", "run": "x", "inputs": [f"a{i}" for i in inputs],
                      "outputs": [f"a{out}"]})
    missing = draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=3))
    return {"artifacts": artifacts, "steps": steps, "missing": missing}


def _run(graph: dict[str, Any]) -> tuple[completeness.Closure, list[str]]:
    data = {"spec": "rebuildable/0.1", "name": "p", "version": "1",
            "artifacts": graph["artifacts"], "steps": graph["steps"]}
    present = {a["path"] for i, a in enumerate(graph["artifacts"])
               if "path" in a and i not in graph["missing"]}
    ctx = Context(_Files(present), Document("rebuild.yaml", "yaml", data),
                  Manifest.from_data(data), Options())
    codes = [f.code for f in completeness.check(ctx)]
    closure = ctx.state.closure
    assert isinstance(closure, completeness.Closure)
    return closure, codes


def _reference_closure(graph: dict[str, Any]) -> set[str]:
    """The closure by the spec's definition: walk back from every output."""
    producer = {o: s for s in graph["steps"] for o in s["outputs"]}
    out: set[str] = set()
    for start in producer:
        stack = [start]
        seen = {start}
        while stack:
            ref = stack.pop()
            step = producer.get(ref)
            if step is None:
                out.add(ref)
                continue
            for i in step["inputs"]:
                if i not in seen:
                    seen.add(i)
                    stack.append(i)
    return out


@settings(max_examples=80, deadline=None)
@given(graphs())
def test_closure_matches_the_definition(graph: dict[str, Any]) -> None:
    closure, codes = _run(graph)
    assert closure.closure == _reference_closure(graph)
    by_id = {a["id"]: a for a in graph["artifacts"]}
    unpinned = {r for r in closure.closure if by_id[r].get("digest") is WEAK}
    missing = {r for r in closure.closure
               if "path" in by_id[r] and int(r[1:]) in graph["missing"]}
    assert closure.unpinned == unpinned
    assert closure.missing == missing
    assert codes.count("completeness.unpinned-source") == len(unpinned)
    assert codes.count("completeness.missing-source") == len(missing)
    assert closure.complete == (not unpinned and not missing)
    # The summary is written with the verdicts (one computation); its counts partition
    # the closure: every source is in exactly one place.
    assert set(closure.place) == closure.closure
    counts = closure.counts()
    assert sum(counts[f"closure_{p}"] for p in completeness.PLACES) == counts["closure"]
    assert counts["closure_missing"] == len(missing)


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_outputs_and_sources_partition_the_artifacts(graph: dict[str, Any]) -> None:
    closure, _ = _run(graph)
    ids = {a["id"] for a in graph["artifacts"]}
    assert closure.outputs | closure.sources == ids
    assert not closure.outputs & closure.sources
    assert closure.closure <= closure.sources
