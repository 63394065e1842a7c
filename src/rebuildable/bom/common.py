"""What the CycloneDX and SPDX 3 exports decide alike: which artifacts are trained
parameters or data, what kind of work the release is, and the name-based UUID that makes
a document's identity follow the manifest's canonical data."""

from __future__ import annotations

import uuid
from typing import Literal

from rebuildable.model import Manifest

__all__ = ["DATA_KINDS", "MODEL_KINDS", "document_uuid", "release_class"]

#: kinds of trained parameters: ML-BOM models, SPDX AI packages
MODEL_KINDS = frozenset({"weights", "adapter", "checkpoint"})
#: kinds of data: ML-BOM data components, SPDX dataset packages (but a data-recipe)
DATA_KINDS = frozenset({"dataset", "evaluation-data", "data-recipe"})


def release_class(manifest: Manifest) -> Literal["model", "dataset", "other"]:
    """The release as a whole, from its declared profiles (never from its kinds)."""
    profiles = set(manifest.effective_profiles)
    if profiles & {"ml-model", "adapter"}:
        return "model"
    return "dataset" if "dataset" in profiles else "other"


def document_uuid(namespace: uuid.UUID, canonical: bytes) -> uuid.UUID:
    """A UUID of the manifest's RFC 8785 bytes: the same manifest, the same document."""
    return uuid.uuid5(namespace, canonical.hex())
