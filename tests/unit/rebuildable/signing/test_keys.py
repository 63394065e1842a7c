"""Keys: every supported type signs and verifies; everything else is refused by name."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa

from rebuildable.errors import UsageError
from rebuildable.signing.keyfiles import read_private_key, read_public_key, write_key_pair
from rebuildable.signing.keys import (
    GENERATE_TYPES,
    BadKeyError,
    fingerprint,
    generate,
    load_private_key,
    load_public_key,
)
from tests.support.signing import key

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl command not installed")


@pytest.mark.parametrize("kind", GENERATE_TYPES)
def test_generated_keys_sign_and_verify_and_round_trip_through_pem(kind: str) -> None:
    k = key("gen", kind)
    sig = k.sign(b"data")
    assert k.public.verify(sig, b"data")
    assert not k.public.verify(sig, b"data!")
    again = load_private_key(k.pem(), "k")
    pub = load_public_key(k.public.pem(), "k.pub")
    assert again.keyid == pub.keyid == k.keyid
    assert pub.verify(again.sign(b"x"), b"x")


def test_keyid_is_sha256_of_the_subject_public_key_info() -> None:
    k = key("alice")
    assert k.keyid == fingerprint(k.public.spki)
    assert len(k.keyid) == 64
    assert k.keyid == k.keyid.lower()


def test_ecdsa_p384_keys_from_other_tools_verify_with_sha384() -> None:
    priv = ec.generate_private_key(ec.SECP384R1())
    pub = load_public_key(priv.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert pub.type == "ecdsa-p384"
    assert pub.verify(priv.sign(b"m", ec.ECDSA(hashes.SHA384())), b"m")
    assert not pub.verify(priv.sign(b"m", ec.ECDSA(hashes.SHA256())), b"m")


def test_rsa_pkcs1v15_signatures_from_other_tools_verify() -> None:
    from cryptography.hazmat.primitives.asymmetric import padding

    k = key("carol", "rsa-3072")
    assert isinstance(k.key, rsa.RSAPrivateKey)
    sig = k.key.sign(b"m", padding.PKCS1v15(), hashes.SHA256())
    assert k.public.verify(sig, b"m")


def test_rsa_signs_pkcs1v15_and_still_verifies_pss_signatures_of_earlier_versions() -> None:
    """Key-only verifiers (sigstore-js, model-signing, securesystemslib's
    rsa-pkcs1v15-sha256) assume PKCS#1 v1.5; envelopes signed with PSS before keep
    verifying."""
    from cryptography.hazmat.primitives.asymmetric import padding

    k = key("carol", "rsa-3072")
    assert isinstance(k.key, rsa.RSAPrivateKey)
    ours = k.sign(b"m")
    k.key.public_key().verify(ours, b"m", padding.PKCS1v15(), hashes.SHA256())  # raises if not
    old = k.key.sign(b"m", padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                       salt_length=padding.PSS.DIGEST_LENGTH), hashes.SHA256())
    assert k.public.verify(old, b"m")
    assert not k.public.verify(old, b"n")


def _pem_public(obj: object) -> bytes:
    return obj.public_bytes(serialization.Encoding.PEM,  # type: ignore[attr-defined,no-any-return]
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def test_rsa_1024_public_key_is_refused_as_too_short() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(BadKeyError, match="1024 bits is too short"):
        load_public_key(_pem_public(weak.public_key()), "weak.pub")
    pem = weak.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    with pytest.raises(BadKeyError, match="too short"):
        load_private_key(pem, "weak")


def test_pem_holding_a_certificate_where_a_public_key_is_expected_is_refused() -> None:
    import datetime

    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(k.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(k, hashes.SHA256()))
    with pytest.raises(BadKeyError, match="certificate"):
        load_public_key(cert.public_bytes(serialization.Encoding.PEM), "cert.pem")


def test_pem_holding_a_private_key_where_a_public_key_is_expected_is_refused() -> None:
    with pytest.raises(BadKeyError, match="PRIVATE key"):
        load_public_key(key("alice").pem(), "alice")


def test_traditional_ec_private_key_pem_is_refused_as_a_public_key() -> None:
    k = ec.generate_private_key(ec.SECP256R1())
    pem = k.private_bytes(serialization.Encoding.PEM,
                          serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
    assert b"EC PRIVATE KEY" in pem
    with pytest.raises(BadKeyError, match="PRIVATE key"):
        load_public_key(pem, "k")
    assert load_private_key(pem, "k").type == "ecdsa-p256"  # but fine where a private key goes


def test_public_key_given_where_a_private_key_is_needed_is_refused() -> None:
    with pytest.raises(BadKeyError, match="public key"):
        load_private_key(key("alice").public.pem(), "alice.pub")


@pytest.mark.parametrize(("make", "match"), [
    (lambda: dsa.generate_private_key(1024).public_key(), "not supported"),
    (lambda: ed448.Ed448PrivateKey.generate().public_key(), "not supported"),
    (lambda: ec.generate_private_key(ec.SECP256K1()).public_key(), "secp256k1"),
])
def test_wrong_key_types_are_refused(make: object, match: str) -> None:
    with pytest.raises(BadKeyError, match=match):
        load_public_key(_pem_public(make()), "odd.pub")  # type: ignore[operator]


@pytest.mark.parametrize(("pem", "match"), [
    (b"", "not a PEM"),
    (b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB", "not a PEM"),
    (b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", "cannot read"),
    (b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n", "PGP"),
])
def test_files_that_are_not_pem_public_keys_are_refused(pem: bytes, match: str) -> None:
    with pytest.raises(BadKeyError, match=match):
        load_public_key(pem, "x.pub")


def test_two_keys_in_one_pem_file_are_refused() -> None:
    pem = key("alice").public.pem() + key("bob").public.pem()
    with pytest.raises(BadKeyError, match="2 PEM blocks"):
        load_public_key(pem, "two.pub")


def test_encrypted_private_key_without_a_password_is_refused_and_with_it_loads() -> None:
    k = ec.generate_private_key(ec.SECP256R1())
    pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.BestAvailableEncryption(b"secret"))
    with pytest.raises(BadKeyError, match="encrypted"):
        load_private_key(pem, "enc")
    assert load_private_key(pem, "enc", b"secret").type == "ecdsa-p256"


# ------------------------------------------------------------------------------ key files


def test_key_pair_files_private_0600_public_beside_it(tmp_path: Path) -> None:
    k = generate()
    paths = write_key_pair(tmp_path / "release.key", k)
    assert paths.public == tmp_path / "release.key.pub"
    assert stat.S_IMODE(os.stat(paths.private).st_mode) == 0o600
    assert read_private_key(paths.private).keyid == read_public_key(paths.public).keyid == k.keyid


def test_key_pair_is_never_overwritten_without_force(tmp_path: Path) -> None:
    first = write_key_pair(tmp_path / "k", generate())
    before = first.private.read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        write_key_pair(tmp_path / "k", generate())
    assert first.private.read_bytes() == before
    second = write_key_pair(tmp_path / "k", generate(), force=True)
    assert second.private.read_bytes() != before
    assert stat.S_IMODE(os.stat(second.private).st_mode) == 0o600


def test_existing_public_key_file_alone_blocks_keygen(tmp_path: Path) -> None:
    (tmp_path / "k.pub").write_text("someone else's key")
    with pytest.raises(UsageError, match=r"k\.pub already exists"):
        write_key_pair(tmp_path / "k", generate())
    assert not (tmp_path / "k").exists()


def test_keygen_does_not_write_through_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (tmp_path / "k").symlink_to(victim)
    with pytest.raises(UsageError):
        write_key_pair(tmp_path / "k", generate())
    assert victim.read_text() == "keep me"


# -------------------------------------------------------------------- keys made by openssl


@needs_openssl
@pytest.mark.parametrize(("args", "kind"), [
    (["-algorithm", "ED25519"], "ed25519"),
    (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "ecdsa-p256"),
    (["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "rsa-2048"),
])
def test_keys_made_by_openssl_genpkey_load_sign_and_verify(tmp_path: Path, args: list[str],
                                                           kind: str) -> None:
    assert OPENSSL is not None
    priv, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    subprocess.run([OPENSSL, "genpkey", *args, "-out", str(priv)], check=True,
                   capture_output=True)
    subprocess.run([OPENSSL, "pkey", "-in", str(priv), "-pubout", "-out", str(pub)], check=True,
                   capture_output=True)
    k, p = read_private_key(priv), read_public_key(pub)
    assert k.type == p.type == kind
    assert p.verify(k.sign(b"payload"), b"payload")


@needs_openssl
def test_signature_made_by_the_openssl_command_verifies(tmp_path: Path) -> None:
    assert OPENSSL is not None
    k = key("alice-ec", "ecdsa-p256")
    (tmp_path / "k.pem").write_bytes(k.pem())
    (tmp_path / "data").write_bytes(b"DSSEv1 4 type 4 body")
    subprocess.run([OPENSSL, "dgst", "-sha256", "-sign", str(tmp_path / "k.pem"), "-out",
                    str(tmp_path / "sig"), str(tmp_path / "data")], check=True,
                   capture_output=True)
    assert k.public.verify((tmp_path / "sig").read_bytes(), b"DSSEv1 4 type 4 body")
