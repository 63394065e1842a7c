"""DSSE (Dead Simple Signing Envelope) v1, exactly as the protocol describes it.

* PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, where LEN is the
  length in bytes (of the UTF-8 encoding, for the type) written in ASCII decimal.
* Readers accept standard and URL-safe base64, padded or not; writers use standard
  base64 with padding.
* ``keyid`` is a hint: verification tries every trusted key against every signature.
* The envelope is parsed strictly (duplicate keys refused) once; verification works on
  the decoded payload bytes and the caller parses only those verified bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rebuildable.errors import RebuildableError, UsageError
from rebuildable.findings import Location
from rebuildable.load import Limits, load_manifest
from rebuildable.load.document import Document
from rebuildable.signing.keys import PrivateKey, PublicKey

__all__ = [
    "IN_TOTO_PAYLOAD_TYPE",
    "Envelope",
    "EnvelopeError",
    "Signature",
    "SignatureCheck",
    "SignedFile",
    "ThresholdError",
    "VerificationResult",
    "b64decode",
    "b64encode",
    "pae",
    "parse_envelope",
    "parse_signed",
    "read_signed",
    "verify_envelope",
]

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
#: more signatures than this is refused: each one costs a verification per trusted key
MAX_SIGNATURES = 256

_STD_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")
_URL_B64 = re.compile(r"[A-Za-z0-9_-]*={0,2}\Z")


class EnvelopeError(RebuildableError):
    """The envelope is not a well-formed DSSE envelope (``sig.malformed-envelope``)."""

    code = "sig.malformed-envelope"

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


class ThresholdError(UsageError):
    """A threshold below 1 or above the number of distinct keys (``sig.bad-threshold``)."""

    code = "sig.bad-threshold"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding; lengths are byte lengths, not character counts."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (what DSSE writers use)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not. Raises ValueError for anything else.

    The two alphabets are not mixed within one value, padding (when present) must be
    exact, and whitespace or other characters are refused.
    """
    if _STD_B64.match(text):
        alphabet = "std"
    elif _URL_B64.match(text):
        alphabet = "url"
    else:
        raise ValueError("not standard or URL-safe base64")
    body = text.rstrip("=")
    pad = len(text) - len(body)
    if len(body) % 4 == 1:
        raise ValueError("base64 length is impossible (one leftover character)")
    if pad and (len(body) + pad) % 4:
        raise ValueError("base64 padding is wrong")
    body += "=" * (-len(body) % 4)
    if alphabet == "url":
        body = body.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error as exc:  # pragma: no cover - the patterns above rule this out
        raise ValueError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class Signature:
    sig: bytes
    keyid: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {"keyid": self.keyid or "", "sig": b64encode(self.sig)}


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...] = ()

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)

    def to_dict(self) -> dict[str, Any]:
        return {"payloadType": self.payload_type, "payload": b64encode(self.payload),
                "signatures": [s.to_dict() for s in self.signatures]}

    def to_json(self) -> bytes:
        return (json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def signed_by(self, key: PublicKey) -> bool:
        """Does any signature here verify with ``key``?"""
        data = self.pae()
        return any(key.verify(s.sig, data) for s in self.signatures)

    def add_signature(self, key: PrivateKey) -> Envelope:
        """A copy with one more signature by ``key`` (keyid = the key's fingerprint)."""
        sig = Signature(key.sign(self.pae()), key.keyid)
        return Envelope(self.payload_type, self.payload, (*self.signatures, sig))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], file: str = "envelope") -> Envelope:
        """Build from decoded JSON; raises :class:`EnvelopeError` when it is not DSSE."""

        def fail(message: str, pointer: str = "") -> EnvelopeError:
            return EnvelopeError(f"{file}: {message}", Location(file, None, None, pointer))

        if not isinstance(data, Mapping):
            raise fail("the envelope must be a JSON object")
        payload_type = data.get("payloadType")
        if not isinstance(payload_type, str):
            raise fail("'payloadType' must be a string", "/payloadType")
        payload_text = data.get("payload")
        if not isinstance(payload_text, str):
            raise fail("'payload' must be a base64 string", "/payload")
        try:
            payload = b64decode(payload_text)
        except ValueError as exc:
            raise fail(f"'payload' is not valid base64: {exc}", "/payload") from exc
        raw_sigs = data.get("signatures")
        if not isinstance(raw_sigs, list):
            raise fail("'signatures' must be a list", "/signatures")
        if len(raw_sigs) > MAX_SIGNATURES:
            raise fail(f"{len(raw_sigs)} signatures; at most {MAX_SIGNATURES} are read",
                       "/signatures")
        signatures = []
        for i, raw in enumerate(raw_sigs):
            where = f"/signatures/{i}"
            if not isinstance(raw, Mapping):
                raise fail(f"signature {i} must be an object", where)
            sig_text = raw.get("sig")
            if not isinstance(sig_text, str):
                raise fail(f"signature {i} has no 'sig' string", f"{where}/sig")
            keyid = raw.get("keyid")
            if keyid is not None and not isinstance(keyid, str):
                raise fail(f"signature {i}: 'keyid' must be a string", f"{where}/keyid")
            try:
                sig = b64decode(sig_text)
            except ValueError as exc:
                raise fail(f"signature {i}: 'sig' is not valid base64: {exc}",
                           f"{where}/sig") from exc
            signatures.append(Signature(sig, keyid or None))
        return cls(payload_type, payload, tuple(signatures))


