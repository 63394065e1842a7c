"""Every JSON file of the standard parses with no duplicate key: json.load keeps the last
of two equal keys silently, so a merge that doubles a schema property would go unseen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted({*ROOT.joinpath("schemas").glob("*.json"), *ROOT.joinpath("spec").glob("*.json"),
                *ROOT.joinpath("spec", "conformance").rglob("vector.json")})


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    doubled = sorted({k for k in keys if keys.count(k) > 1})
    assert not doubled, f"duplicate keys: {doubled}"
    return dict(pairs)


def test_there_are_files_to_check() -> None:
    assert len(FILES) > 100


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_duplicate_keys(path: Path) -> None:
    json.loads(path.read_text("utf-8"), object_pairs_hook=_no_duplicates)
