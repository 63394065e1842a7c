"""Folders of the repository that tests read (never write)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLES", "EXAMPLE_NAMES", "ROOT", "SPEC", "VECTORS"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: every example release (a folder of examples/ with a manifest), by folder name
EXAMPLE_NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/rebuild.yaml"))
SPEC = ROOT / "spec"
VECTORS = SPEC / "conformance" / "vectors"
