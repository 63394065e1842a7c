"""Drafting a manifest from what a publisher already has: ``rebuildable import``.

:data:`IMPORTERS` maps each source kind to its function; each takes the source file,
the release folder and the release's name, version and licence, and returns an
:class:`~rebuildable.importers._base.Imported` (the data, its YAML text, notes). None
writes anything: the caller writes the text, never over a manifest without ``force``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rebuildable.importers._base import Imported, ImportSourceError

__all__ = ["IMPORTERS", "ImportSourceError", "Imported", "import_source"]

Importer = Callable[..., Imported]


def _dvc() -> Importer:
    from rebuildable.importers.dvc import import_dvc  # noqa: PLC0415

    return import_dvc


def _sha256sums() -> Importer:
    from rebuildable.importers.sha256sums import import_sha256sums  # noqa: PLC0415

    return import_sha256sums


def _model_card() -> Importer:
    from rebuildable.importers.model_card import import_model_card  # noqa: PLC0415

    return import_model_card


def _model_signing() -> Importer:
    from rebuildable.importers.model_signing import import_model_signing  # noqa: PLC0415

    return import_model_signing


#: source kind -> a loader of its importer
IMPORTERS: dict[str, Callable[[], Importer]] = {
    "dvc": _dvc,
    "sha256sums": _sha256sums,
    "model-card": _model_card,
    "model-signing": _model_signing,
}


def import_source(kind: str, source: Path, root: Path, *, name: str | None = None,
                  version: str | None = None, license: str | None = None) -> Imported:
    if kind not in IMPORTERS:
        raise ImportSourceError(f"unknown import source {kind!r}; choose one of "
                                f"{', '.join(IMPORTERS)}")
    if not root.is_dir():
        raise ImportSourceError(f"{root}: not a folder")
    importer = IMPORTERS[kind]()
    if kind == "model-card":
        return importer(source, root, name=name, version=version, license=license)
    release_name = name or (root.resolve().name or "release")
    return importer(source, root, name=release_name, version=version, license=license)
