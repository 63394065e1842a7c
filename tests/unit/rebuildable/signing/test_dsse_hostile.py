"""Hostile envelopes: each test names the attack it stands for (design/threats.md)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from rebuildable.signing.dsse import (
    IN_TOTO_PAYLOAD_TYPE,
    Envelope,
    Signature,
    ThresholdError,
    verify_envelope,
)
from rebuildable.signing.statement import payload_bytes
from tests.support import PROBLEMS, codes, read_manifest
from tests.support.signing import (
    key,
    read_envelope,
    release,
    signed_envelope,
    signed_release,
    verify_with,
    write_envelope,
)

PAYLOAD = b'{"hello": "world"}'


def test_keyid_that_names_another_key_is_ignored_and_the_signature_still_verifies() -> None:
    alice, bob = key("alice"), key("bob")
    env = Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD).add_signature(alice)
    lying = Envelope(env.payload_type, env.payload, (Signature(env.signatures[0].sig, bob.keyid),))
    result = verify_envelope(lying, [alice.public])
    assert result
    assert result.verified_keys == (alice.public,)


def test_keyid_that_names_the_trusted_key_does_not_make_a_foreign_signature_count() -> None:
    alice, mallory = key("alice"), key("mallory")
    env = Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD).add_signature(mallory)
    forged = Signature(env.signatures[0].sig, alice.keyid)
    lying = Envelope(env.payload_type, env.payload, (forged,))
    result = verify_envelope(lying, [alice.public])
    assert not result
    assert result.missing == 1
    assert result.signers[0].verified_by is None


def test_same_signature_listed_twice_counts_once_toward_the_threshold() -> None:
    alice, bob = key("alice"), key("bob")
    env = Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD).add_signature(alice)
    doubled = Envelope(env.payload_type, env.payload, env.signatures * 2)
    result = verify_envelope(doubled, [alice.public, bob.public], threshold=2)
    assert not result
    assert len(result.verified_keys) == 1
    assert result.missing == 1


def test_one_key_signing_twice_does_not_meet_a_threshold_of_two() -> None:
    alice, bob = key("alice-ec", "ecdsa-p256"), key("bob")
    env = Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD).add_signature(alice).add_signature(alice)
    assert env.signatures[0].sig != env.signatures[1].sig  # ECDSA: two distinct signatures
    result = verify_envelope(env, [alice.public, bob.public], threshold=2)
    assert not result
    assert result.missing == 1


def test_same_public_key_listed_twice_is_one_key_so_threshold_two_is_impossible() -> None:
    alice = key("alice")
    with pytest.raises(ThresholdError, match="distinct"):
        verify_envelope(Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD), [alice.public, alice.public], 2)


def test_same_key_in_two_pem_spellings_is_still_one_key() -> None:
    from cryptography.hazmat.primitives import serialization

    from rebuildable.signing.keys import load_public_key

    rsa = key("carol", "rsa-3072")
    spki = rsa.public.pem()
    pkcs1 = rsa.public.key.public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.PKCS1)
    assert spki != pkcs1
    a, b = load_public_key(spki, "a.pub"), load_public_key(pkcs1, "b.pub")
    assert a == b
    with pytest.raises(ThresholdError):
        verify_envelope(Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD), [a, b], 2)


@pytest.mark.parametrize("threshold", [0, -1, 3])
def test_threshold_zero_negative_or_above_the_keys_is_an_error_not_a_pass(threshold: int) -> None:
    with pytest.raises(ThresholdError):
        verify_envelope(Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD),
                        [key("alice").public, key("bob").public], threshold)


def test_envelope_with_no_signatures_never_verifies() -> None:
    result = verify_envelope(Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD), [key("alice").public])
    assert not result
    assert result.missing == 1


def test_signature_made_over_another_payload_type_does_not_verify() -> None:
    alice = key("alice")
    env = Envelope("application/json", PAYLOAD).add_signature(alice)
    swapped = Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD, env.signatures)
    assert not verify_envelope(swapped, [alice.public])


def test_signature_over_the_raw_payload_instead_of_pae_does_not_verify() -> None:
    alice = key("alice")
    env = Envelope(IN_TOTO_PAYLOAD_TYPE, PAYLOAD, (Signature(alice.sign(PAYLOAD)),))
    assert not verify_envelope(env, [alice.public])


# ---------------------------------------------------------------- against a release on disk


def test_tampered_payload_byte_breaks_the_signature(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    env = read_envelope(root)
    raw = bytearray(base64.b64decode(env["payload"]))
    raw[raw.index(b"1.0.0")] = ord("2")
    env["payload"] = base64.b64encode(bytes(raw)).decode()
    write_envelope(root, env)
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.invalid"]


def test_tampered_signature_byte_breaks_the_signature(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r")
    env = read_envelope(root)
    sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
    sig[5] ^= 0x01
    env["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    write_envelope(root, env)
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.invalid"]


def test_garbage_payload_with_an_invalid_signature_is_never_parsed(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    env = signed_envelope(b"{{{{ not json", key("mallory"))
    write_envelope(root, env)
    report = verify_with(root, key("alice"))
    # no sig.malformed-payload: the bytes are never parsed
    assert codes(report, *PROBLEMS) == ["sig.invalid"]


def test_duplicate_keys_inside_the_verified_payload_are_refused(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    data = read_manifest(root)
    good = payload_bytes(data).decode()
    # Two "predicate" members: Python's json keeps the last, Go's the first.
    hostile = good[:-1] + ',"predicate":{"name":"evil"}}'
    write_envelope(root, signed_envelope(hostile.encode(), key("alice")))
    report = verify_with(root, key("alice"))
    assert codes(report, *PROBLEMS) == ["sig.malformed-payload"]
    assert "duplicate" in next(f.message for f in report.findings
                               if f.code == "sig.malformed-payload")


def test_valid_signature_over_a_different_payload_type_is_refused(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    payload = payload_bytes(read_manifest(root))
    write_envelope(root, signed_envelope(payload, key("alice"), payload_type="application/json"))
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.wrong-payload-type"]


def test_valid_signature_over_another_statement_type_is_refused(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    stmt: dict[str, Any] = {"_type": "https://in-toto.io/Statement/v1", "subject": [],
                               "predicateType": "https://slsa.dev/provenance/v1",
                               "predicate": {}}
    write_envelope(root, signed_envelope(rfc8785.dumps(stmt), key("alice")))
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.wrong-predicate-type"]


def test_valid_signature_over_a_different_release_manifest_is_refused(tmp_path: Path) -> None:
    other = signed_release(tmp_path / "other", name="other-release")
    root = release(tmp_path / "r")
    (root / "rebuild.dsse.json").write_bytes((other / "rebuild.dsse.json").read_bytes())
    report = verify_with(root, key("alice"))
    assert codes(report, *PROBLEMS) == ["sig.payload-mismatch"]
    assert any("another release" in f.message for f in report.findings)


def test_rollback_to_a_valid_signature_over_an_older_version_is_refused(tmp_path: Path) -> None:
    old = signed_release(tmp_path / "old", version="1.0.0")
    root = release(tmp_path / "r", version="1.1.0")
    (root / "rebuild.dsse.json").write_bytes((old / "rebuild.dsse.json").read_bytes())
    report = verify_with(root, key("alice"))
    assert codes(report, *PROBLEMS) == ["sig.payload-mismatch"]
    f = next(f for f in report.findings if f.code == "sig.payload-mismatch")
    assert "rollback" in f.message
    assert f.location is not None
    assert f.location.pointer == "/version"
    assert f.location.line
    assert f.data["signed_version"] == "1.0.0"


def test_empty_signature_list_is_refused(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    write_envelope(root, signed_envelope(payload_bytes(read_manifest(root))))
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.no-signatures"]


@pytest.mark.parametrize("raw", [b"", b"garbage", b'{"payloadType":', b"\x00\x01\x02",
                                 b'{"payloadType": "a", "payloadType": "b"}'])
def test_garbage_envelope_json_is_a_finding_not_a_traceback(tmp_path: Path, raw: bytes) -> None:
    root = release(tmp_path / "r")
    write_envelope(root, raw)
    report = verify_with(root, key("alice"))
    assert codes(report, *PROBLEMS) == ["sig.malformed-envelope"]
    assert not report.fatal


def test_envelope_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    good = signed_release(tmp_path / "good")
    root = release(tmp_path / "r")
    (root / "rebuild.dsse.json").symlink_to(good / "rebuild.dsse.json")
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.malformed-envelope"]


def test_missing_envelope_with_keys_given_is_an_error(tmp_path: Path) -> None:
    root = release(tmp_path / "r")
    assert codes(verify_with(root, key("alice")), *PROBLEMS) == ["sig.missing-envelope"]


def test_signature_by_an_untrusted_key_alone_is_invalid(tmp_path: Path) -> None:
    root = signed_release(tmp_path / "r", key("mallory"))
    report = verify_with(root, key("alice"))
    assert codes(report, *PROBLEMS) == ["sig.invalid"]
    assert "sig.unverified-signature" in codes(report)
