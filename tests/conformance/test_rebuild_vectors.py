"""The rebuild conformance vectors are exactly what their generator writes."""

from __future__ import annotations

import subprocess
import sys

from tests.support.paths import ROOT

SCRIPT = ROOT / "spec" / "conformance" / "build_rebuild_vectors.py"


def test_rebuild_vectors_are_fresh() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                          text=True, check=False, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, (
        f"stale rebuild vectors; run python {SCRIPT.relative_to(ROOT)}\n{proc.stderr}")


def test_every_rebuild_label_has_a_rebuild_vector() -> None:
    import json
    import re

    labels = set(re.findall(r"\*\*\[(REB-[0-9]+)\]\*\*",
                            (ROOT / "spec" / "rebuild.md").read_text("utf-8")))
    covered: set[str] = set()
    for folder in (ROOT / "spec" / "conformance" / "vectors").glob("rebuild-*"):
        vector = json.loads((folder / "vector.json").read_text("utf-8"))
        assert vector["command"] == "rebuild", folder.name
        covered.update(vector["covers"])
    assert labels == {f"REB-{n}" for n in range(1, 25)}
    assert labels <= covered
