"""Upstream releases: resolve each one, check its pin, validate it recursively.

The results are left in ``ctx.state.upstream`` (id -> :class:`ResolvedUpstream`) for
the profile and openness checks that run after this one.
"""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable.context import Context
from rebuildable.findings import Finding
from rebuildable.state import declare
from rebuildable.upstream import resolve


@declare(provides=["upstream"])
def check(ctx: Context) -> Iterator[Finding]:
    resolved, found = resolve(ctx)
    ctx.state.upstream = resolved
    yield from found
