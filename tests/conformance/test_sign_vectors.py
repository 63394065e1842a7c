"""The sig-* conformance vectors are what make_sig_vectors.py says they are."""

from __future__ import annotations

import subprocess
import sys

from tests.support.paths import ROOT

SCRIPT = ROOT / "spec" / "conformance" / "make_sig_vectors.py"


def test_signature_vectors_are_not_stale() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, (
        f"{result.stderr}\nrun: python spec/conformance/make_sig_vectors.py")


def test_test_only_keys_are_labelled_and_never_used_by_examples() -> None:
    keys = sorted((ROOT / "spec" / "conformance" / "keys").glob("*.pem"))
    assert keys
    assert all(k.name.startswith("TEST-ONLY-") for k in keys)
    examples = ROOT / "examples"
    if examples.is_dir():
        blobs = {k.read_bytes() for k in keys}
        for path in examples.rglob("*"):
            if path.is_file() and path.stat().st_size < 65536:
                assert path.read_bytes() not in blobs, f"{path} reuses a TEST-ONLY key"
