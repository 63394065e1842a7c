"""Profiles: the rules of the kinds of work the manifest declares (spec/profiles.md)."""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable import profiles
from rebuildable.context import Context
from rebuildable.findings import Finding, finding
from rebuildable.state import declare
from rebuildable.suggest import closest


@declare(needs=["upstream"], uses=["formats", "hashes", "c2pa_parents"],
         provides=["profiles", "profile_sniffing"])
def check(ctx: Context) -> Iterator[Finding]:
    m = ctx.manifest
    chosen = []
    for i, name in enumerate(m.effective_profiles):
        profile = profiles.get(name)
        if profile is None:
            pointer = f"/profile/{i}" if m.profile_is_list else "/profile"
            meant = closest(name, sorted(profiles.REGISTRY))
            yield finding("profile.unknown",
                          f"unknown profile {name!r}; "
                          f"known: {', '.join(sorted(profiles.REGISTRY))}",
                          location=ctx.locate(pointer),
                          hint=f"Did you mean {meant!r}?" if meant is not None else None)
            continue
        chosen.append(profile)
    view = profiles.View(ctx)
    yield from profiles.run(view, chosen)
    ctx.state.profiles = [p.name for p in chosen]
    if view.sniffing_unavailable:
        ctx.state.profile_sniffing = "kinds and file extensions only"
