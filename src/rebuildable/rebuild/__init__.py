"""``rebuild``: run a release's steps from its declared inputs alone and compare what
comes out with the published outputs (``spec/rebuild.md``).

The release is only ever read. Each step runs in a fresh private work folder outside
the release that holds its declared inputs and nothing else; outputs of earlier steps
are passed on as rebuilt, never as shipped. The result is a
:class:`~rebuildable.report.Report` of the same shape as ``validate``'s, with a
``rebuild`` section (schema: ``report.schema.json#/$defs/rebuild``).

:func:`rebuildable.api.rebuild` is the entry point: it opens the release, has the engine
validate it and hands the :class:`~rebuildable.engine.Validation` to
:func:`rebuild_release`, so nothing here imports the engine or reads the manifest twice.
"""

from __future__ import annotations

from rebuildable.defaults import DEFAULT_TIMEOUT
from rebuildable.errors import UsageError
from rebuildable.rebuild.options import RebuildOptions
from rebuildable.rebuild.orchestrate import REFUSING_AREAS, rebuild_release, static_options

__all__ = ["DEFAULT_TIMEOUT", "REFUSING_AREAS", "RebuildOptions", "check_options",
           "rebuild_release", "static_options"]


def check_options(options: RebuildOptions) -> None:
    """Raise :class:`~rebuildable.errors.UsageError` for options no rebuild can use."""
    if options.timeout <= 0:
        raise UsageError("`timeout` must be positive", field="timeout")
