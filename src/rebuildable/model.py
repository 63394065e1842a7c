"""The typed manifest model, built once from a loaded document.

Model objects are read-only by convention: nothing assigns to them after building.
They are not ``frozen`` dataclasses because a frozen one costs twice as much to build,
and a manifest may list 100,000 artifacts.

Building is tolerant: a malformed item is skipped or a malformed field becomes None,
because the schema check already reports it and the other checks should still see
everything that is well-formed. The model never mutates the document's data.
Unknown ``x-`` fields are kept in ``extensions`` so that :meth:`Manifest.to_dict`
round-trips.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, repeat
from typing import Any

SPEC_VERSION = "rebuildable/0.1"
SUPPORTED_SPECS = frozenset({SPEC_VERSION})
MANIFEST_NAMES = ("rebuild.yaml", "rebuild.yml", "rebuild.json")
ENVELOPE_NAME = "rebuild.dsse.json"
#: a keyless (Sigstore) signature bundle beside the manifest (spec/signatures.md §6a)
KEYLESS_BUNDLE_NAME = "rebuild.sigstore.json"
IGNORE_FILE = ".rebuildignore"

KIND_VOCABULARY = (
    "source-code", "build-script", "training-code", "evaluation-code", "data-processing-code",
    "inference-code", "model-architecture", "config", "dataset", "shard-index",
    "data-recipe",
    "evaluation-data", "weights", "checkpoint", "adapter", "tokenizer", "environment",
    "layered-image", "vector-image", "raster-image", "binary", "document", "model-card",
    "data-card", "evaluation-results", "technical-report", "research-paper", "sample-outputs",
    "other",
)

#: upstream relations with a fixed meaning (spec/manifest.md 7.3); others are allowed
RELATION_VOCABULARY = ("fine-tune-of", "adapter-of", "derived-from", "distilled-from",
                       "quantized-from", "subset-of")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strs(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _digest(value: Any) -> dict[str, str]:
    if type(value) is not dict:
        return {}
    return {k: v for k, v in value.items() if type(v) is str}


def _extensions(raw: Mapping[str, Any]) -> dict[str, Any]:
    # Most items have no extension field: find that out without a Python-level loop.
    if not any(map(str.startswith, raw, repeat("x-"))):
        return {}
    return {k: v for k, v in raw.items() if k.startswith("x-")}


@dataclass(slots=True)
class Artifact:
    id: str
    pointer: str
    kind: str | None = None
    path: str | None = None
    uri: str | None = None
    digest: dict[str, str] = field(default_factory=dict)
    size: int | None = None
    license: str | None = None
    media_type: str | None = None
    description: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def shipped(self) -> bool:
        return self.path is not None

    @property
    def name(self) -> str:
        """What the artifact is called outside the manifest: its path or its uri."""
        return self.path or self.uri or self.id

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], pointer: str, *, plain: bool = False
                 ) -> Artifact | None:
        """``plain``: the caller found that no artifact has an ``x-`` field and every
        digest is a mapping of strings (:func:`_plain_artifacts`), so neither needs
        filtering."""
        # Written out flat (no helper per field): this runs once per artifact, and a
        # manifest may hold 1,000,000 of them.
        get = raw.get
        ident = get("id")
        if type(ident) is not str:
            return None
        kind, path, uri, lic = get("kind"), get("path"), get("uri"), get("license")
        size = get("size")
        media, desc = get("media-type"), get("description")
        return cls(
            ident, pointer,
            kind if type(kind) is str else None,
            path if type(path) is str else None,
            uri if type(uri) is str else None,
            dict(get("digest")) if plain else _digest(get("digest")),  # type: ignore[arg-type]
            size if type(size) is int else None,
            lic if type(lic) is str else None,
            media if type(media) is str else None,
            desc if type(desc) is str else None,
            {} if plain else _extensions(raw),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.path is not None:
            out["path"] = self.path
        if self.uri is not None:
            out["uri"] = self.uri
        if self.kind is not None:
            out["kind"] = self.kind
        out["digest"] = dict(self.digest)
        for key, value in (("size", self.size), ("license", self.license),
                           ("media-type", self.media_type), ("description", self.description)):
            if value is not None:
                out[key] = value
        out.update(self.extensions)
        return out


@dataclass(slots=True)
class Step:
    id: str
    pointer: str
    run: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    environment: str | None = None
    equivalence: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    #: intermediate states the step published, in order, ending with its output
    #: (spec/rebuild.md, sampled replay); each is an output of the step
    checkpoints: tuple[str, ...] = ()
    #: the command template that runs one segment ({from}, {to}, {out}, {index})
    replay: str | None = None
    #: what one full run takes (reported, never checked)
    cost: dict[str, Any] | None = None
    #: the outputs as written (``outputs`` adds the checkpoints the step also makes)
    declared_outputs: tuple[str, ...] | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], pointer: str) -> Step | None:
        ident = _str(raw.get("id"))
        if ident is None:
            return None
        equivalence = raw.get("equivalence")
        declared = _strs(raw.get("outputs"))
        checkpoints = _strs(raw.get("checkpoints"))
        cost = raw.get("cost")
        return cls(
            id=ident, pointer=pointer, run=_str(raw.get("run")), inputs=_strs(raw.get("inputs")),
            # a checkpoint is something the step makes: the graph sees it as an output
            outputs=declared + tuple(c for c in dict.fromkeys(checkpoints) if c not in declared),
            environment=_str(raw.get("environment")),
            equivalence=dict(equivalence) if isinstance(equivalence, dict) else {},
            description=_str(raw.get("description")), extensions=_extensions(raw),
            checkpoints=checkpoints, replay=_str(raw.get("replay")),
            cost=dict(cost) if isinstance(cost, dict) else None, declared_outputs=declared,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.run is not None:
            out["run"] = self.run
        out["inputs"] = list(self.inputs)
        out["outputs"] = list(self.outputs if self.declared_outputs is None
                              else self.declared_outputs)
        if self.checkpoints:
            out["checkpoints"] = list(self.checkpoints)
        if self.replay is not None:
            out["replay"] = self.replay
        if self.cost is not None:
            out["cost"] = dict(self.cost)
        if self.environment is not None:
            out["environment"] = self.environment
        if self.equivalence:
            out["equivalence"] = dict(self.equivalence)
        if self.description is not None:
            out["description"] = self.description
        out.update(self.extensions)
        return out


@dataclass(slots=True)
class UpstreamRef:
    id: str
    pointer: str
    relation: str | None = None
    path: str | None = None
    uri: str | None = None
    digest: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    version: str | None = None
    description: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], pointer: str) -> UpstreamRef | None:
        ident = _str(raw.get("id"))
        if ident is None:
            return None
        manifest = raw.get("manifest")
        manifest = manifest if isinstance(manifest, dict) else {}
        return cls(
            id=ident, pointer=pointer, relation=_str(raw.get("relation")),
            path=_str(manifest.get("path")), uri=_str(manifest.get("uri")),
            digest=_digest(manifest.get("digest")), name=_str(raw.get("name")),
            version=_str(raw.get("version")), description=_str(raw.get("description")),
            extensions=_extensions(raw),
        )

    def to_dict(self) -> dict[str, Any]:
        manifest: dict[str, Any] = {}
        if self.path is not None:
            manifest["path"] = self.path
        if self.uri is not None:
            manifest["uri"] = self.uri
        manifest["digest"] = dict(self.digest)
        out: dict[str, Any] = {"id": self.id}
        if self.relation is not None:
            out["relation"] = self.relation
        for key, value in (("name", self.name), ("version", self.version),
                           ("description", self.description)):
            if value is not None:
                out[key] = value
        out["manifest"] = manifest
        out.update(self.extensions)
        return out


@dataclass(frozen=True)
class Manifest:
    spec: str | None
    name: str | None
    version: str | None
    license: str | None = None
    profiles: tuple[str, ...] = ()
    description: str | None = None
    artifacts: tuple[Artifact, ...] = ()
    steps: tuple[Step, ...] = ()
    upstream: tuple[UpstreamRef, ...] = ()
    extensions: dict[str, Any] = field(default_factory=dict)
    # Whether `profile:` was written as a list (kept for a faithful round-trip).
    profile_is_list: bool = False

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Manifest:
        profile = data.get("profile")
        profiles = (profile,) if isinstance(profile, str) else _strs(profile)
        return cls(
            spec=_str(data.get("spec")), name=_str(data.get("name")),
            version=_str(data.get("version")), license=_str(data.get("license")),
            profiles=profiles, description=_str(data.get("description")),
            artifacts=_artifacts(data.get("artifacts")),
            steps=tuple(_items(data.get("steps"), "/steps", Step.from_raw)),
            upstream=tuple(_items(data.get("upstream"), "/upstream", UpstreamRef.from_raw)),
            extensions=_extensions(data), profile_is_list=isinstance(profile, list),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (("spec", self.spec), ("name", self.name), ("version", self.version),
                           ("license", self.license)):
            if value is not None:
                out[key] = value
        if self.profiles:
            out["profile"] = list(self.profiles) if self.profile_is_list else self.profiles[0]
        if self.description is not None:
            out["description"] = self.description
        out["artifacts"] = [a.to_dict() for a in self.artifacts]
        if self.steps:
            out["steps"] = [s.to_dict() for s in self.steps]
        if self.upstream:
            out["upstream"] = [u.to_dict() for u in self.upstream]
        out.update(self.extensions)
        return out

    # -- derived views (built once per manifest: the checks call them per finding) ---

    @property
    def effective_profiles(self) -> tuple[str, ...]:
        return self.profiles or ("generic",)

    @cached_property
    def _artifact_index(self) -> Mapping[str, Artifact]:
        out: dict[str, Artifact] = {}
        for a in self.artifacts:
            out.setdefault(a.id, a)
        return out

    @cached_property
    def _producers(self) -> Mapping[str, Step]:
        out: dict[str, Step] = {}
        for s in self.steps:
            for o in s.outputs:
                out.setdefault(o, s)
        return out

    @cached_property
    def _outputs(self) -> frozenset[str]:
        return frozenset(o for s in self.steps for o in s.outputs)

    def artifact_index(self) -> Mapping[str, Artifact]:
        """Artifacts by id; the first wins when ids repeat (the ids check reports it).
        Built once: a manifest is never changed after it is built."""
        return self._artifact_index

    def producers(self) -> Mapping[str, Step]:
        """Output artifact id -> the (first) step that lists it."""
        return self._producers

    def outputs(self) -> frozenset[str]:
        return self._outputs

    def sources(self) -> Iterator[Artifact]:
        outs = self.outputs()
        return (a for a in self.artifacts if a.id not in outs)

    def license_of(self, artifact: Artifact) -> str | None:
        return artifact.license if artifact.license is not None else self.license


def envelope_path(manifest_name: str) -> str:
    """The signature envelope's path in a release: beside the manifest."""
    folder = manifest_name.rpartition("/")[0]
    return f"{folder}/{ENVELOPE_NAME}" if folder else ENVELOPE_NAME