def parse_envelope(raw: bytes, file: str = "rebuild.dsse.json",
                   limits: Limits | None = None) -> Envelope:
    """Parse envelope bytes strictly (UTF-8, no duplicate keys, bounded size and depth)."""
    document = _load_document(raw, file, limits)
    return _from_dict(document, document.data, file, "")


#: the media types of Sigstore bundles (``application/vnd.dev.sigstore.bundle+json;version=0.1``,
#: ``application/vnd.dev.sigstore.bundle.v0.3+json``, ...)
BUNDLE_MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle"


@dataclass(frozen=True, eq=False)
class SignedFile:
    """A parsed envelope file: the envelope, the bundle's media type (None for a bare
    envelope) and the loaded JSON, to locate later findings at their line."""

    envelope: Envelope
    media_type: str | None
    document: Document

    def locate(self, file: str, pointer: str) -> Location:
        """``pointer`` (in the envelope) as a place in the file, through ``/dsseEnvelope``
        for a bundle."""
        return _locate(self.document, file, self.prefix + pointer)

    @property
    def prefix(self) -> str:
        return "" if self.media_type is None else "/dsseEnvelope"


def parse_signed(raw: bytes, file: str = "rebuild.dsse.json",
                 limits: Limits | None = None) -> tuple[Envelope, str | None]:
    """Parse a DSSE envelope, or a Sigstore bundle that holds one (``dsseEnvelope``), strictly.

    Returns the envelope and the bundle's media type (None for a bare envelope); see
    :func:`read_signed`."""
    signed = read_signed(raw, file, limits)
    return signed.envelope, signed.media_type


def read_signed(raw: bytes, file: str = "rebuild.dsse.json",
                limits: Limits | None = None) -> SignedFile:
    """Parse a DSSE envelope, or a Sigstore bundle that holds one (``dsseEnvelope``), strictly.

    Only the envelope is used: a bundle's key hint, certificate and log entries decide
    nothing, the trusted keys do (SIG-9); a bundle that signs a message, not a DSSE
    envelope, is refused. Every problem is located in ``file`` (line, column and pointer;
    inside a bundle the pointer goes through ``/dsseEnvelope``).
    """
    document = _load_document(raw, file, limits)
    data = document.data
    if not isinstance(data, dict) or ("dsseEnvelope" not in data
                                      and "verificationMaterial" not in data
                                      and "messageSignature" not in data):
        return SignedFile(_from_dict(document, data, file, ""), None, document)
    media = data.get("mediaType")
    if not isinstance(media, str) or not media.startswith(BUNDLE_MEDIA_PREFIX):
        raise EnvelopeError(f"{file}: a Sigstore bundle's mediaType must start with "
                            f"{BUNDLE_MEDIA_PREFIX!r}", _locate(document, file, "/mediaType"))
    envelope = data.get("dsseEnvelope")
    if not isinstance(envelope, dict):
        raise EnvelopeError(f"{file}: the Sigstore bundle holds no dsseEnvelope (a message "
                            "signature signs one file, not a release)",
                            _locate(document, file, "/dsseEnvelope"))
    return SignedFile(_from_dict(document, envelope, file, "/dsseEnvelope"), media, document)


