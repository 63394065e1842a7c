"""Renderers: pure functions from a :class:`~rebuildable.report.Report` to text.

Each output format is one module with one function; :data:`RENDERERS` maps the
format name to it and also supplies the CLI's ``--format`` choices. Renderers never
print: the CLI writes what they return.
"""

from __future__ import annotations

from typing import Protocol

from rebuildable.render._places import ArchivePlace
from rebuildable.render.text import render_text
from rebuildable.report import Report

__all__ = ["FORMATS", "RENDERERS", "Renderer", "render"]


class Renderer(Protocol):
    def __call__(self, report: Report, *, color: bool = False, base: str | None = None,
                 archive: ArchivePlace | None = None) -> str:
        """Render ``report``.

        ``color`` asks for ANSI styling where the format has any. ``base`` is the
        release folder's path relative to the working directory (POSIX, ending in
        ``/``; absolute when the release is not below it), ``archive`` the path of the
        archive the release was read from, for formats that locate results in a
        repository (text, SARIF).
        """


def _render_json(report: Report, *, color: bool = False, base: str | None = None,
                 archive: ArchivePlace | None = None) -> str:
    # the JSON and SARIF modules load the manifest layer: imported only when asked for
    from rebuildable.render.json_report import render_json  # noqa: PLC0415

    return render_json(report, color=color, base=base)


def _render_sarif(report: Report, *, color: bool = False, base: str | None = None,
                  archive: ArchivePlace | None = None) -> str:
    from rebuildable.render.sarif import render_sarif  # noqa: PLC0415

    return render_sarif(report, color=color, base=base, archive=archive)


RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": _render_json,
    "sarif": _render_sarif,
}

#: the ``--format`` choices, in the order the help text shows them
FORMATS: tuple[str, ...] = tuple(RENDERERS)

#: formats meant for machines: nothing but the rendered report may reach stdout
MACHINE_FORMATS: frozenset[str] = frozenset({"json", "sarif"})


def render(report: Report, fmt: str, *, color: bool = False, base: str | None = None,
           archive: ArchivePlace | None = None) -> str:
    """Render ``report`` in format ``fmt`` (one of :data:`FORMATS`)."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}") from None
    return renderer(report, color=color, base=base, archive=archive)
