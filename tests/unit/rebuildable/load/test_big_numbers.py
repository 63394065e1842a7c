"""Integer literals past Python's 4,300-digit conversion limit (and hex/octal literals
whose value cannot be printed in decimal) are located findings, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebuildable.engine import validate
from rebuildable.load import coerce_to_schema, load_manifest
from tests.support import codes, make_release

LITERALS = {
    "decimal": "1" * 5000,
    "negative": "-" + "9" * 5000,
    "hex": "0x" + "f" * 5000,
    "octal": "0o" + "7" * 5000,
}


@pytest.mark.parametrize("literal", LITERALS.values(), ids=LITERALS.keys())
def test_a_huge_yaml_integer_is_a_located_range_finding(tmp_path: Path, literal: str) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"})
    manifest = root / "rebuild.yaml"
    manifest.write_text(manifest.read_text() + f"x-big: {literal}\n")
    report = validate(root)
    assert "internal.error" not in codes(report)
    ranged = [f for f in report.findings if f.code == "load.number-range"]
    assert len(ranged) == 1
    assert ranged[0].location is not None
    assert ranged[0].location.pointer == "/x-big"
    assert ranged[0].location.line is not None
    assert len(ranged[0].message) < 300  # the literal is shortened, not printed whole
    assert not report.ok


@pytest.mark.parametrize("literal", LITERALS.values(), ids=LITERALS.keys())
def test_a_huge_integer_where_a_string_is_wanted_keeps_its_text(literal: str) -> None:
    result = load_manifest(f"version: {literal}\n".encode(), "rebuild.yaml")
    assert result.document is not None
    coerce_to_schema(result.document, lambda pointer: pointer == "/version")
    assert result.document.data["version"] == literal


def test_a_huge_json_integer_is_a_located_range_finding(tmp_path: Path) -> None:
    root = make_release(tmp_path / "r", {"a.txt": b"a"}, manifest_name="rebuild.json")
    manifest = root / "rebuild.json"
    text = manifest.read_text()
    manifest.write_text(text.replace('"name":', '"x-big": ' + "1" * 5000 + ', "name":', 1))
    report = validate(root)
    assert "internal.error" not in codes(report)
    ranged = [f for f in report.findings if f.code == "load.number-range"]
    assert len(ranged) == 1
    assert ranged[0].location is not None
    assert ranged[0].location.pointer == "/x-big"
