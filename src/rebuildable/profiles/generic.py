"""``generic``: the core rules of ``spec/manifest.md`` only; no rule of its own."""

from __future__ import annotations

from rebuildable.profiles._base import Profile

PROFILE = Profile("generic", "Any kind of work (core rules only)")
