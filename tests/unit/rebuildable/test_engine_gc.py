"""The engine pauses the cyclic collector while it validates and leaves it as it was."""

from __future__ import annotations

import gc
from pathlib import Path

from rebuildable.engine import validate
from tests.support import make_release

FILES = {"a.txt": b"a\n", "b/c.bin": b"\x00"}


def test_collector_is_back_and_nothing_stays_frozen(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    assert gc.isenabled()
    assert validate(root).ok
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_callers_frozen_objects_stay_frozen(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert validate(root).ok
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_disabled_collector_stays_disabled(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", FILES)
    gc.disable()
    try:
        assert validate(root).ok
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
