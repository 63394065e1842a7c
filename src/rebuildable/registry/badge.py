"""The badge: a small SVG naming the verdicts a release earned, and the ones it did not.

Its states, from worst to best (the colour goes with the worst that applies):

- red: the stored manifest or envelope are no longer the published bytes, or the release
  is unsigned, or not known to be intact and complete. A publish never records such a release (the
  registry refuses errors and missing signatures), so red means the store was altered
  afterwards, or a record older than these rules.
- amber: signed, intact and complete, but another verdict (open-source) does not hold;
  the badge says so ("not open-source") rather than leaving it out.
- green: every verdict holds.

A release that was refused (tampered, unsigned, invalid) has no record, so no badge: its
badge URL answers 404 like every other read of it.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

__all__ = ["AMBER", "GREEN", "RED", "badge_svg"]

_ORDER = ("intact", "complete", "open-source")
#: verdicts without which a release is not one the registry vouches for at all
_REQUIRED = ("intact", "complete")
_CHAR = 6.5  # rough width of one character of 11px Verdana
GREEN, AMBER, RED = "#2e7d32", "#a65c00", "#c62828"


def badge_svg(verdicts: dict[str, object], signed: bool, *, stored_intact: bool = True) -> str:
    held = [n for n in _ORDER if verdicts.get(n) is True]
    failed = [n for n in _ORDER if verdicts.get(n) is False]
    if not stored_intact:
        words, colour = ["stored bytes altered"], RED
    else:
        words = ["signed" if signed else "unsigned", *held, *(f"not {n}" for n in failed)]
        # (intact and complete must be known to hold: a record without them is not green)
        bad = not signed or any(verdicts.get(n) is not True for n in _REQUIRED)
        colour = RED if bad else AMBER if failed else GREEN
    right = " · ".join(words)
    left = "rebuildable"
    lw = int(len(left) * _CHAR) + 12
    rw = int(len(right) * _CHAR) + 12
    label = escape(f"{left}: {right}", {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + rw}" height="20" role="img" '
        f'aria-label="{label}"><title>{label}</title>'
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{rw}" height="20" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="6" y="14">{escape(left)}</text>'
        f'<text x="{lw + 6}" y="14">{escape(right)}</text></g></svg>'
    )
