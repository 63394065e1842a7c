"""Keys: PEM loading, generation, fingerprints, and raw signing and verification.

Supported key types (for signing and verifying):

* Ed25519 (the default for new keys);
* ECDSA on P-256, P-384 or P-521, signatures DER-encoded over SHA-256, SHA-384 or
  SHA-512 respectively (the hash follows the curve, as in sigstore and securesystemslib);
* RSA of at least 2048 bits: RSASSA-PKCS1-v1_5 with SHA-256 when signing (what key-only
  verifiers such as sigstore-js and model-signing assume); PKCS#1 v1.5 or PSS (any salt
  length), both over SHA-256, when verifying, so that envelopes signed before keep
  verifying.

A key's fingerprint (used as the DSSE ``keyid`` when writing) is the lower-case hex
SHA-256 of its DER SubjectPublicKeyInfo. The hint a Sigstore bundle carries
(:meth:`PublicKey.bundle_hint`) is another value: the hex SHA-256 of the key's PEM
SubjectPublicKeyInfo, as OpenSSF model-signing computes it. Nothing here reads files:
callers pass bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from rebuildable.errors import RebuildableError

__all__ = [
    "GENERATE_TYPES",
    "MIN_RSA_BITS",
    "BadKeyError",
    "PrivateKey",
    "PublicKey",
    "fingerprint",
    "generate",
    "load_private_key",
    "load_public_key",
]

MIN_RSA_BITS = 2048
#: the key types ``generate`` (and ``rebuildable keygen --type``) makes
GENERATE_TYPES = ("ed25519", "ecdsa-p256", "rsa-3072")

_CURVES: dict[str, tuple[str, hashes.HashAlgorithm]] = {
    "secp256r1": ("ecdsa-p256", hashes.SHA256()),
    "secp384r1": ("ecdsa-p384", hashes.SHA384()),
    "secp521r1": ("ecdsa-p521", hashes.SHA512()),
}
_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")

PublicKeyTypes = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKeyTypes = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class BadKeyError(RebuildableError):
    """A key file is not a usable key of a supported type (finding code ``sig.bad-key``)."""

    code = "sig.bad-key"

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = f"{source}: {message}"


def fingerprint(spki_der: bytes) -> str:
    """Lower-case hex SHA-256 of a DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der).hexdigest()


