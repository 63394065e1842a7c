"""Real DSSE envelopes and sigstore bundles from other projects (../shared/corpus).

Our parser reads every one of them, and where the corpus README names the key (a
.pub file, or the certificate inside the bundle) our verifier agrees with it: they
verify, except the legacy model-signing v0.2.0 bundle whose signature was made over a
non-standard PAE and must not verify.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from rebuildable.signing.dsse import (
    IN_TOTO_PAYLOAD_TYPE,
    Envelope,
    parse_envelope,
    verify_envelope,
)
from rebuildable.signing.keys import PublicKey, load_public_key
from rebuildable.signing.statement import StatementError, parse_statement
from tests.support import corpus

ATTESTATIONS = "attestations"
CORPUS = corpus.CORPUS / ATTESTATIONS


@pytest.fixture(autouse=True)
def _corpus_here() -> None:
    corpus.corpus_dir(ATTESTATIONS)


def _cert_key(der: bytes) -> PublicKey:
    cert = x509.load_der_x509_certificate(der)
    pem = cert.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return load_public_key(pem, "certificate")


def _bundle(name: str) -> tuple[Envelope, dict[str, Any]]:
    data = json.loads((CORPUS / name).read_bytes())
    return Envelope.from_dict(data["dsseEnvelope"], name), data["verificationMaterial"]


def _bundle_key(material: dict[str, Any]) -> PublicKey:
    if "certificate" in material:
        return _cert_key(base64.b64decode(material["certificate"]["rawBytes"]))
    chain = material["x509CertificateChain"]["certificates"]
    return _cert_key(base64.b64decode(chain[0]["rawBytes"]))


@pytest.mark.parametrize(("name", "pub"), [
    ("in-toto_write-code.776a00e2.link", "in-toto_bob.pub"),
    ("in-toto_package.2f89b927.link", "in-toto_carl.pub"),
])
def test_in_toto_rsa_pss_link_envelopes_verify_with_the_given_key(name: str, pub: str) -> None:
    env = parse_envelope((CORPUS / name).read_bytes(), name)
    key = load_public_key((CORPUS / pub).read_bytes(), pub)
    assert key.type == "rsa-3072"
    result = verify_envelope(env, [key])
    assert result
    assert result.verified_keys == (key,)
    # The payload is an in-toto v0.9 link, not a Statement: refused as such, after verifying.
    with pytest.raises(StatementError) as info:
        parse_statement(env.payload)
    assert info.value.code == "sig.wrong-predicate-type"


def test_in_toto_link_does_not_verify_with_the_other_participants_key() -> None:
    env = parse_envelope((CORPUS / "in-toto_write-code.776a00e2.link").read_bytes())
    carl = load_public_key((CORPUS / "in-toto_carl.pub").read_bytes())
    assert not verify_envelope(env, [carl])


def test_model_signing_bundle_with_a_bare_p384_key_verifies() -> None:
    env, _ = _bundle("model-signing/v1.1.0-elliptic-key/model.sig")
    key = load_public_key((CORPUS / "model-signing/keys/signing-key-pub.pem").read_bytes())
    assert key.type == "ecdsa-p384"
    assert verify_envelope(env, [key])


@pytest.mark.parametrize("name", [
    "sigstore-python_a.dsse.staging-rekor-v2.txt.sigstore.json",
    "slsa-verifier_MODULE.bazel.intoto.jsonl",
    "slsa-verifier_gha_delegator_v2.1.0_workflow_dispatch.build.slsa",
    "model-signing/v1.1.0-sigstore/model.sig",
    "model-signing/v1.1.0-certificate/model.sig",
])
def test_sigstore_bundle_dsse_verifies_with_its_certificate_key(name: str) -> None:
    env, material = _bundle(name)
    assert env.payload_type == IN_TOTO_PAYLOAD_TYPE
    assert verify_envelope(env, [_bundle_key(material)])


def test_legacy_model_signing_v020_signature_over_a_nonstandard_pae_does_not_verify() -> None:
    env, material = _bundle("model-signing/v0.2.0-certificate/model.sig")
    assert not verify_envelope(env, [_bundle_key(material)])


def test_bare_envelope_with_empty_keyid_and_embedded_cert_verifies() -> None:
    raw = (CORPUS / "slsa-verifier_annotated-tag.intoto.jsonl").read_bytes()
    env = parse_envelope(raw, "annotated-tag.intoto.jsonl")
    assert env.signatures[0].keyid is None  # "" in the file: no hint at all
    cert_pem = json.loads(raw)["signatures"][0]["cert"].encode()
    cert = x509.load_pem_x509_certificate(cert_pem)
    key = _cert_key(cert.public_bytes(serialization.Encoding.DER))
    assert verify_envelope(env, [key])


def test_gcb_provenance_envelope_parses() -> None:
    data = json.loads((CORPUS / "slsa-verifier_gcb_v0.3_gcloud-container-github.json").read_bytes())
    raw = json.dumps(data["provenance_summary"]["provenance"][0]["envelope"]).encode()
    env = parse_envelope(raw)
    assert env.payload_type == IN_TOTO_PAYLOAD_TYPE
    assert env.signatures
    assert env.signatures[0].keyid


def test_someone_elses_valid_in_toto_statement_is_not_our_predicate() -> None:
    env, material = _bundle("sigstore-python_a.dsse.staging-rekor-v2.txt.sigstore.json")
    assert verify_envelope(env, [_bundle_key(material)])
    with pytest.raises(StatementError) as info:
        parse_statement(env.payload)
    assert info.value.code == "sig.wrong-predicate-type"
    assert "slsa.dev/provenance" in info.value.message


def test_corpus_certificate_file_is_refused_where_a_public_key_is_expected() -> None:
    from rebuildable.signing.keys import BadKeyError

    with pytest.raises(BadKeyError, match="certificate"):
        load_public_key((CORPUS / "model-signing/keys/signing-key-cert.pem").read_bytes(),
                        "signing-key-cert.pem")
