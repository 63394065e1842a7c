"""The numeric policy on files that are not what they claim: a difference, never a crash."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from rebuildable.rebuild.equivalence import EquivalencePolicy, compare


def _npz_with_text_member(path: Path) -> Path:
    """Hostile asset: an .npz (a zip) holding a real array and a member that is not a
    .npy file; numpy returns that member as bytes, which has no dtype."""
    buf = io.BytesIO()
    np.save(buf, np.arange(3.0), allow_pickle=False)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", buf.getvalue())
        zf.writestr("notes.txt", b"not an array")
    return path


def test_npz_with_a_non_array_member_is_a_difference(tmp_path: Path) -> None:
    hostile = _npz_with_text_member(tmp_path / "rebuilt.npz")
    honest = tmp_path / "published.npz"
    np.savez(honest, w=np.arange(3.0))
    for a, b, who in ((hostile, honest, "rebuilt"), (honest, hostile, "published")):
        result = compare(a, b, EquivalencePolicy("numeric", {"rtol": 1e-5}))
        assert not result.equal
        assert f"the {who} file is not a readable tensor file" in result.summary
        assert "notes.txt" in result.summary
