"""Checks declare what they need and provide; the engine refuses an order that cannot work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuildable.checks import CHECKS, integrity, openness, paths, upstream
from rebuildable.context import Context, Options
from rebuildable.engine import run
from rebuildable.findings import Finding
from rebuildable.state import STATE_FIELDS, Check, CheckOrderError, check_order, declare
from tests.support import make_release


def test_the_shipped_order_is_valid_and_every_need_has_a_producer() -> None:
    check_order(CHECKS)
    provided = set().union(*(c.provides for c in CHECKS))
    for c in CHECKS:
        assert c.needs <= provided, c.name
        assert c.uses <= provided, c.name


def test_every_state_field_but_private_memos_is_provided_by_some_check() -> None:
    provided = set().union(*(c.provides for c in CHECKS))
    assert STATE_FIELDS - provided == {"similar_paths"}


def test_a_check_before_its_producer_is_refused() -> None:
    with pytest.raises(CheckOrderError, match="integrity needs unusable_paths"):
        check_order([integrity.check, paths.check])
    with pytest.raises(CheckOrderError, match="openness needs upstream"):
        check_order([openness.check, upstream.check])


def test_the_engine_verifies_the_order_before_running_anything(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"})
    with pytest.raises(CheckOrderError):
        run(root, Options(),
            (integrity.check,))


def test_unknown_state_names_are_refused_when_declared() -> None:
    def body(ctx: Context) -> Iterator[Finding]:
        yield from ()

    with pytest.raises(CheckOrderError, match="unknown state"):
        declare(needs=["hashs"])(body)
    assert isinstance(declare(uses=["hashes"])(body), Check)


def test_state_is_typed_and_returned_with_the_validation(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"})
    result = run(root, Options())
    assert result.state.hashes is not None
    assert set(result.state.hashes) == {"a.txt"}
    assert result.state.unusable_paths == set()
    assert result.state.upstream == {}
    assert result.state.closure is not None
    assert result.hashes is result.state.hashes