def split_ref(ref: str) -> tuple[str | None, str]:
    """'base:weights' -> ('base', 'weights'); 'weights' -> (None, 'weights')."""
    if ":" in ref:
        upstream, _, artifact = ref.partition(":")
        return upstream, artifact
    return None, ref


def _artifacts(value: Any) -> tuple[Artifact, ...]:
    if not isinstance(value, list):
        return ()
    plain = _plain_artifacts(value)
    build = Artifact.from_raw
    built = (build(raw, f"/artifacts/{i}", plain=plain)
             for i, raw in enumerate(value) if type(raw) is dict)
    return tuple(a for a in built if a is not None)


def _plain_artifacts(items: list[Any]) -> bool:
    """No ``x-`` field anywhere and every digest a mapping of strings: then items need
    no per-field filtering. Decided over all items at once, mostly in C."""
    mappings = [raw for raw in items if type(raw) is dict]
    if any(k.startswith("x-") for k in set().union(*mappings)):
        return False
    digests: list[Any] = [raw.get("digest") for raw in mappings]
    if not all(map(dict.__instancecheck__, digests)):
        return False
    return set(map(type, chain.from_iterable(map(dict.values, digests)))) <= {str}


def _items(value: Any, pointer: str, build: Any) -> Iterator[Any]:
    if not isinstance(value, list):
        return
    for i, raw in enumerate(value):
        if isinstance(raw, dict):
            item = build(raw, f"{pointer}/{i}")
            if item is not None:
                yield item