@dataclass(frozen=True, eq=False)
class PublicKey:
    """A public key of a supported type. Equal keys have equal SubjectPublicKeyInfo bytes."""

    key: PublicKeyTypes = field(repr=False)
    #: where the key came from, for messages (a file name, a policy entry id)
    source: str = "<key>"

    @property
    def spki(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def keyid(self) -> str:
        return fingerprint(self.spki)

    @property
    def type(self) -> str:
        """'ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521' or 'rsa-<bits>'."""
        if isinstance(self.key, ed25519.Ed25519PublicKey):
            return "ed25519"
        if isinstance(self.key, ec.EllipticCurvePublicKey):
            return _CURVES[self.key.curve.name][0]
        return f"rsa-{self.key.key_size}"

    def pem(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def bundle_hint(self) -> str:
        """The ``verificationMaterial.publicKey.hint`` of a Sigstore bundle signed by this
        key: hex SHA-256 of the PEM SubjectPublicKeyInfo (model-signing's key hint)."""
        return hashlib.sha256(self.pem()).hexdigest()

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` is a valid signature of ``data`` by this key."""
        key = self.key
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, data)
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, data, ec.ECDSA(_CURVES[key.curve.name][1]))
            else:
                return _verify_rsa(key, signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.spki == other.spki

    def __hash__(self) -> int:
        return hash(self.spki)


def _verify_rsa(key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    schemes: tuple[padding.AsymmetricPadding, ...] = (
        padding.PKCS1v15(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
    )
    for scheme in schemes:
        try:
            key.verify(signature, data, scheme, hashes.SHA256())
        except (InvalidSignature, ValueError):
            continue
        return True
    return False


@dataclass(frozen=True, eq=False)
class PrivateKey:
    """A private key of a supported type, able to sign."""

    key: PrivateKeyTypes = field(repr=False)
    source: str = "<key>"

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key(), f"{self.source} (public part)")

    @property
    def keyid(self) -> str:
        return self.public.keyid

    @property
    def type(self) -> str:
        return self.public.type

    def sign(self, data: bytes) -> bytes:
        key = self.key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(_CURVES[key.curve.name][1]))
        # PKCS#1 v1.5: the scheme key-only verifiers (sigstore-js, model-signing) assume.
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM."""
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def generate(kind: str = "ed25519") -> PrivateKey:
    """A new private key: 'ed25519' (default), 'ecdsa-p256' or 'rsa-3072'."""
    if kind == "ed25519":
        return PrivateKey(ed25519.Ed25519PrivateKey.generate(), "new ed25519 key")
    if kind == "ecdsa-p256":
        return PrivateKey(ec.generate_private_key(ec.SECP256R1()), "new ecdsa-p256 key")
    if kind == "rsa-3072":
        return PrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=3072),
                          "new rsa-3072 key")
    raise ValueError(f"unknown key type {kind!r}; choose one of {', '.join(GENERATE_TYPES)}")


def _labels(pem: bytes, source: str) -> list[str]:
    labels = [m.group(1).decode("ascii") for m in _PEM_LABEL.finditer(pem)]
    if not labels:
        raise BadKeyError(source, "not a PEM file (no '-----BEGIN ...-----' line)")
    if len(labels) > 1:
        raise BadKeyError(source, f"holds {len(labels)} PEM blocks ({', '.join(labels)}); "
                                  "give exactly one key per file")
    return labels


def _check_supported(key: object, source: str) -> None:
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if key.curve.name not in _CURVES:
            raise BadKeyError(source, f"ECDSA curve {key.curve.name} is not supported; "
                                      "use P-256, P-384 or P-521")
        return
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise BadKeyError(source, f"RSA key of {key.key_size} bits is too short; "
                                      f"at least {MIN_RSA_BITS} bits are required")
        return
    name = type(key).__name__.removeprefix("_").replace("PublicKey", "").replace("PrivateKey", "")
    raise BadKeyError(source, f"key type {name or type(key).__name__} is not supported; "
                              "use Ed25519, ECDSA (P-256, P-384, P-521) or RSA (>= 2048 bits)")


def load_public_key(pem: bytes, source: str = "<key>") -> PublicKey:
    """Load one PEM public key (SubjectPublicKeyInfo or PKCS#1 RSA) of a supported type.

    Raises :class:`BadKeyError` for anything else, with a message that says what the
    file holds instead (a certificate, a private key, garbage, a weak or unknown key).
    """
    (label,) = _labels(pem, source)
    if label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"):
        raise BadKeyError(source, "holds a certificate, not a public key; extract the key with "
                                  "'openssl x509 -pubkey -noout -in FILE'")
    if "PRIVATE KEY" in label:
        raise BadKeyError(source, "holds a PRIVATE key where a public key is expected; give the "
                                  "public key (KEYFILE.pub), and keep the private key secret")
    if label not in ("PUBLIC KEY", "RSA PUBLIC KEY"):
        raise BadKeyError(source, f"holds a PEM {label!r} block, not a public key")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise BadKeyError(source, f"cannot read the public key: {exc}") from exc
    _check_supported(key, source)
    assert isinstance(key, PublicKeyTypes)
    return PublicKey(key, source)


def load_private_key(pem: bytes, source: str = "<key>",
                     password: bytes | None = None) -> PrivateKey:
    """Load one PEM private key (PKCS#8, or the traditional RSA/EC forms) of a supported type."""
    (label,) = _labels(pem, source)
    if label in ("PUBLIC KEY", "RSA PUBLIC KEY"):
        raise BadKeyError(source, "holds a public key; signing needs the private key")
    if label in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"):
        raise BadKeyError(source, "holds a certificate; signing needs the private key")
    if "PRIVATE KEY" not in label:
        raise BadKeyError(source, f"holds a PEM {label!r} block, not a private key")
    if label == "ENCRYPTED PRIVATE KEY" and password is None:
        raise BadKeyError(source, "the private key is encrypted and no password was given "
                                  "(set REBUILDABLE_KEY_PASSWORD)")
    try:
        key = serialization.load_pem_private_key(pem, password)
    except TypeError as exc:  # encrypted without a password, or a password for a plain key
        raise BadKeyError(source, f"cannot read the private key: {exc}") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise BadKeyError(source, f"cannot read the private key: {exc}") from exc
    _check_supported(key, source)
    assert isinstance(key, PrivateKeyTypes)
    return PrivateKey(key, source)
