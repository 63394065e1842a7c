"""How renderers name the file a finding points at."""

from __future__ import annotations

from rebuildable.findings import Location


def shown_path(loc: Location, manifest: str | None, base: str | None) -> str:
    """``loc.file`` as seen from the working folder.

    ``base`` is the release folder's path from the working folder (``releases/model/``,
    ``""`` for the working folder itself, None when unknown: an archive, a stream).
    Every place inside the release (the manifest, the envelope, a listed or unlisted
    file) gets it; a path the user gave (``loc.from_cwd``), and every place of a report
    whose release could not be read at all (no manifest), is shown as given.
    """
    if not base or manifest is None or loc.from_cwd:
        return loc.file
    return base + loc.file
