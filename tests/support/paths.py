"""Folders of the repository that tests read (never write)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLES", "ROOT", "SPEC", "VECTORS"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SPEC = ROOT / "spec"
VECTORS = SPEC / "conformance" / "vectors"
