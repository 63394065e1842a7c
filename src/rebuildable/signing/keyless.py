"""Keyless signatures: a Sigstore bundle beside the manifest (``rebuild.sigstore.json``),
checked offline against the Sigstore trusted root that sigstore-python ships, under an
identity policy (the certificate's identity and its OIDC issuer).

What the bundle must sign is the manifest's in-toto Statement, the very payload of
``rebuild.dsse.json``: either as a message signature over its RFC 8785 bytes (what
``sigstore sign`` makes of the file ``rebuildable export --to in-toto --canonical``
writes), or as a DSSE envelope whose payload is that Statement (any serialisation: it
is compared as data). Verification is offline: the certificate chain up to Fulcio's
root, the signed certificate timestamp, the Rekor entry's inclusion proof and signed
checkpoint (or promise) all come with the bundle and are checked against the shipped
trusted root; nothing is fetched.

The ``sigstore`` package is an extra (``pip install 'rebuildable[sigstore]'``); without
it a keyless check is a clear finding, never a silent pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from rebuildable.context import Context
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, Location, finding
from rebuildable.model import KEYLESS_BUNDLE_NAME
from rebuildable.sections import Keyless
from rebuildable.signing.statement import StatementError, canonical, payload_bytes
from rebuildable.state import declare

__all__ = ["BUNDLE_NAME", "INSTANCES", "KeylessOutcome", "check", "verify_bundle"]

BUNDLE_NAME = KEYLESS_BUNDLE_NAME
MAX_BUNDLE = 1024 * 1024
#: Sigstore instances whose trusted roots sigstore-python ships (TUF repository names)
INSTANCES = {"production": "https://tuf-repo-cdn.sigstore.dev",
             "staging": "https://tuf-repo-cdn.sigstage.dev"}


@dataclass(frozen=True, slots=True)
class KeylessOutcome:
    ok: bool
    #: why not (None when ok)
    error: str | None = None
    #: what the bundle carries: "dsse" or "message-signature"
    kind: str | None = None


def bundle_path(manifest_name: str) -> str:
    parent = manifest_name.rpartition("/")[0]
    return f"{parent}/{BUNDLE_NAME}" if parent else BUNDLE_NAME


def _trusted_root(instance: str) -> Any:
    from sigstore.models import TrustedRoot  # noqa: PLC0415

    folder = INSTANCES[instance].replace(":", "%3A").replace("/", "%2F")
    path = resources.files("sigstore") / "_store" / folder / "trusted_root.json"
    return TrustedRoot.from_file(str(path))


def verify_bundle(raw: bytes, payload: bytes, identity: str, issuer: str,
                  instance: str = "production") -> KeylessOutcome:
    """Check that the Sigstore bundle ``raw`` signs ``payload`` (an in-toto Statement's
    RFC 8785 bytes) with a certificate for ``identity`` from ``issuer``, offline."""
    try:
        from sigstore.errors import Error as SigstoreError  # noqa: PLC0415
        from sigstore.models import Bundle, InvalidBundle  # noqa: PLC0415
        from sigstore.verify import Verifier, policy  # noqa: PLC0415
    except ImportError:
        return KeylessOutcome(False, "keyless verification needs the sigstore package "
                                     "(pip install 'rebuildable[sigstore]')")
    try:
        bundle = Bundle.from_json(raw)
    except (InvalidBundle, ValueError) as exc:
        return KeylessOutcome(False, f"not a usable Sigstore bundle: {exc}")
    verifier = Verifier(trusted_root=_trusted_root(instance))
    wanted = policy.Identity(identity=identity, issuer=issuer)
    is_dsse = bundle._dsse_envelope is not None
    kind = "dsse" if is_dsse else "message-signature"
    try:
        if is_dsse:
            _, signed = verifier.verify_dsse(bundle, wanted)
            try:
                same = canonical(json.loads(signed)) == payload
            except (ValueError, StatementError):
                same = False
            if not same:
                return KeylessOutcome(False, "the bundle's DSSE payload is not this "
                                             "manifest's Statement", kind)
        else:
            verifier.verify_artifact(payload, bundle, wanted)
    except SigstoreError as exc:
        return KeylessOutcome(False, str(exc) or type(exc).__name__, kind)
    return KeylessOutcome(True, None, kind)


@declare()
def check(ctx: Context) -> Iterator[Finding]:
    """With an identity policy (``--identity``/``--issuer``), a keyless bundle that
    verifies is required; without one, a bundle that is there is only mentioned."""
    options = ctx.options
    path = bundle_path(ctx.release.manifest_name)
    try:
        with ctx.release.open(path) as fh:
            raw: bytes | None = fh.read(MAX_BUNDLE + 1)
    except (MemberError, OSError):
        raw = None
    if options.identity is None:
        if raw is not None:
            yield finding("sig.keyless-not-checked",
                          f"{path} is present, but no --identity/--issuer was given: it was "
                          "not checked", location=Location(path))
        return
    where = Location(path)
    if raw is None:
        yield finding("sig.keyless-failed", f"no {path}: a keyless signature by "
                      f"{options.identity} is required", location=where)
        return
    if len(raw) > MAX_BUNDLE or ctx.document is None:
        yield finding("sig.keyless-failed", f"{path} is larger than {MAX_BUNDLE} bytes"
                      if ctx.document is not None else
                      "the manifest cannot be read, so no signature can match it",
                      location=where)
        return
    outcome = verify_bundle(raw, payload_bytes(ctx.document.data), options.identity,
                            options.issuer or "", options.sigstore_instance)
    ctx.sections[Keyless.NAME] = Keyless(path, options.identity, options.issuer,
                                         options.sigstore_instance, outcome.ok)
    if outcome.ok:
        yield finding("sig.keyless-verified", f"{path} is a valid keyless signature by "
                      f"{options.identity} (issuer {options.issuer}) over this manifest",
                      location=where)
    else:
        yield finding("sig.keyless-failed", f"{path}: {outcome.error}", location=where)
