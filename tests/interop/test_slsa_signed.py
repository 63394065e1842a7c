"""`export --to slsa --key KEYFILE`: signed SLSA provenance, a DSSE envelope that an
independent DSSE implementation (securesystemslib) verifies, over the same Statement
that the unsigned export gives."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rebuildable import api
from rebuildable.cli import cli

sslib_dsse = pytest.importorskip("securesystemslib.dsse")
sslib_signer = pytest.importorskip("securesystemslib.signer")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "software-hello"


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256"])
def test_signed_slsa_verifies_with_securesystemslib(tmp_path: Path, kind: str) -> None:
    key = api.generate_key(kind)
    paths = api.write_key_pair(tmp_path / "k", key)
    out = tmp_path / "provenance.dsse.json"
    result = CliRunner().invoke(cli, ["export", str(EXAMPLE), "--to", "slsa", "--key",
                                      str(paths.private), "-o", str(out)])
    assert result.exit_code == 0, result.output
    envelope = sslib_dsse.Envelope.from_dict(json.loads(out.read_text()))
    assert envelope.payload_type == "application/vnd.in-toto+json"
    sslib_key = sslib_signer.SSlibKey.from_crypto(key.public.key, keyid=key.keyid)
    assert list(envelope.verify([sslib_key], 1)) == [key.keyid]
    statement = json.loads(base64.b64decode(json.loads(out.read_text())["payload"]))
    unsigned = api.export(EXAMPLE, "slsa").document
    assert statement == unsigned
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"


def test_key_misuse_is_a_usage_error(tmp_path: Path) -> None:
    key = api.generate_key()
    paths = api.write_key_pair(tmp_path / "k", key)
    as_bom = CliRunner().invoke(cli, ["export", str(EXAMPLE), "--to", "cyclonedx", "--key",
                                      str(paths.private)])
    assert as_bom.exit_code == 2
    public_for_signing = CliRunner().invoke(cli, ["export", str(EXAMPLE), "--to", "slsa",
                                                  "--key", str(paths.public)])
    assert public_for_signing.exit_code == 2
