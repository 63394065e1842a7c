"""What the CycloneDX and SPDX 3 exports decide alike: which artifacts are trained
parameters or data, what kind of work the release is, and the name-based UUID that makes
a document's identity follow the manifest's canonical data."""

from __future__ import annotations

import uuid
from typing import Literal

from rebuildable.model import Manifest, split_ref

__all__ = ["DATA_KINDS", "MODEL_KINDS", "document_uuid", "release_class", "training_data"]

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


def training_data(manifest: Manifest) -> dict[str, list[str]]:
    """For each output: the data artifacts its step consumed, directly or through
    earlier steps. Both exports name these (CycloneDX's model card datasets, SPDX's
    ``trainedOn``): a model is only as open as every dataset its training data was made
    from, so the chain is followed rather than stopped at the step's direct inputs."""
    index = manifest.artifact_index()
    producers = manifest.producers()
    out: dict[str, list[str]] = {}

    def walk(art_id: str, seen: set[str]) -> list[str]:
        step = producers.get(art_id)
        if step is None or step.id in seen:
            return []
        seen.add(step.id)
        found: list[str] = []
        for ref in step.inputs:
            upstream, local = split_ref(ref)
            if upstream is not None:
                continue
            art = index.get(local)
            if art is not None and art.kind in DATA_KINDS:
                found.append(local)
            found.extend(walk(local, seen))
        return list(dict.fromkeys(found))

    for art_id in producers:
        out[art_id] = walk(art_id, set())
    return out