def _locate(document: Document, file: str, pointer: str) -> Location:
    where = document.locate(pointer)
    return Location(file, where.line, where.column, pointer)


def _from_dict(document: Document, data: Any, file: str, prefix: str) -> Envelope:
    """:meth:`Envelope.from_dict`, its problems located in ``document`` below ``prefix``."""
    try:
        return Envelope.from_dict(data, file)
    except EnvelopeError as exc:
        pointer = exc.location.pointer if exc.location is not None else None
        raise EnvelopeError(exc.message, _locate(document, file, prefix + (pointer or ""))
                            ) from exc


def _load_document(raw: bytes, file: str, limits: Limits | None) -> Document:
    name = file if file.lower().endswith(".json") else f"{file}.json"
    loaded = load_manifest(raw, name, limits=limits)
    errors = [f for f in loaded.findings if f.severity.value == "error"]
    if loaded.document is None or errors:
        first = errors[0] if errors else None
        message = first.message.replace(name, file, 1) if first else f"{file}: not a JSON object"
        location = first.location if first else Location(file)
        if location is not None and location.file != file:
            location = Location(file, location.line, location.column, location.pointer)
        raise EnvelopeError(message, location)
    return loaded.document


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """One signature of the envelope and the trusted key that verified it, if any."""

    index: int
    keyid_hint: str | None
    verified_by: PublicKey | None


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of a threshold verification. Truthy exactly when the threshold is met."""

    threshold: int
    #: the distinct trusted keys, in the order given
    keys: tuple[PublicKey, ...]
    #: the distinct trusted keys that verified at least one signature
    verified_keys: tuple[PublicKey, ...]
    #: every signature of the envelope, verified or not
    signers: tuple[SignatureCheck, ...]

    @property
    def missing(self) -> int:
        """How many more distinct trusted keys must sign to meet the threshold."""
        return max(0, self.threshold - len(self.verified_keys))

    @property
    def unverified(self) -> tuple[SignatureCheck, ...]:
        return tuple(s for s in self.signers if s.verified_by is None)

    def __bool__(self) -> bool:
        return self.threshold >= 1 and self.missing == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": bool(self),
            "threshold": self.threshold,
            "keys": [{"keyid": k.keyid, "type": k.type, "source": k.source} for k in self.keys],
            "verified_keys": [k.keyid for k in self.verified_keys],
            "missing": self.missing,
            "signatures": [{"index": s.index, "keyid": s.keyid_hint,
                            "verified_by": s.verified_by.keyid if s.verified_by else None}
                           for s in self.signers],
        }


def distinct_keys(keys: Iterable[PublicKey]) -> tuple[PublicKey, ...]:
    """Keys with duplicates (same public key bytes, whatever the file) removed, order kept."""
    out: dict[bytes, PublicKey] = {}
    for key in keys:
        out.setdefault(key.spki, key)
    return tuple(out.values())


def check_threshold(keys: Sequence[PublicKey], threshold: int) -> tuple[PublicKey, ...]:
    """The distinct keys; raises :class:`ThresholdError` unless 1 <= threshold <= their number."""
    unique = distinct_keys(keys)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ThresholdError(f"threshold must be at least 1, not {threshold!r}")
    if threshold > len(unique):
        dup = len(keys) - len(unique)
        extra = f" ({dup} of the {len(keys)} given are the same key)" if dup else ""
        raise ThresholdError(f"threshold {threshold} is above the number of distinct keys, "
                             f"{len(unique)}{extra}")
    return unique


def verify_envelope(envelope: Envelope, keys: Sequence[PublicKey],
                    threshold: int = 1) -> VerificationResult:
    """Try every trusted key against every signature over the envelope's PAE bytes.

    ``keyid`` plays no part. A key counts once however many signatures it verifies.
    Raises :class:`ThresholdError` for an impossible threshold.
    """
    unique = check_threshold(keys, threshold)
    data = envelope.pae()
    checks: list[SignatureCheck] = []
    verified: dict[bytes, PublicKey] = {}
    for i, sig in enumerate(envelope.signatures):
        by = next((k for k in unique if k.verify(sig.sig, data)), None)
        checks.append(SignatureCheck(i, sig.keyid, by))
        if by is not None:
            verified.setdefault(by.spki, by)
    ordered = tuple(k for k in unique if k.spki in verified)
    return VerificationResult(threshold, unique, ordered, tuple(checks))
