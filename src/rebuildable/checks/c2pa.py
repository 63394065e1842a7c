"""C2PA: what a signed export says it was made from, against what the manifest says
(spec/c2pa.md, labels ``PROV``).

Every shipped PNG, JPEG or WebP that embeds a C2PA manifest store (found by the raster
sniffer without any library) is read with the optional c2pa library:

* without the library: ``c2pa.not-checked`` (info), one per such file;
* a store that does not read, or whose claim is broken or no longer bound to the
  file's bytes: ``c2pa.invalid`` (warning); its ingredients are then no evidence;
* an intact claim by a signer outside the validator's trust list: ``c2pa.untrusted``
  (info), apart from integrity;
* the ``parentOf`` ingredient is matched with a listed artifact, by digest first (an
  identifier ``sha256:<hex>``), else by title (the artifact's path, or a file name no
  other artifact has). A match links the export to that artifact (the report's ``c2pa``
  section); a title match whose pinned digest differs is ``c2pa.parent-digest-mismatch``,
  a linked parent outside the inputs of the step that makes the export is
  ``c2pa.parent-contradicts-step`` (both errors), and the parent of an output that names
  no listed artifact is ``c2pa.parent-not-shipped`` (warning).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rebuildable.checks.content import formats_for
from rebuildable.context import Context
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, finding
from rebuildable.formats import FormatInfo
from rebuildable.formats._base import READ_BUDGET
from rebuildable.formats.c2pa import (
    MIME_TYPES,
    C2paManifest,
    C2paOfflineError,
    C2paUnavailableError,
    C2paUnreadableError,
    Ingredient,
    clip,
    read_manifest,
)
from rebuildable.graph import StepGraph
from rebuildable.load import join_pointer
from rebuildable.model import Artifact
from rebuildable.release import safe_relative
from rebuildable.sections import C2pa
from rebuildable.state import declare

SECTION = "c2pa"

#: how many ingredients (and failure texts) one report entry lists [PROV-5]: the store
#: comes from the release, and a claim may list any number of them
MAX_INGREDIENTS = 100


@dataclass(frozen=True)
class Match:
    """The listed artifact a parent ingredient names, and how it was recognised."""

    artifact: Artifact
    by: str  # "digest" or "title"


@dataclass
class _Run:
    """What the check shares between the files it reads."""

    ctx: Context
    graph: StepGraph
    section: dict[str, dict[str, object]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)


@declare(uses=["formats"], provides=["c2pa_parents"])
def check(ctx: Context) -> Iterator[Finding]:
    ctx.state.c2pa_parents = {}
    if not ctx.options.hash_files:  # a structure-only run reads no file content
        return
    infos = formats_for(ctx)
    carriers = [(a, infos[a.path]) for a in ctx.manifest.artifacts
                if a.path is not None and a.path in infos and _carries(infos[a.path])]
    if not carriers:
        return
    run = _Run(ctx, StepGraph(ctx.manifest), parents=ctx.state.c2pa_parents)
    for art, info in carriers:
        yield from _one(run, art, info)
    if run.section:
        ctx.sections[SECTION] = C2pa(run.section)


def _carries(info: FormatInfo) -> bool:
    return info.format in MIME_TYPES and bool(info.details.get("c2pa")) and not info.problems


def _read(ctx: Context, art: Artifact, info: FormatInfo) -> C2paManifest | str | None:
    """The file's manifest, None when it has none, or why it was not read (a message)."""
    assert art.path is not None
    assert info.format is not None
    size = ctx.release.entries()[art.path].size
    if size > READ_BUDGET:
        return f"{art.path} is larger than {READ_BUDGET} bytes, the most read for C2PA"
    try:
        with ctx.release.open(art.path) as fh:
            if ctx.release.local_root() is None:
                # An archive member's stream does not seek the way the library's native
                # reader does (it fails with an untracked pointer): give it the bytes.
                return read_manifest(io.BytesIO(fh.read(READ_BUDGET)), info.format)
            return read_manifest(fh, info.format)
    except (MemberError, OSError) as exc:
        return f"{art.path} could not be read: {exc}"


