"""Folders of the repository that tests read (never write), and the one folder they
write what a person or CI should keep after the run (:data:`ARTIFACTS`)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ARTIFACTS", "EXAMPLES", "EXAMPLE_NAMES", "ROOT", "SPEC", "VECTORS"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: every example release (a folder of examples/ with a manifest), by folder name
EXAMPLE_NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/rebuild.yaml"))
SPEC = ROOT / "spec"
VECTORS = SPEC / "conformance" / "vectors"
#: test artifacts kept after the run (screenshots): ``build/test-artifacts/`` of the
#: checkout (ignored by git), or the folder ``REBUILDABLE_TEST_ARTIFACTS`` names
ARTIFACTS = Path(os.environ.get("REBUILDABLE_TEST_ARTIFACTS") or ROOT / "build" / "test-artifacts")
