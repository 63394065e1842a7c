"""spec/codes.md is generated from the codes registry and must not go stale."""

from __future__ import annotations

import re
import subprocess
import sys

from rebuildable.codes import CODES
from tests.support.paths import ROOT


def test_codes_table_is_fresh() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_codes.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr + " (run: python scripts/gen_codes.py)"


def test_every_code_has_an_anchor() -> None:
    text = (ROOT / "spec" / "codes.md").read_text("utf-8")
    anchors = re.findall(r'<a id="([^"]+)"></a>', text)
    assert sorted(anchors) == sorted(CODES)


def test_codes_are_dotted_lowercase_with_known_severity() -> None:
    for code, spec in CODES.items():
        assert re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+", code), code
        assert spec.severity in ("error", "warning", "info"), code
        assert spec.title, code
        assert not spec.title.endswith("."), code
