"""The static checks, one module each, run in this order. Each is a function
``check(ctx) -> Iterable[Finding]``; a later check may read what an earlier one left
in ``ctx.cache``."""

from __future__ import annotations

from rebuildable.checks import (
    completeness,
    content,
    integrity,
    licenses,
    openness,
    paths,
    profile,
    refs,
    remote,
    schema,
    signature,
    unlisted,
    upstream,
)
from rebuildable.context import Check

CHECKS: tuple[Check, ...] = (
    schema.check,
    refs.check,
    paths.check,
    integrity.check,
    remote.check,
    upstream.check,  # before unlisted: files of upstreams shipped inside are listed there
    unlisted.check,
    completeness.check,
    licenses.check,
    content.check,
    profile.check,
    signature.check,
    openness.check,  # last: it reads every earlier finding
)
