"""``rebuild``: run a release's steps from its declared inputs alone and compare what
comes out with the published outputs (``spec/rebuild.md``).

The release is only ever read. Each step runs in a fresh private work folder outside
the release that holds its declared inputs and nothing else; outputs of earlier steps
are passed on as rebuilt, never as shipped. The result is a
:class:`~rebuildable.report.Report` of the same shape as ``validate``'s, with a
``rebuild`` section (schema: ``report.schema.json#/$defs/rebuild``).
"""


from __future__ import annotations

import os

from rebuildable.defaults import DEFAULT_TIMEOUT
from rebuildable.engine import fatal_report
from rebuildable.errors import ReleaseError, UsageError
from rebuildable.rebuild.options import RebuildOptions
from rebuildable.rebuild.orchestrate import REFUSING_AREAS, rebuild_release
from rebuildable.release import Release, open_release
from rebuildable.report import Report

__all__ = ["DEFAULT_TIMEOUT", "REFUSING_AREAS", "RebuildOptions", "rebuild", "rebuild_release"]


def rebuild(target: str | os.PathLike[str] | Release,
            options: RebuildOptions | None = None) -> Report:
    """Rebuild the release at ``target`` (folder, manifest path or archive).

    Never raises for a bad release; raises :class:`~rebuildable.errors.UsageError` for
    impossible options (an unknown ``--step``, an isolation method that does not work).
    """
    options = options or RebuildOptions()
    if options.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if isinstance(target, Release):
        return rebuild_release(target, options)
    try:
        release = open_release(target)
    except ReleaseError as exc:
        return fatal_report(exc, options.strict)
    with release:
        return rebuild_release(release, options)

