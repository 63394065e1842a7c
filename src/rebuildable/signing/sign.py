"""Signing a folder release: write or extend ``rebuild.dsse.json`` beside the manifest.

The engine validates the release first (:func:`rebuildable.api.sign` runs it and hands the
:class:`~rebuildable.engine.Validation` in); a release with errors is refused unless
``force``.
A second signer co-signs the same payload (one more signature in the envelope); the
same key signing the same payload again changes nothing. An envelope over other
manifest data (the manifest changed since it was signed) is replaced. The file is
written atomically: a temporary file in the same folder, then a rename.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rebuildable.atomic import write_atomic
from rebuildable.errors import MemberError, RebuildableError, ReleaseError, UsageError
from rebuildable.findings import Severity
from rebuildable.model import ENVELOPE_NAME
from rebuildable.release import Release, open_release
from rebuildable.report import Report
from rebuildable.signing.dsse import IN_TOTO_PAYLOAD_TYPE, Envelope, EnvelopeError, parse_envelope
from rebuildable.signing.keys import PrivateKey
from rebuildable.signing.statement import StatementError, payload_bytes

if TYPE_CHECKING:
    from rebuildable.engine import Validation

__all__ = ["ARCHIVE_SUFFIXES", "SignOutcome", "SignRefusedError", "open_for_signing",
           "sign_validated", "write_atomic"]

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".zip", ".tar.xz", ".tar.bz2", ".tar.zst")


class SignRefusedError(RebuildableError):
    """The release has errors, so it is not signed (use ``force`` to sign anyway)."""

    field = "force"

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class SignOutcome:
    #: the envelope file written (or left as it was)
    path: Path
    #: "created", "added" (a co-signature), "unchanged" (this key had signed already)
    #: or "replaced" (the old envelope signed other manifest data)
    action: str
    keyid: str
    signatures: int
    #: signatures of a replaced envelope that were dropped
    dropped: int
    #: the validation that preceded signing
    report: Report


def open_for_signing(target: str | os.PathLike[str]) -> Release:
    """Open the folder release at ``target`` (a folder or its manifest file) for signing.

    Raises :class:`UsageError` for an archive (the envelope travels inside it, so the
    folder is signed before packing) and :class:`ReleaseError` when there is no release.
    """
    label = os.fspath(target)
    if Path(label).is_file() and label.lower().endswith(ARCHIVE_SUFFIXES):
        raise UsageError(f"{label}: signing works on folder releases only; sign the folder, "
                         "then pack it (the envelope travels inside the archive)")
    release = open_release(target)
    if release.local_root() is None:
        release.close()
        raise UsageError(f"{label}: signing works on folder releases only")
    return release


def sign_validated(release: Release, validation: Validation, key: PrivateKey, *,
                   force: bool = False) -> SignOutcome:
    """Sign ``release`` with ``key`` after the engine validated it (``validation``).

    The signed payload is built from the document the validation loaded: the manifest is
    not read or parsed again. Raises :class:`SignRefusedError` when the release has errors
    and ``force`` is false, :class:`UsageError` for an unusable existing envelope.
    """
    label = release.label
    report = validation.report
    root = release.local_root()
    if report.fatal or root is None:
        raise ReleaseError("release.unreadable", f"{label}: the release cannot be read",
                           path=label)
    unsure = next((f for f in report.findings
                   if f.code.startswith("load.") and f.severity is Severity.ERROR), None)
    if unsure is not None:
        # force is for a release still missing pieces, not for bytes that readers may
        # read differently (a duplicate key, an alias, a tag): a signature over them would
        # vouch for whichever meaning another verifier picks.
        where = f" (line {unsure.location.line})" if unsure.location and \
            unsure.location.line else ""
        raise SignRefusedError(f"{label}: {unsure.code}{where}: the manifest does not load "
                               "strictly, so it is never signed, even when forced", report)
    if not report.ok and not force:
        raise SignRefusedError(f"{label}: the release has {report.counts['error']} error(s); "
                               "fix them, or sign anyway with `force`", report)
    return _sign(release, root, _payload(validation), key, force=force, report=report)


def _payload(validation: Validation) -> bytes:
    document = validation.document
    if document is None:
        loading = [f for f in validation.report.findings if f.code.startswith("load.")]
        reason = loading[0].message if loading else "the manifest cannot be read"
        raise UsageError(f"cannot sign: {reason}")
    try:
        return payload_bytes(document.data)
    except StatementError as exc:
        raise UsageError(f"cannot sign: {exc.message}") from exc


def _existing(release: Release, path: str, force: bool) -> Envelope | None:
    try:
        with release.open(path) as fh:
            raw = fh.read()
    except MemberError as exc:
        if exc.code == "integrity.missing":
            return None
        if force:
            return None
        raise UsageError(f"{exc.message}; remove it, or replace it with `force`",
                         field="force") from exc
    try:
        return parse_envelope(raw, path)
    except EnvelopeError as exc:
        if force:
            return None
        raise UsageError(f"{exc.message}; the existing envelope is not valid DSSE, "
                         "replace it with `force`", field="force") from exc


def _sign(release: Release, root: Path, payload: bytes, key: PrivateKey, *, force: bool,
          report: Report) -> SignOutcome:
    folder, _, _ = release.manifest_name.rpartition("/")
    rel = f"{folder}/{ENVELOPE_NAME}" if folder else ENVELOPE_NAME
    target = root / rel
    old = _existing(release, rel, force)
    dropped = 0
    if old is not None and old.payload_type == IN_TOTO_PAYLOAD_TYPE and old.payload == payload:
        if old.signed_by(key.public):
            return SignOutcome(target, "unchanged", key.keyid, len(old.signatures), 0, report)
        envelope, action = old.add_signature(key), "added"
    else:
        if old is not None:
            dropped = len(old.signatures)
        envelope = Envelope(IN_TOTO_PAYLOAD_TYPE, payload).add_signature(key)
        action = "replaced" if old is not None else "created"
    if not envelope.signed_by(key.public):  # pragma: no cover - a broken crypto backend
        raise UsageError("the new signature does not verify with the key's own public key")
    write_atomic(target, envelope.to_json())
    return SignOutcome(target, action, key.keyid, len(envelope.signatures), dropped, report)


