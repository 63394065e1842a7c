"""The static checks, one module each, run in this order. Each is a
:class:`~rebuildable.state.Check`: a function ``check(ctx) -> Iterable[Finding]`` that
declares which fields of ``ctx.state`` it needs, uses and provides. The order is
verified once, here, when this package is imported."""

from __future__ import annotations

from rebuildable.checks import (
    c2pa,
    completeness,
    content,
    integrity,
    keyless,
    licenses,
    openness,
    paths,
    profile,
    refs,
    remote,
    schema,
    shards,
    signature,
    unlisted,
    upstream,
)
from rebuildable.state import Check, check_order

CHECKS: tuple[Check, ...] = (
    schema.check,
    refs.check,
    paths.check,
    integrity.check,
    remote.check,
    shards.check,
    upstream.check,  # before unlisted: files of upstreams shipped inside are listed there
    unlisted.check,
    completeness.check,
    licenses.check,
    content.check,
    c2pa.check,  # after content, whose sniffing finds the files that carry C2PA
    profile.check,
    signature.check,
    keyless.check,
    openness.check,  # last: it reads every earlier finding
)
check_order(CHECKS)
