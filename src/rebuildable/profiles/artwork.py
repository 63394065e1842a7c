"""``artwork``: exported rasters come from the layered or vector source (ART).

A PNG is not its PSD: the preferred form for modifying a picture is the layered project
file (PSD/PSB, XCF, KRA, ORA) or the vector source, never the flattened export.
"""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable.findings import Finding, finding
from rebuildable.profiles._base import (
    LAYERED,
    RASTER,
    VECTOR,
    Profile,
    Rule,
    View,
    output_copies_input,
    rule,
)

EDITABLE = frozenset({LAYERED, VECTOR})


@rule("ART-1", "every raster output MUST be produced from a layered or vector source")
def raster_from_layered(view: View, r: Rule) -> Iterator[Finding]:
    for art, step in view.outputs():
        if view.family(art) == RASTER and not (view.closure_families(step) & EDITABLE):
            parent = view.index.get((view.ctx.state.c2pa_parents or {}).get(art.id, ""))
            evidence = parent if parent and view.family(parent) in EDITABLE else None
            yield finding("profile.raster-not-from-layered",
                          f"raster image {art.name} is made by step {step.id!r}, which consumes "
                          "no layered or vector image"
                          + (f"; its C2PA manifest names {evidence.name} as its parent"
                             if evidence else ""), artifact=art.id, step=step.id,
                          location=view.at_step(step, "inputs"),
                          hint=f"Add {evidence.id} to the inputs of step {step.id!r}."
                          if evidence else None,
                          data={"c2pa_parent": evidence.id} if evidence else None)


@rule("ART-2", "raster images MUST NOT be the only sources of the work")
def raster_only(view: View, r: Rule) -> Iterator[Finding]:
    sources = list(view.sources())
    rasters = [a for a in sources if view.family(a) == RASTER]
    if rasters and not any(view.family(a) in EDITABLE for a in sources):
        for art in rasters:
            yield finding("profile.raster-only-source",
                          f"{art.name} is a raster image declared as a source, and the release "
                          "ships no layered or vector source it was made from",
                          artifact=art.id, location=view.at_artifact(art))


@rule("ART-3", "a raster source that carries a layered editor's metadata SHOULD be an output")
def raster_from_editor(view: View, r: Rule) -> Iterator[Finding]:
    for art in view.sources():
        if view.family(art) != RASTER:
            continue
        editor = view.editor(art)
        if editor:
            yield finding("profile.raster-exported-by-editor",
                          f"{art.name} is declared as a source, but its metadata says it was "
                          f"written by {editor}, a layered editor: it is an export",
                          artifact=art.id, location=view.at_artifact(art), data={"editor": editor})


PROFILE = Profile("artwork", "Pictures, illustrations and other artwork", (
    raster_from_layered,
    raster_only,
    raster_from_editor,
    output_copies_input,
))
