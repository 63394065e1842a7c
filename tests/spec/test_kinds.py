"""The kinds vocabulary in spec/manifest.md and in the code are the same list."""

from __future__ import annotations

import re

from rebuildable.model import KIND_VOCABULARY
from tests.support import paths

SPEC = paths.SPEC / "manifest.md"


def test_spec_kinds_table_matches_the_code() -> None:
    text = SPEC.read_text(encoding="utf-8")
    section = text[text.index("### 6.2 Kinds"):text.index("## 7.")]
    kinds = re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.MULTILINE)
    assert kinds == list(KIND_VOCABULARY)
