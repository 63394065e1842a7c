"""The static checks, one module each, run in this order. Each is a function
``check(ctx) -> Iterable[Finding]``; a later check may read what an earlier one left
in ``ctx.cache``."""

from __future__ import annotations

from rebuildable.checks import schema_check, refs
from rebuildable.context import Check

CHECKS: tuple[Check, ...] = (
    schema_check.check,
    refs.check,
)
