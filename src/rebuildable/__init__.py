"""rebuildable: provenance manifests and a validator that proves a release is rebuildable.

The package root is light: ``import rebuildable`` loads only the version. The names below
are resolved from :mod:`rebuildable.api` and its modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rebuildable._version import __version__

if TYPE_CHECKING:
    from rebuildable.api import Options, validate
    from rebuildable.findings import Finding, Location, Severity
    from rebuildable.report import Report

__all__ = ["Finding", "Location", "Options", "Report", "Severity", "__version__", "validate"]

_HOMES = {
    "Options": "rebuildable.api",
    "validate": "rebuildable.api",
    "Finding": "rebuildable.findings",
    "Location": "rebuildable.findings",
    "Severity": "rebuildable.findings",
    "Report": "rebuildable.report",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rebuildable' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
