"""Interop with independent code: securesystemslib reads and verifies our envelopes, and
we verify envelopes that securesystemslib signed (keyids set as it expects)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebuildable.signing.dsse import IN_TOTO_PAYLOAD_TYPE, parse_envelope, verify_envelope
from rebuildable.signing.keys import PrivateKey, load_public_key
from rebuildable.signing.statement import parse_statement
from tests.support.signing import key, signed_release, verify_with

sslib_dsse = pytest.importorskip("securesystemslib.dsse")
sslib_signer = pytest.importorskip("securesystemslib.signer")

KINDS = ["ed25519", "ecdsa-p256", "rsa-3072"]


def _sslib_key(k: PrivateKey) -> object:
    # securesystemslib matches signatures to keys by keyid: give it ours. RSA keys sign
    # with PKCS#1 v1.5 (what sigstore-js and model-signing assume); securesystemslib's
    # default RSA scheme is PSS, so name the scheme (as README's recipe does).
    scheme = "rsa-pkcs1v15-sha256" if k.type.startswith("rsa") else None
    return sslib_signer.SSlibKey.from_crypto(k.public.key, keyid=k.keyid, scheme=scheme)


@pytest.mark.parametrize("kind", KINDS)
def test_securesystemslib_verifies_our_release_envelope(tmp_path: Path, kind: str) -> None:
    k = key("interop", kind)
    root = signed_release(tmp_path / "r", k)
    data = json.loads((root / "rebuild.dsse.json").read_text())
    envelope = sslib_dsse.Envelope.from_dict(data)
    assert envelope.payload_type == IN_TOTO_PAYLOAD_TYPE
    accepted = envelope.verify([_sslib_key(k)], 1)
    assert list(accepted) == [k.keyid]
    assert envelope.pae() == parse_envelope((root / "rebuild.dsse.json").read_bytes()).pae()


def test_securesystemslib_verifies_a_two_signer_envelope_with_threshold_two(
        tmp_path: Path) -> None:
    a, b = key("interop", "ed25519"), key("interop", "ecdsa-p256")
    root = signed_release(tmp_path / "r", a, b)
    envelope = sslib_dsse.Envelope.from_dict(json.loads((root / "rebuild.dsse.json").read_text()))
    assert set(envelope.verify([_sslib_key(a), _sslib_key(b)], 2)) == {a.keyid, b.keyid}


def test_securesystemslib_rejects_our_envelope_with_the_wrong_key(tmp_path: Path) -> None:
    from securesystemslib.exceptions import VerificationError

    root = signed_release(tmp_path / "r", key("interop", "ed25519"))
    envelope = sslib_dsse.Envelope.from_dict(json.loads((root / "rebuild.dsse.json").read_text()))
    wrong = key("other")
    impostor = sslib_signer.SSlibKey.from_crypto(wrong.public.key,
                                                 keyid=key("interop", "ed25519").keyid)
    with pytest.raises(VerificationError):
        envelope.verify([impostor], 1)


@pytest.mark.parametrize("kind", KINDS)
def test_we_verify_envelopes_signed_by_securesystemslib(kind: str) -> None:
    from cryptography.hazmat.primitives import serialization

    if kind == "ed25519":
        signer = sslib_signer.CryptoSigner.generate_ed25519()
    elif kind == "ecdsa-p256":
        signer = sslib_signer.CryptoSigner.generate_ecdsa()
    else:
        signer = sslib_signer.CryptoSigner.generate_rsa(size=2048)
    payload = b'{"_type":"https://in-toto.io/Statement/v1","predicate":{},' \
              b'"predicateType":"https://rebuildable.dev/provenance-manifest/v0.1","subject":[]}'
    envelope = sslib_dsse.Envelope(payload, IN_TOTO_PAYLOAD_TYPE, {})
    envelope.sign(signer)
    raw = json.dumps(envelope.to_dict()).encode()
    ours = parse_envelope(raw)
    private = serialization.load_pem_private_key(signer.private_bytes, None)
    pub = load_public_key(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    result = verify_envelope(ours, [pub])
    assert result
    assert parse_statement(ours.payload).predicate == {}


def test_securesystemslib_pae_equals_ours_for_non_ascii_payload_types() -> None:
    from rebuildable.signing.dsse import pae

    envelope = sslib_dsse.Envelope(b"body \xc3\xa9", "tÿpé/🙂", {})
    assert envelope.pae() == pae("tÿpé/🙂", b"body \xc3\xa9")


def test_tampered_release_still_fails_here_after_sslib_accepts_the_envelope(
        tmp_path: Path) -> None:
    # The envelope alone is valid DSSE; binding it to the release is our job.
    k = key("interop", "ed25519")
    root = signed_release(tmp_path / "r", k)
    (root / "config.yaml").write_bytes(b"lr: 0.2\n")
    envelope = sslib_dsse.Envelope.from_dict(json.loads((root / "rebuild.dsse.json").read_text()))
    assert envelope.verify([_sslib_key(k)], 1)
    assert not verify_with(root, k).ok
