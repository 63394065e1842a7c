"""Exporting a manifest as in-toto Statements that other tools read.

* ``in-toto``: the unsigned Statement that ``rebuildable sign`` signs (every artifact a
  subject, the manifest's data as the predicate);
* ``slsa``: an in-toto Statement v1 with a SLSA Provenance v1 predicate. The outputs
  (artifacts that some step produces) are the subjects; sources, and upstream
  manifests, are ``buildDefinition.resolvedDependencies``; the steps are
  ``buildDefinition.externalParameters``. This is what the manifest *declares*, not a
  record of a build that ran; ``runDetails.builder.id`` says so unless the caller names
  the builder that did run;
* ``sigstore-bundle``: the release's signed envelope as a Sigstore bundle v0.3 with a
  public-key hint and no transparency-log entry (the shape of keyed sigstore and OpenSSF
  model-signing bundles). A bundle holds one signature: with co-signers, the one that
  ``key`` verifies is chosen. The envelope must be over the manifest's current data.

Pure functions of the manifest's data; :func:`export_release` reads a release and
refuses a manifest that does not load strictly or does not match the schema.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rebuildable import schema
from rebuildable.defaults import DEFAULT_BUILDER_ID
from rebuildable.errors import MemberError, ReleaseError
from rebuildable.findings import Finding, Severity
from rebuildable.model import Artifact, Manifest
from rebuildable.release import open_release
from rebuildable.signing.dsse import Envelope, EnvelopeError, parse_envelope
from rebuildable.signing.keys import PublicKey
from rebuildable.signing.statement import (
    STATEMENT_TYPE,
    StatementError,
    intoto_digest_name,
    load_document,
    payload_bytes,
    statement,
)
from rebuildable.signing.verify import envelope_path

__all__ = [
    "BUILD_TYPE",
    "BUNDLE_MEDIA_TYPE",
    "DEFAULT_BUILDER_ID",
    "FORMATS",
    "SLSA_PREDICATE_TYPE",
    "ExportResult",
    "export_data",
    "export_release",
    "to_in_toto",
    "to_sigstore_bundle",
    "to_slsa",
]

SLSA_PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://rebuildable.dev/buildtypes/manifest-steps/v0.1"
#: the builder id of an export that records declared steps, not a build that ran

FORMATS = ("in-toto", "slsa", "sigstore-bundle")
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def to_in_toto(data: Mapping[str, Any]) -> dict[str, Any]:
    """The unsigned in-toto Statement v1 that signing signs."""
    return statement(data)


def _digest_set(art: Artifact) -> dict[str, str]:
    return {intoto_digest_name(k): v for k, v in art.digest.items()}


def _descriptor(art: Artifact) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if art.uri is not None:
        out["uri"] = art.uri
        out["name"] = art.id
    else:
        out["name"] = art.path or art.id
    out["digest"] = _digest_set(art)
    if art.media_type is not None:
        out["mediaType"] = art.media_type
    annotations = {"id": art.id}
    if art.kind is not None:
        annotations["kind"] = art.kind
    if art.license is not None:
        annotations["license"] = art.license
    out["annotations"] = annotations
    return out


def to_slsa(data: Mapping[str, Any], builder_id: str = DEFAULT_BUILDER_ID) -> dict[str, Any]:
    """An in-toto Statement v1 with a SLSA Provenance v1 predicate.

    Raises ValueError when the manifest declares no outputs (nothing to attest).
    """
    manifest = Manifest.from_data(data)
    outputs = manifest.outputs()
    subject = [{"name": a.name, "digest": _digest_set(a)}
               for a in manifest.artifacts if a.id in outputs]
    if not subject:
        raise ValueError("the manifest declares no step outputs, so there is no build "
                         "provenance to export; use `to` in-toto")
    dependencies = [_descriptor(a) for a in manifest.sources()]
    for up in manifest.upstream:
        dep: dict[str, Any] = {}
        if up.uri is not None:
            dep["uri"] = up.uri
        dep["name"] = up.path or up.id
        dep["digest"] = {intoto_digest_name(k): v for k, v in up.digest.items()}
        annotations = {"id": up.id, "kind": "upstream-manifest"}
        if up.relation is not None:
            annotations["relation"] = up.relation
        dep["annotations"] = annotations
        dependencies.append(dep)
    steps = [s.to_dict() for s in manifest.steps]
    release = {k: v for k, v in (("spec", manifest.spec), ("name", manifest.name),
                                 ("version", manifest.version)) if v is not None}
    predicate = {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {"release": release, "steps": steps},
            "resolvedDependencies": dependencies,
        },
        "runDetails": {"builder": {"id": builder_id}},
    }
    return {"_type": STATEMENT_TYPE, "subject": subject,
            "predicateType": SLSA_PREDICATE_TYPE, "predicate": predicate}


def to_sigstore_bundle(envelope: Envelope, key: PublicKey | None = None) -> dict[str, Any]:
    """A Sigstore bundle v0.3 around one signature of ``envelope``.

    With ``key``, the signature that ``key`` verifies (ValueError when none does);
    without, the envelope must hold exactly one signature. The key hint is
    :attr:`PublicKey.bundle_hint` (SHA-256 of the PEM key, as model-signing checks it);
    without ``key`` it is empty, since the envelope's keyid (SHA-256 of the DER key) is
    another value and a verifier that compares hints would refuse it.
    """
    if key is not None:
        data = envelope.pae()
        chosen = [s for s in envelope.signatures if key.verify(s.sig, data)]
        if not chosen:
            raise ValueError(f"no signature in the envelope verifies with {key.source}")
        sig, hint = chosen[0], key.bundle_hint
    else:
        if len(envelope.signatures) != 1:
            raise ValueError(f"the envelope holds {len(envelope.signatures)} signatures; a "
                             "bundle holds one: choose it with `key`")
        sig, hint = envelope.signatures[0], ""
    one = Envelope(envelope.payload_type, envelope.payload, (sig,))
    return {"mediaType": BUNDLE_MEDIA_TYPE,
            "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
            "dsseEnvelope": one.to_dict()}


def export_data(data: Mapping[str, Any], to: str,
                builder_id: str = DEFAULT_BUILDER_ID) -> dict[str, Any]:
    if to == "in-toto":
        return to_in_toto(data)
    if to == "slsa":
        return to_slsa(data, builder_id)
    raise ValueError(f"unknown export format {to!r}; choose one of {', '.join(FORMATS)}")


@dataclass
class ExportResult:
    document: dict[str, Any] | None
    #: why there is no document (loader and schema errors, or no outputs)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


def export_release(target: str | os.PathLike[str], to: str,
                   builder_id: str = DEFAULT_BUILDER_ID,
                   key: PublicKey | None = None) -> ExportResult:
    """Read a release's manifest strictly and export it; errors come back as data.

    Raises :class:`ReleaseError` when there is no release to read.
    """
    envelope: Envelope | None = None
    with open_release(target) as release:
        try:
            raw = release.read_manifest()
        except (MemberError, OSError) as exc:
            raise ReleaseError("release.unreadable", f"{release.manifest_name}: {exc}") from exc
        loaded = load_document(raw, release.manifest_name)
        if to == "sigstore-bundle":
            path = envelope_path(release.manifest_name)
            try:
                with release.open(path) as fh:
                    envelope = parse_envelope(fh.read(), path)
            except MemberError as exc:
                return ExportResult(None, [], f"{exc.message}; sign the release first")
            except EnvelopeError as exc:
                return ExportResult(None, [], exc.message)
    errors = [f for f in loaded.findings if f.severity is Severity.ERROR]
    doc = loaded.document
    if doc is not None and not errors:
        errors = [f for f in schema.schema_findings(doc) if f.severity is Severity.ERROR]
    if doc is None or errors:
        return ExportResult(None, errors, "the manifest has errors; run rebuildable validate")
    try:
        if envelope is not None:
            if envelope.payload != payload_bytes(doc.data):
                return ExportResult(None, [], "the envelope does not sign the manifest's current "
                                              "data; sign the release again")
            return ExportResult(to_sigstore_bundle(envelope, key))
        return ExportResult(export_data(doc.data, to, builder_id))
    except (ValueError, StatementError) as exc:
        return ExportResult(None, [], str(exc))
