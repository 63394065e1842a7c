"""Signatures and trust: DSSE envelopes over an in-toto Statement of the manifest.

* :mod:`~rebuildable.signing.keys` - PEM keys, generation, fingerprints;
* :mod:`~rebuildable.signing.dsse` - the envelope, PAE, threshold verification;
* :mod:`~rebuildable.signing.statement` - the signed payload (in-toto Statement v1);
* :mod:`~rebuildable.signing.trust` - trust policies (keys, threshold, release names);
* :mod:`~rebuildable.signing.sign` - signing a folder release;
* :mod:`~rebuildable.signing.verify` - verifying a release (``rebuildable verify`` and the
  ``signature`` check of ``rebuildable validate --key``).
"""

from __future__ import annotations

from rebuildable.signing.dsse import (
    IN_TOTO_PAYLOAD_TYPE,
    Envelope,
    EnvelopeError,
    Signature,
    ThresholdError,
    VerificationResult,
    pae,
    parse_envelope,
    verify_envelope,
)
from rebuildable.signing.keys import (
    BadKeyError,
    PrivateKey,
    PublicKey,
    generate,
    load_private_key,
    load_public_key,
)
from rebuildable.signing.statement import PREDICATE_TYPE, STATEMENT_TYPE
from rebuildable.signing.trust import (
    AllOf,
    PolicyError,
    PolicyResult,
    ReleaseNames,
    Threshold,
    TrustedKey,
    TrustPolicy,
    build_policy,
    load_policy,
)

__all__ = [
    "IN_TOTO_PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "AllOf",
    "BadKeyError",
    "Envelope",
    "EnvelopeError",
    "PolicyError",
    "PolicyResult",
    "PrivateKey",
    "PublicKey",
    "ReleaseNames",
    "Signature",
    "Threshold",
    "ThresholdError",
    "TrustPolicy",
    "TrustedKey",
    "VerificationResult",
    "build_policy",
    "generate",
    "load_policy",
    "load_private_key",
    "load_public_key",
    "pae",
    "parse_envelope",
    "verify_envelope",
]
