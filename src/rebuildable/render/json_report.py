"""The JSON report: ``report.to_dict()`` as printed by ``--format json``.

Its shape is fixed by ``schemas/report.schema.json`` (``rebuildable-report/0.1``).
"""

from __future__ import annotations

from rebuildable.jsonsafe import dumps
from rebuildable.render._places import ArchivePlace
from rebuildable.report import Report


def render_json(report: Report, *, color: bool = False, base: str | None = None,
                archive: ArchivePlace | None = None) -> str:
    """The report as indented JSON (UTF-8 text, one trailing newline).

    Non-finite numbers in findings' ``data`` (a PSNR of infinity, say) are written as
    the strings ``"Infinity"``/``"NaN"``, so that the output is always strict JSON."""
    return dumps(report.to_dict())
