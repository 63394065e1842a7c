"""The manifest as an SPDX 3.0.1 JSON-LD document with the AI and Dataset profiles.

* the release is the root of a ``software_Sbom``: an ``ai_AIPackage`` for the
  ``ml-model`` and ``adapter`` profiles, a ``dataset_DatasetPackage`` for ``dataset``,
  else a ``software_Package``; it ``contains`` every artifact;
* shipped artifacts are ``software_File`` elements (trained parameters are AI packages,
  ``dataset`` artifacts dataset packages), each with its hashes, ``contentType`` and a
  ``software_primaryPurpose`` from its kind; external artifacts carry their URI as
  ``software_downloadLocation``;
* licences are ``simplelicensing_LicenseExpression`` elements related by
  ``hasDeclaredLicense``;
* every step is a ``build_Build`` with ``hasInput``/``hasOutput`` relationships, and
  each output is ``generates``-linked from its inputs; trained parameters are
  ``trainedOn`` the datasets their step consumed, directly or through earlier steps (as
  the CycloneDX model card names them); upstream releases are ``ancestorOf`` the release
  (SPDX relationships point from the ancestor).

Identifiers are IRIs under a namespace derived from the manifest's canonical data, so
the same manifest always gives the same identifiers. ``created`` is the one field that
records time; callers pass it (``SOURCE_DATE_EPOCH`` makes it reproducible).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
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

__all__ = ["CONTEXT", "to_spdx3"]

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
_NAMESPACE = uuid.UUID("0b3f8f0e-41c4-5e1d-8a43-8f1e7b2f6c55")
_CI = "_:creationinfo"

#: our digest names -> SPDX 3 HashAlgorithm individuals
HASH_NAMES = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha384": "sha384",
              "sha512": "sha512", "sha3-256": "sha3_256", "sha3-512": "sha3_512",
              "blake2b": "blake2b512", "blake3": "blake3"}

#: kinds -> software_SoftwarePurpose
PURPOSES = {
    "source-code": "source", "training-code": "source", "evaluation-code": "test",
    "data-processing-code": "source", "inference-code": "source", "build-script": "source",
    "config": "configuration", "dataset": "data", "evaluation-data": "data",
    "data-recipe": "specification", "weights": "model", "adapter": "model",
    "checkpoint": "model", "tokenizer": "data", "environment": "manifest",
    "binary": "executable", "document": "documentation", "model-card": "documentation",
    "technical-report": "documentation", "research-paper": "documentation",
    "model-architecture": "source", "layered-image": "source", "vector-image": "source",
    "raster-image": "data", "sample-outputs": "evidence",
}


class _Graph:
    def __init__(self, base: str) -> None:
        self.base = base
        self.nodes: list[dict[str, Any]] = []
        self._n = 0

    def iri(self, local: str) -> str:
        return f"{self.base}{local}"

    def add(self, node: dict[str, Any]) -> str:
        node.setdefault("creationInfo", _CI)
        self.nodes.append(node)
        return str(node["spdxId"])

    def relate(self, source: str, kind: str, targets: list[str], **extra: Any) -> None:
        if not targets:
            return
        self._n += 1
        self.add({"type": extra.pop("type", "Relationship"),
                  "spdxId": self.iri(f"relationship-{self._n}"), "from": source,
                  "relationshipType": kind, "to": targets, **extra})


def _hashes(digest: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"type": "Hash", "algorithm": HASH_NAMES[k], "hashValue": v}
            for k, v in digest.items() if k in HASH_NAMES]


def _element(graph: _Graph, manifest: Manifest, art: Artifact) -> str:
    node: dict[str, Any] = {"spdxId": graph.iri(f"artifact-{art.id}"), "name": art.name}
    if art.kind in MODEL_KINDS:
        node["type"] = "ai_AIPackage"
    elif art.kind in DATA_KINDS and art.kind != "data-recipe":
        node["type"] = "dataset_DatasetPackage"
        node["dataset_datasetType"] = ["other"]
        if art.size is not None:
            node["dataset_datasetSize"] = art.size
    else:
        node["type"] = "software_File" if art.path else "software_Package"
    if node["type"] == "software_File":
        node["software_fileKind"] = "file"
    if art.description:
        node["description"] = art.description
    purpose = PURPOSES.get(art.kind or "")
    if purpose:
        node["software_primaryPurpose"] = purpose
    if art.media_type and node["type"] == "software_File":
        node["contentType"] = art.media_type
    hashes = _hashes(art.digest)
    if hashes:
        node["verifiedUsing"] = hashes
    if art.uri:
        node["software_downloadLocation"] = art.uri
    ident = graph.add(node)
    lic = manifest.license_of(art)
    if lic:
        graph.relate(ident, "hasDeclaredLicense", [_license(graph, lic)])
    return ident


def _license(graph: _Graph, expression: str) -> str:
    local = "license-" + uuid.uuid5(_NAMESPACE, expression).hex[:16]
    ident = graph.iri(local)
    if not any(n.get("spdxId") == ident for n in graph.nodes):
        graph.add({"type": "simplelicensing_LicenseExpression", "spdxId": ident,
                   "simplelicensing_licenseExpression": expression})
    return ident


def _release(graph: _Graph, manifest: Manifest) -> str:
    kind = release_class(manifest)
    node: dict[str, Any] = {"spdxId": graph.iri("release"), "name": manifest.name or "release"}
    if kind == "model":
        node["type"] = "ai_AIPackage"
        task = manifest.extensions.get("x-pipeline_tag")
        if isinstance(task, str):
            node["ai_domain"] = [task]
    elif kind == "dataset":
        node["type"] = "dataset_DatasetPackage"
        node["dataset_datasetType"] = ["other"]
    else:
        node["type"] = "software_Package"
    if manifest.version:
        node["software_packageVersion"] = manifest.version
    if manifest.description:
        node["description"] = manifest.description
    ident = graph.add(node)
    if manifest.license:
        graph.relate(ident, "hasDeclaredLicense", [_license(graph, manifest.license)])
    return ident


def _steps(graph: _Graph, manifest: Manifest, ids: dict[str, str]) -> None:
    index = manifest.artifact_index()
    trained_on = training_data(manifest)
    for step in manifest.steps:
        build: dict[str, Any] = {"type": "build_Build", "spdxId": graph.iri(f"step-{step.id}"),
                                 "build_buildType": "https://rebuildable.dev/buildtypes/"
                                                    "manifest-steps/v0.1",
                                 "build_buildId": step.id}
        if step.run:
            build["build_parameter"] = [{"type": "DictionaryEntry", "key": "run",
                                         "value": step.run}]
        ident = graph.add(build)
        inputs = [ids[r] for r in step.inputs if r in ids]
        outputs = [ids[r] for r in step.outputs if r in ids]
        graph.relate(ident, "hasInput", inputs)
        graph.relate(ident, "hasOutput", outputs)
        for source in inputs:
            graph.relate(source, "generates", outputs, type="LifecycleScopedRelationship",
                         scope="build")
        for out in step.outputs:
            if out in ids and index[out].kind in MODEL_KINDS:
                graph.relate(ids[out], "trainedOn",
                             [ids[d] for d in trained_on.get(out, []) if d in ids])


def to_spdx3(data: Mapping[str, Any], canonical: bytes, created: datetime | None = None
             ) -> dict[str, Any]:
    """An SPDX 3.0.1 JSON-LD document of the manifest ``data`` (``canonical``: its
    RFC 8785 bytes, which fix the identifiers)."""
    manifest = Manifest.from_data(data)
    doc_uuid = document_uuid(_NAMESPACE, canonical)
    graph = _Graph(f"https://rebuildable.dev/spdx/{doc_uuid}#")
    when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    agent = graph.iri("agent-rebuildable")
    tool = graph.iri("tool-rebuildable")
    creation = {"type": "CreationInfo", "@id": _CI, "specVersion": "3.0.1",
                "created": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "createdBy": [agent],
                "createdUsing": [tool]}
    graph.nodes.append(creation)
    graph.add({"type": "Agent", "spdxId": agent, "name": "rebuildable"})
    graph.add({"type": "Tool", "spdxId": tool, "name": f"rebuildable {__version__}"})
    release = _release(graph, manifest)
    ids = {a.id: _element(graph, manifest, a) for a in manifest.artifacts}
    graph.relate(release, "contains", list(ids.values()))
    _steps(graph, manifest, ids)
    for up in manifest.upstream:
        node: dict[str, Any] = {"type": "software_Package",
                                "spdxId": graph.iri(f"upstream-{up.id}"), "name": up.name or up.id}
        if up.version:
            node["software_packageVersion"] = up.version
        if up.uri:
            node["software_downloadLocation"] = up.uri
        hashes = _hashes(up.digest)
        if hashes:
            node["verifiedUsing"] = hashes
        if up.relation:
            node["comment"] = f"rebuildable relation: {up.relation}"
        graph.relate(graph.add(node), "ancestorOf", [release])
    sbom = graph.add({"type": "software_Sbom", "spdxId": graph.iri("sbom"),
                      "rootElement": [release], "software_sbomType": ["source"]})
    profiles = ["core", "software", "simpleLicensing", "build", "ai", "dataset"]
    graph.add({"type": "SpdxDocument", "spdxId": graph.iri("document"),
               "name": f"{manifest.name} {manifest.version}", "profileConformance": profiles,
               "rootElement": [sbom]})
    return {"@context": CONTEXT, "@graph": graph.nodes}
