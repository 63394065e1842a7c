"""Profiles: the kinds of work a release can declare (``profile:`` in the manifest).

Each profile is a small :class:`Profile` object, a named tuple of labelled :class:`Rule`
values (``spec/profiles.md`` gives their text); a profile may include another's rules
(``adapter`` includes ``ml-model``). :data:`REGISTRY` maps each name to its profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rebuildable.findings import Finding
from rebuildable.profiles import adapter, artwork, dataset, generic, ml_model, software
from rebuildable.profiles._base import Profile, Rule, View

__all__ = ["REGISTRY", "Profile", "Rule", "View", "get", "run"]

REGISTRY: dict[str, Profile] = {p.name: p for p in (
    software.PROFILE,
    ml_model.PROFILE,
    adapter.PROFILE,
    dataset.PROFILE,
    artwork.PROFILE,
    generic.PROFILE,
)}


def get(name: str) -> Profile | None:
    return REGISTRY.get(name)


def run(view: View, profiles: Iterable[Profile]) -> Iterator[Finding]:
    """Run the rules of several profiles, each rule once (by label) even when two
    profiles share it (``ml-model`` and ``adapter``)."""
    done: set[str] = set()
    for profile in profiles:
        for rule in profile.rules:
            if rule.label in done:
                continue
            done.add(rule.label)
            for f in rule(view):
                yield Finding(code=f.code, severity=f.severity, message=f.message,
                              artifact=f.artifact, step=f.step, upstream=f.upstream,
                              location=f.location, hint=f.hint,
                              data={**f.data, "profile": profile.name})
