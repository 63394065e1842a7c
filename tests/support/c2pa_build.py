"""C2PA-signed images made at test time: an ES256 test CA and signer, and small PNG,
JPEG and WebP files carrying a manifest whose ingredients the caller chooses.

Needs ``c2pa`` (c2pa-python), ``cryptography`` and Pillow; never imports rebuildable, so
that the conformance vector generator can load it by path.

C2PA signing certificates (C2PA 2.x, "X.509 certificates") must be X.509 v3 end-entity
certificates, not self-signed, with the digitalSignature key usage and an extended key
usage from C2PA's list (emailProtection here) and never anyExtendedKeyUsage; the chain
is the leaf then its CA. A validator does not trust the test CA, so the manifests it
reads are intact but untrusted (``signingCredential.untrusted``).
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass
from typing import Any

#: Pillow's format names and the media types c2pa is given
FORMATS = {"png": ("PNG", "image/png"), "jpeg": ("JPEG", "image/jpeg"),
           "webp": ("WEBP", "image/webp")}
#: the one action C2PA requires first: the asset was created (here: by a test)
CREATED = {"label": "c2pa.actions", "data": {"actions": [{
    "action": "c2pa.created",
    "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"}]}}


@dataclass(frozen=True)
class TestSigner:
    """PEM texts of the signer's certificate chain (leaf first) and private key."""

    chain: str
    key: str


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "rebuildable tests")])


def _usage(*, sign: bool) -> Any:
    from cryptography import x509

    return x509.KeyUsage(digital_signature=sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=not sign, crl_sign=not sign, encipher_only=False,
                         decipher_only=False)


def make_signer(days: int = 3650) -> TestSigner:
    """A fresh ES256 CA and an end-entity signing certificate it issued."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("rebuildable test CA"))
          .issuer_name(_name("rebuildable test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(start)
          .not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_usage(sign=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name("rebuildable test signer"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    chain = (leaf.public_bytes(pem) + ca.public_bytes(pem)).decode()
    private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return TestSigner(chain, private)


def plain_image(fmt: str, color: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buf, FORMATS[fmt][0])
    return buf.getvalue()


def ingredient(title: str, data: bytes | None = None, *, relationship: str = "parentOf",
               media_type: str = "image/openraster") -> dict[str, Any]:
    """An ingredient definition; with ``data`` its instance id pins the file's sha256."""
    out: dict[str, Any] = {"title": title, "format": media_type, "relationship": relationship}
    if data is not None:
        out["instance_id"] = "sha256:" + hashlib.sha256(data).hexdigest()
    return out


def sign_image(signer: TestSigner, fmt: str, image: bytes,
               ingredients: list[dict[str, Any]]) -> bytes:
    """``image`` with an embedded C2PA manifest listing ``ingredients`` (no thumbnail,
    to keep the file small)."""
    import c2pa

    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, signer.chain.encode(),
                               signer.key.encode(), None)
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    definition = {"claim_generator_info": [{"name": "rebuildable-tests", "version": "1"}],
                  "title": f"export.{fmt}", "ingredients": ingredients,
                  "assertions": [CREATED]}
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as c2pa_signer, \
            c2pa.Builder(definition, context=context) as builder:
        builder.sign(c2pa_signer, FORMATS[fmt][1], io.BytesIO(image), out)
    return out.getvalue()


def tamper(signed: bytes, fmt: str) -> bytes:
    """The signed file with one byte of its image data flipped: the claim is intact, its
    hash binding to the file's bytes is not."""
    data = bytearray(signed)
    at = signed.index(b"IDAT") + 8 if fmt == "png" else len(signed) - 8
    data[at] ^= 0xFF
    return bytes(data)
