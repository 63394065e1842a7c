"""The badge's states (spec/registry.md REG-16): what it says and its colour."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from rebuildable.registry.badge import AMBER, GREEN, RED, badge_svg

SVG = "{http://www.w3.org/2000/svg}"
ALL = {"intact": True, "complete": True, "open-source": True}


def _read(svg: str) -> tuple[str, str]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    words = [t.text for t in root.iter(f"{SVG}text")][1]
    colour = [r.get("fill") for r in root.iter(f"{SVG}rect")][1]
    assert root.get("aria-label") == f"rebuildable: {words}"
    return str(words), str(colour)


@pytest.mark.parametrize(("verdicts", "signed", "intact_store", "words", "colour"), [
    (ALL, True, True, "signed · intact · complete · open-source", GREEN),
    ({**ALL, "open-source": False}, True, True,
     "signed · intact · complete · not open-source", AMBER),
    # (osaid and other verdicts beyond the three are not named)
    ({**ALL, "osaid": False}, True, True, "signed · intact · complete · open-source", GREEN),
    (ALL, False, True, "unsigned · intact · complete · open-source", RED),
    ({**ALL, "intact": False}, True, True, "signed · complete · open-source · not intact", RED),
    ({**ALL, "complete": False, "open-source": False}, True, True,
     "signed · intact · not complete · not open-source", RED),
    ({}, True, True, "signed", RED),  # intact and complete unknown: not vouched for
    (ALL, True, False, "stored bytes altered", RED),
])
def test_badge_states(verdicts: dict[str, object], signed: bool, intact_store: bool,
                      words: str, colour: str) -> None:
    assert _read(badge_svg(verdicts, signed, stored_intact=intact_store)) == (words, colour)


def test_badge_ignores_what_is_not_a_verdict_name() -> None:
    svg = badge_svg({"<script>": True, "intact": "yes"}, True)
    assert "script" not in svg
    assert _read(svg) == ("signed", RED)
