"""What to run, in which order, and where each input goes in a step's work folder.

Pure functions over the manifest model: no I/O. See ``spec/rebuild.md`` for the
normative rules ([REB-2] ordering, [REB-4] input placement, [REB-7] SOURCE_DATE_EPOCH).
"""

from __future__ import annotations

import enum
import posixpath
import re
import urllib.parse
from dataclasses import dataclass

from rebuildable.graph import StepCycleError, StepGraph
from rebuildable.model import Artifact, Manifest, Step, UpstreamRef, split_ref

#: SOURCE_DATE_EPOCH when the manifest sets no ``x-source-date-epoch``: 1980-01-01T00:00:00Z,
#: the earliest time a ZIP archive can record (0 would make Python's zipfile and many
#: other archivers fail).
DEFAULT_SOURCE_DATE_EPOCH = 315532800

_SAFE_NAME = re.compile(r"[A-Za-z0-9._+-]+\Z")


class InputOrigin(enum.StrEnum):
    RELEASE = "release"  # a file shipped in the release, verified by digest
    REBUILT = "rebuilt"  # the output of an earlier step of this rebuild
    SHIPPED_OUTPUT = "shipped-output"  # an earlier step's output taken as shipped (--step)
    EXTERNAL = "external"  # an artifact with a uri: --inputs-dir or --fetch
    UPSTREAM = "upstream"  # an artifact of an upstream release


@dataclass(frozen=True, slots=True)
class InputPlan:
    ref: str  # as written in the step: "corpus" or "base:weights"
    place: str  # relative POSIX path inside the work folder
    origin: InputOrigin
    artifact: Artifact | None  # None for upstream refs (resolved at run time)
    producer: str | None = None  # the step that makes it, for REBUILT
    upstream: UpstreamRef | None = None


@dataclass(frozen=True, slots=True)
class StepPlan:
    step: Step
    inputs: tuple[InputPlan, ...]


class PlanError(ValueError):
    """The steps cannot be ordered (a cycle) or a requested step does not exist."""


def order_steps(manifest: Manifest) -> list[Step]:
    """Steps in dependency order; among steps that are ready together, manifest order.

    Raises :class:`PlanError` on a cycle (the static refs check reports cycles first,
    so a rebuild normally never gets here with one).
    """
    try:
        return StepGraph(manifest).order()
    except StepCycleError as exc:
        raise PlanError(str(exc)) from exc


def external_place(artifact: Artifact) -> str:
    """Where an external (``uri``) artifact goes: ``external/<id>/<last URI segment>``."""
    name = ""
    if artifact.uri:
        name = posixpath.basename(urllib.parse.urlsplit(artifact.uri).path)
        name = urllib.parse.unquote(name)
    if not name or name in (".", "..") or not _SAFE_NAME.match(name):
        name = artifact.id
    return f"external/{artifact.id}/{name}"


def upstream_base(ref: UpstreamRef) -> str:
    """The folder, inside the work folder, that an upstream's artifacts are placed under."""
    if ref.path:
        return posixpath.dirname(ref.path)
    return f"upstream/{ref.id}"


def plan_step(manifest: Manifest, step: Step, *, rebuilt_steps: set[str]) -> StepPlan:
    """Where each input of ``step`` comes from and where it is placed.

    ``rebuilt_steps`` are the steps of this rebuild that run before ``step``: an input
    produced by one of them is taken as rebuilt; one produced by a step outside the set
    (``--step``) is taken from the shipped file.
    """
    artifacts = manifest.artifact_index()
    # the first step that lists an output produces it, as everywhere (StepGraph)
    producers = {o: s.id for o, s in StepGraph(manifest).producers.items()}
    upstreams = {u.id: u for u in manifest.upstream}
    refs = list(step.inputs)
    if step.environment and step.environment not in refs:
        refs.append(step.environment)
    out: list[InputPlan] = []
    seen: set[str] = set()
    for ref in refs:
        if ref in seen:
            continue
        seen.add(ref)
        up, name = split_ref(ref)
        if up is not None:
            u = upstreams.get(up)
            out.append(InputPlan(ref, "", InputOrigin.UPSTREAM, None, upstream=u))
            continue
        art = artifacts.get(name)
        if art is None:
            continue  # dangling: the refs check reports it and the rebuild is refused
        if art.uri is not None and art.path is None:
            out.append(InputPlan(ref, external_place(art), InputOrigin.EXTERNAL, art))
        elif name in producers and producers[name] != step.id:
            origin = (InputOrigin.REBUILT if producers[name] in rebuilt_steps
                      else InputOrigin.SHIPPED_OUTPUT)
            out.append(InputPlan(ref, art.path or name, origin, art, producer=producers[name]))
        else:
            out.append(InputPlan(ref, art.path or name, InputOrigin.RELEASE, art))
    return StepPlan(step, tuple(out))


def source_date_epoch(manifest: Manifest) -> tuple[int, str]:
    """SOURCE_DATE_EPOCH for the steps and where it came from ("manifest" or "default")."""
    raw = manifest.extensions.get("x-source-date-epoch")
    if isinstance(raw, bool):
        raw = None
    if isinstance(raw, int) and raw >= 0:
        return raw, "manifest"
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw), "manifest"
    return DEFAULT_SOURCE_DATE_EPOCH, "default"

