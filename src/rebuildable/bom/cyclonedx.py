"""The manifest as a CycloneDX 1.6 JSON BOM, with ML-BOM data.

* the release itself is ``metadata.component`` (``machine-learning-model`` for the
  ``ml-model`` and ``adapter`` profiles, ``data`` for ``dataset``, else ``application``),
  with the upstream releases it derives from as ``pedigree.ancestors``;
* every artifact is a component with its hashes and licence: trained parameters
  (``weights``, ``adapter``, ``checkpoint``) are ``machine-learning-model`` components
  whose ``modelCard`` names the datasets the training step consumed; ``dataset``
  artifacts are ``data`` components; external artifacts carry their URI as a
  ``distribution`` reference; the kind and path are ``rebuildable:`` properties;
* the steps are ``formulation``: one workflow whose tasks run the step's command with
  its inputs and outputs as resource references, and ``dependencies`` say which
  artifacts each output is made from.

The serial number is derived from the manifest's canonical data, so the same manifest
always gives the same BOM (no time stamp either: a BOM describes, it does not record).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from rebuildable._version import __version__
from rebuildable.bom.common import (
    DATA_KINDS,
    MODEL_KINDS,
    document_uuid,
    release_class,
    training_data,
)
from rebuildable.model import Artifact, Manifest

__all__ = ["HASH_NAMES", "to_cyclonedx"]

#: our digest names -> CycloneDX hash algorithms (blake2b is BLAKE2b-512 in hashlib)
HASH_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384",
              "sha512": "SHA-512", "sha3-256": "SHA3-256", "sha3-512": "SHA3-512",
              "blake2b": "BLAKE2b-512", "blake3": "BLAKE3"}

_NAMESPACE = uuid.UUID("6f2c1a59-6a43-5b8e-9d0e-2f7e3c1b9a10")


def _ref(art_id: str) -> str:
    return f"artifact:{art_id}"


def _hashes(digest: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"alg": HASH_NAMES[k], "content": v} for k, v in digest.items() if k in HASH_NAMES]


def _licenses(expression: str | None) -> list[dict[str, Any]]:
    return [{"expression": expression}] if expression else []


def _type(art: Artifact) -> str:
    if art.kind in MODEL_KINDS:
        return "machine-learning-model"
    if art.kind in DATA_KINDS:
        return "data"
    return "file"


def _component(manifest: Manifest, art: Artifact, datasets: dict[str, list[str]]
               ) -> dict[str, Any]:
    comp: dict[str, Any] = {"type": _type(art), "bom-ref": _ref(art.id), "name": art.name}
    if art.description:
        comp["description"] = art.description
    if art.media_type:
        comp["mime-type"] = art.media_type
    hashes = _hashes(art.digest)
    if hashes:
        comp["hashes"] = hashes
    licenses = _licenses(manifest.license_of(art))
    if licenses:
        comp["licenses"] = licenses
    if art.uri:
        comp["externalReferences"] = [{"type": "distribution", "url": art.uri}]
    props = [{"name": "rebuildable:id", "value": art.id}]
    if art.kind:
        props.append({"name": "rebuildable:kind", "value": art.kind})
    if art.path:
        props.append({"name": "rebuildable:path", "value": art.path})
    if art.size is not None:
        props.append({"name": "rebuildable:size", "value": str(art.size)})
    comp["properties"] = props
    if comp["type"] == "data":
        comp["data"] = [{"type": "dataset", "name": art.name}]
    if comp["type"] == "machine-learning-model":
        card: dict[str, Any] = {"bom-ref": f"model-card:{art.id}"}
        params: dict[str, Any] = {}
        if datasets.get(art.id):
            params["datasets"] = [{"ref": _ref(d)} for d in datasets[art.id]]
        task = manifest.extensions.get("x-pipeline_tag")
        if isinstance(task, str):
            params["task"] = task
        if params:
            card["modelParameters"] = params
        comp["modelCard"] = card
    return comp


def _formulation(manifest: Manifest, known: set[str]) -> list[dict[str, Any]]:
    tasks = []
    for step in manifest.steps:
        task: dict[str, Any] = {"bom-ref": f"step:{step.id}", "uid": step.id, "name": step.id,
                                "taskTypes": ["build"]}
        if step.description:
            task["description"] = step.description
        if step.run:
            task["steps"] = [{"name": step.id, "commands": [{"executed": step.run}]}]
        inputs = [{"resource": {"ref": _ref(r)}} for r in step.inputs if r in known]
        outputs = [{"resource": {"ref": _ref(r)}} for r in step.outputs if r in known]
        if inputs:
            task["inputs"] = inputs
        if outputs:
            task["outputs"] = outputs
        tasks.append(task)
    if not tasks:
        return []
    workflow = {"bom-ref": "workflow:steps", "uid": "steps", "name": "rebuild steps",
                "taskTypes": ["build"], "tasks": tasks}
    return [{"bom-ref": "formulation", "workflows": [workflow]}]


def _release_component(manifest: Manifest) -> dict[str, Any]:
    kind = {"model": "machine-learning-model", "dataset": "data",
            "other": "application"}[release_class(manifest)]
    comp: dict[str, Any] = {"type": kind, "bom-ref": "release", "name": manifest.name or "release"}
    if manifest.version:
        comp["version"] = manifest.version
    if manifest.description:
        comp["description"] = manifest.description
    licenses = _licenses(manifest.license)
    if licenses:
        comp["licenses"] = licenses
    ancestors = []
    for up in manifest.upstream:
        anc: dict[str, Any] = {"type": "file", "bom-ref": f"upstream:{up.id}",
                               "name": up.name or up.id}
        if up.version:
            anc["version"] = up.version
        hashes = _hashes(up.digest)
        if hashes:
            anc["hashes"] = hashes
        if up.uri:
            anc["externalReferences"] = [{"type": "bom", "url": up.uri}]
        anc["properties"] = [{"name": "rebuildable:upstream-id", "value": up.id}]
        if up.relation:
            anc["properties"].append({"name": "rebuildable:relation", "value": up.relation})
        if up.path:
            anc["properties"].append({"name": "rebuildable:manifest", "value": up.path})
        ancestors.append(anc)
    if ancestors:
        comp["pedigree"] = {"ancestors": ancestors}
    comp["properties"] = [{"name": "rebuildable:profile", "value": p}
                          for p in manifest.effective_profiles]
    return comp


def to_cyclonedx(data: Mapping[str, Any], canonical: bytes) -> dict[str, Any]:
    """A CycloneDX 1.6 BOM of the manifest ``data`` (``canonical``: its RFC 8785 bytes,
    which fix the serial number)."""
    manifest = Manifest.from_data(data)
    datasets = training_data(manifest)
    components = [_component(manifest, a, datasets) for a in manifest.artifacts]
    known = {a.id for a in manifest.artifacts}
    producers = manifest.producers()
    dependencies = [{"ref": "release", "dependsOn": [_ref(a.id) for a in manifest.artifacts]}]
    for art in manifest.artifacts:
        step = producers.get(art.id)
        if step is not None:
            deps = [_ref(r) for r in step.inputs if r in known]
            dependencies.append({"ref": _ref(art.id), "dependsOn": list(dict.fromkeys(deps))})
    bom: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{document_uuid(_NAMESPACE, canonical)}",
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "rebuildable",
                                      "version": __version__}]},
            "component": _release_component(manifest),
        },
        "components": components,
        "dependencies": dependencies,
    }
    formulation = _formulation(manifest, known)
    if formulation:
        bom["formulation"] = formulation
    return bom
