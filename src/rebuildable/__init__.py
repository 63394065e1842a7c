"""rebuildable: provenance manifests and a validator that proves a release is rebuildable."""

from __future__ import annotations

__version__ = "0.1.0"

from rebuildable.engine import Options, validate
from rebuildable.findings import Finding, Location, Severity
from rebuildable.report import Report

__all__ = ["Finding", "Location", "Options", "Report", "Severity", "__version__", "validate"]
