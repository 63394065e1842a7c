"""The one step graph: producers, consumers, closures, order and cycles, which every
reader of steps (completeness, profiles, refs, rebuild plan, openness) shares."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebuildable.digest import pinned_digests, strong_pin
from rebuildable.graph import StepCycleError, StepGraph, needs
from rebuildable.model import Manifest, Step
from rebuildable.rebuild.inputs import Unavailable, copy_verified
from rebuildable.rebuild.plan import PlanError, order_steps, plan_step

SHA = "a" * 64


def step(ident: str, inputs: tuple[str, ...], outputs: tuple[str, ...],
         environment: str | None = None) -> Step:
    return Step(ident, f"/steps/{ident}", "true", inputs, outputs, environment)


def graph(*steps: Step) -> StepGraph:
    return StepGraph(Manifest(spec=None, name=None, version=None, steps=steps))


def manifest(*steps: Step) -> Manifest:
    arts = sorted({r for s in steps for r in (*needs(s), *s.outputs) if ":" not in r})
    return Manifest.from_data({
        "spec": "rebuildable/0.1", "name": "g", "version": "1",
        "artifacts": [{"id": a, "path": a, "digest": {"sha256": SHA}} for a in arts],
        "steps": [{"id": s.id, "run": "true", "inputs": list(s.inputs),
                   "outputs": list(s.outputs),
                   **({"environment": s.environment} if s.environment else {})}
                  for s in steps]})


def test_producers_consumers_and_needs() -> None:
    a = step("a", ("src",), ("mid",), environment="env")
    b = step("b", ("mid", "base:w"), ("out",))
    g = graph(a, b)
    assert needs(a) == ("src", "env")
    assert g.producers == {"mid": a, "out": b}
    assert g.consumers == {"src": [a], "env": [a], "mid": [b], "base:w": [b]}
    assert g.closure(b) == {"mid", "src", "env", "base:w"}
    assert g.source_closure() == {"src", "env", "base:w"}
    assert g.affected_outputs("src") == ["mid", "out"]
    assert [s.id for s in g.order()] == ["a", "b"]
    assert list(g.cycles()) == []


def test_the_first_of_two_producers_wins_in_the_graph_and_in_the_rebuild_plan() -> None:
    # REF-3: 'out' listed by two steps; the first one in manifest order produces it, for
    # the static checks and for the rebuild plan alike (the plan used to pick the last).
    first = step("first", ("src",), ("out",))
    second = step("second", ("src",), ("out",))
    user = step("user", ("out",), ("final",))
    m = manifest(first, second, user)
    assert StepGraph(m).producers["out"].id == "first"
    plan = plan_step(m, m.steps[2], rebuilt_steps={"first", "second"})
    assert [i.producer for i in plan.inputs] == ["first"]


def test_order_is_manifest_order_among_ready_steps_and_cycles_are_refused() -> None:
    late = step("late", ("x",), ("y",))
    early = step("early", ("src",), ("x",))
    other = step("other", ("src",), ("z",))
    assert [s.id for s in graph(late, early, other).order()] == ["early", "late", "other"]
    a = step("a", ("y",), ("x",))
    b = step("b", ("x",), ("y",))
    with pytest.raises(StepCycleError, match="a, b"):
        graph(a, b).order()
    with pytest.raises(PlanError, match="cycle"):
        order_steps(manifest(a, b))
    [(at, cycle)] = list(graph(a, b).cycles())
    assert at.id == "b"
    assert cycle == ["a", "b", "a"]


def test_a_repeated_step_id_is_one_step_for_order_but_both_run_for_the_closure() -> None:
    one = step("s", ("a",), ("x",))
    again = step("s", ("b",), ("y",))
    g = graph(one, again)
    assert g.steps == (one,)
    assert g.source_closure() == {"a", "b"}


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=12))
def test_order_respects_every_dependency_or_reports_a_cycle(edges: list[tuple[int, int]]) -> None:
    # step i makes artifact o{i} and consumes o{j} for each edge (i, j)
    steps = [step(f"s{i}", tuple(f"o{j}" for k, j in edges if k == i and j != i), (f"o{i}",))
             for i in range(6)]
    g = graph(*steps)
    try:
        order = [s.id for s in g.order()]
    except StepCycleError:
        assert list(g.cycles())
        return
    assert not list(g.cycles())
    for i, j in edges:
        if i != j:
            assert order.index(f"s{j}") < order.index(f"s{i}")


def test_one_strong_pin_rule() -> None:
    assert strong_pin({"sha256": SHA})
    assert not strong_pin({"sha256": SHA.upper()})  # not well-formed
    assert not strong_pin({"md5": "0" * 32})
    assert pinned_digests({"sha256": SHA, "md5": "0" * 32, "sha512": "x"}) == {"sha256": SHA}


def test_rebuild_inputs_need_a_well_formed_strong_digest(tmp_path: Path) -> None:
    # The rebuild's copy used to accept a strong algorithm whatever its value looked like.
    data = b"input bytes"
    import hashlib

    digest = {"sha256": hashlib.sha256(data).hexdigest().upper(),
              "md5": hashlib.md5(data).hexdigest()}
    with pytest.raises(Unavailable, match="no strong digest"):
        copy_verified(io.BytesIO(data), tmp_path / "x", digest)