def _one(run: _Run, art: Artifact, info: FormatInfo) -> Iterator[Finding]:
    ctx = run.ctx
    path_at = ctx.locate(join_pointer(art.pointer, "path"))
    try:
        manifest = _read(ctx, art, info)
    except C2paUnavailableError as exc:
        why = str(exc) if isinstance(exc, C2paOfflineError) else \
            "the c2pa library is not installed"
        yield finding("c2pa.not-checked",
                      f"{art.path} carries a C2PA manifest, which was not checked: {why}",
                      artifact=art.id, location=path_at, data={"reason": "unavailable"})
        return
    except C2paUnreadableError as exc:
        yield finding("c2pa.invalid", f"{art.path}: its C2PA manifest store does not read: {exc}",
                      artifact=art.id, location=path_at, data={"failures": [str(exc)]})
        return
    if isinstance(manifest, str):
        yield finding("c2pa.not-checked", manifest, artifact=art.id, location=path_at,
                      data={"reason": "unread"})
        return
    if manifest is None:
        yield finding("c2pa.invalid", f"{art.path} carries C2PA data but no manifest store",
                      artifact=art.id, location=path_at, data={"failures": []})
        return
    entry: dict[str, object] = {
        "path": art.path, "state": manifest.state, "intact": manifest.intact,
        "trusted": manifest.intact and not manifest.trust_failures,
        "signer": manifest.signer, "generator": manifest.generator,
        "ingredients": [i.to_dict() for i in manifest.ingredients[:MAX_INGREDIENTS]],
        "parent": None}
    if len(manifest.ingredients) > MAX_INGREDIENTS:
        entry["ingredients_omitted"] = len(manifest.ingredients) - MAX_INGREDIENTS
    run.section[art.id] = entry
    if not manifest.intact:
        shown = manifest.integrity_failures[:5]
        yield finding("c2pa.invalid",
                      f"{art.path}: its C2PA manifest fails verification: {'; '.join(shown)}",
                      artifact=art.id, location=path_at,
                      data={"failures": manifest.integrity_failures[:MAX_INGREDIENTS]})
        return  # a broken claim is no evidence, for or against the manifest
    if manifest.trust_failures:
        yield finding("c2pa.untrusted",
                      f"{art.path}: its C2PA manifest is intact, signed by "
                      f"{manifest.signer or 'an unnamed signer'}, whom this validator does not "
                      "trust", artifact=art.id, location=path_at,
                      data={"signer": manifest.signer, "failures": manifest.trust_failures})
    for ingredient in manifest.parents[:1]:  # C2PA allows one parentOf ingredient
        yield from _parent(run, art, ingredient, entry)


def _match(ctx: Context, ingredient: Ingredient, export: Artifact) -> Match | list[Artifact]:
    """The listed artifact the ingredient names, by a pinned digest then by title; when
    none does, the listed files its title could name (several: an ambiguous name)."""
    arts = [a for a in ctx.manifest.artifacts
            if (a.path is not None or a.uri is not None) and a.id != export.id]
    for alg, hexdigest in ingredient.digests.items():
        for a in arts:
            listed = a.digest.get(alg)
            if isinstance(listed, str) and listed.lower() == hexdigest:
                return Match(a, "digest")
    title = ingredient.title
    # A title is the file's name as the editor saw it; only one that can name a file
    # inside the release is compared (``../../etc/passwd`` must not link ``passwd``).
    if not title or not safe_relative(title) or any(ord(c) < 32 for c in title):
        return []
    exact = [a for a in arts if a.path == title]
    if exact:
        return Match(exact[0], "title")
    base = title.rsplit("/", 1)[-1]
    named = [a for a in arts if a.path is not None and a.path.rsplit("/", 1)[-1] == base]
    return Match(named[0], "title") if len(named) == 1 else named


def _parent(run: _Run, art: Artifact, ingredient: Ingredient,
            entry: dict[str, object]) -> Iterator[Finding]:
    ctx, graph = run.ctx, run.graph
    step = graph.producers.get(art.id)
    match = _match(ctx, ingredient, art)
    named = clip(ingredient.title or ingredient.instance_id or "an untitled file")
    if not isinstance(match, Match):
        if step is not None:
            listed = (f"which names {len(match)} listed files ("
                      f"{_inputs([a.path or a.id for a in match])}), so none is linked"
                      if match else "which the release does not list")
            yield finding("c2pa.parent-not-shipped",
                          f"{art.path}: its C2PA manifest says it was made from {named!r}, "
                          f"{listed}; step {step.id!r} makes it from "
                          f"{_inputs(step.inputs)}", artifact=art.id, step=step.id,
                          location=ctx.locate(join_pointer(step.pointer, "inputs")),
                          data={"ingredient": ingredient.to_dict()})
        return
    parent = match.artifact
    common = {alg: h for alg, h in ingredient.digests.items() if alg in parent.digest}
    if match.by == "title" and any(parent.digest[a].lower() != h for a, h in common.items()):
        alg = next(iter(common))
        yield finding("c2pa.parent-digest-mismatch",
                      f"{art.path}: its C2PA manifest names {parent.name} as its parent with "
                      f"{alg} {common[alg][:12]}…, but the manifest lists {parent.name} with "
                      f"{alg} {parent.digest[alg].lower()[:12]}…: the export was made from "
                      "another version of the file", artifact=art.id,
                      location=ctx.locate(join_pointer(parent.pointer, "digest")),
                      data={"parent": parent.id, "c2pa": common, "manifest": parent.digest})
        return
    entry["parent"] = {"artifact": parent.id, "path": parent.name, "by": match.by}
    run.parents[art.id] = parent.id
    if step is not None and parent.id != art.id and parent.id not in graph.closure(step):
        yield finding("c2pa.parent-contradicts-step",
                      f"{art.path}: its C2PA manifest says it was made from {parent.name}, but "
                      f"step {step.id!r}, which makes it, does not use {parent.name}: it uses "
                      f"{_inputs(step.inputs)}", artifact=art.id, step=step.id,
                      location=ctx.locate(join_pointer(step.pointer, "inputs")),
                      data={"parent": parent.id, "by": match.by})


def _inputs(refs: Sequence[str]) -> str:
    return ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "") \
        if refs else "nothing"
