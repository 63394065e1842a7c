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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Importing the package for one submodule (the keyless check needs only the statement)
# must not load cryptography and every other submodule: names load on first use.
_HOME = {
    "IN_TOTO_PAYLOAD_TYPE": "dsse",
    "Envelope": "dsse",
    "EnvelopeError": "dsse",
    "Signature": "dsse",
    "ThresholdError": "dsse",
    "VerificationResult": "dsse",
    "pae": "dsse",
    "parse_envelope": "dsse",
    "verify_envelope": "dsse",
    "BadKeyError": "keys",
    "PrivateKey": "keys",
    "PublicKey": "keys",
    "generate": "keys",
    "load_private_key": "keys",
    "load_public_key": "keys",
    "PREDICATE_TYPE": "statement",
    "STATEMENT_TYPE": "statement",
    "AllOf": "trust",
    "PolicyError": "trust",
    "PolicyResult": "trust",
    "ReleaseNames": "trust",
    "Threshold": "trust",
    "TrustedKey": "trust",
    "TrustPolicy": "trust",
    "build_policy": "trust",
    "load_policy": "trust",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


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
