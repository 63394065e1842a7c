"""Keyless signatures: a Sigstore bundle beside the manifest, checked offline under an
identity policy. The work is in :mod:`rebuildable.signing.keyless` (which ``verify``
shares); sigstore itself is imported only when a bundle is checked."""

from __future__ import annotations

from rebuildable.signing.keyless import check

__all__ = ["check"]
