"""The badge: a small SVG naming the verdicts a release earned."""

from __future__ import annotations

from xml.sax.saxutils import escape

__all__ = ["badge_svg"]

_ORDER = ("intact", "complete", "open-source")
_CHAR = 6.5  # rough width of one character of 11px Verdana


def badge_svg(verdicts: dict[str, object], signed: bool) -> str:
    names = [n for n in _ORDER if verdicts.get(n) is True]
    good = signed and all(verdicts.get(n) is not False for n in ("intact", "complete"))
    right = " · ".join(["signed" if signed else "unsigned", *names]) or "no verdicts"
    left = "rebuildable"
    lw = int(len(left) * _CHAR) + 12
    rw = int(len(right) * _CHAR) + 12
    colour = "#2e7d32" if good else "#c62828"
    label = escape(f"{left}: {right}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + rw}" height="20" role="img" '
        f'aria-label="{label}"><title>{label}</title>'
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{rw}" height="20" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="6" y="14">{escape(left)}</text>'
        f'<text x="{lw + 6}" y="14">{escape(right)}</text></g></svg>'
    )
