"""Schema conformance and the spec version."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from rebuildable import schema
from rebuildable.context import Context
from rebuildable.findings import Finding, finding
from rebuildable.model import KIND_VOCABULARY, RELATION_VOCABULARY, SUPPORTED_SPECS
from rebuildable.state import declare
from rebuildable.suggest import closest


@declare()
def check(ctx: Context) -> Iterator[Finding]:
    spec = ctx.manifest.spec
    if spec is not None and spec not in SUPPORTED_SPECS:
        yield finding("schema.unsupported-spec",
                      f"spec {spec!r} is not supported; this validator knows "
                      f"{', '.join(sorted(SUPPORTED_SPECS))}",
                      location=ctx.locate("/spec"))
    for f in schema.schema_findings(ctx.document, use_accelerator=ctx.options.accelerate):
        pointer = f.location.pointer if f.location is not None else None
        if (f.code == "schema.invalid-value" or pointer == "/profile") and pointer \
                and _STEP_REF.match(pointer) and _is_name(ctx, pointer):
            # A step reference that is no id at all (a path, usually) names no artifact:
            # the refs check says so once, with the id that was meant.
            continue
        yield f
    yield from _kinds(ctx)
    yield from _relations(ctx)


#: where a step names an artifact (its inputs, outputs and environment), and where the
#: release names its profiles: a value there that is no id or profile name is reported
#: once, by the refs or profile check, with the name that was meant (the schema's
#: oneOf would otherwise say "expected a list" of a misspelt profile name)
_STEP_REF = re.compile(r"^/steps/[0-9]+/(inputs/[0-9]+|outputs/[0-9]+|environment)$"
                       r"|^/profile(/[0-9]+)?$")


def _is_name(ctx: Context, pointer: str) -> bool:
    """Whether the value at ``pointer`` is a string (a name the later checks judge)."""
    value: object = ctx.document.data
    for token in pointer.strip("/").split("/"):
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return False
    return isinstance(value, str)


def _near_miss(value: str | None, vocabulary: Collection[str]) -> str | None:
    """The vocabulary word ``value`` is one or two letters away from, when it is not a
    word of it nor an ``x-`` extension: open-ended fields allow new words, not typos."""
    if not value or value in vocabulary or value.startswith("x-"):
        return None
    return closest(value, vocabulary, cutoff=0.8)


def _kinds(ctx: Context) -> Iterator[Finding]:
    """A kind outside the vocabulary is allowed (kinds are open-ended), but one a letter
    or two away from a known kind is almost surely that kind mistyped: no rule would
    read it, so it is a warning with the kind that was meant."""
    for art in ctx.manifest.artifacts:
        meant = _near_miss(art.kind, KIND_VOCABULARY)
        if meant is None:
            continue
        yield finding("schema.unknown-kind",
                      f"artifact {art.id!r}: kind {art.kind!r} is not in the vocabulary; "
                      f"did you mean {meant!r}?",
                      artifact=art.id, location=ctx.locate(f"{art.pointer}/kind"),
                      hint=f"Did you mean {meant!r}? No check or profile rule gives "
                           f"{art.kind!r} a meaning.",
                      data={"kind": art.kind, "suggestion": meant})


def _relations(ctx: Context) -> Iterator[Finding]:
    """Relations are open-ended like kinds, and a near miss of one with a fixed meaning
    (``finetune-of``, ``adaptor-of``) is a typo that lineage queries would not match."""
    for up in ctx.manifest.upstream:
        meant = _near_miss(up.relation, RELATION_VOCABULARY)
        if meant is None:
            continue
        yield finding("schema.unknown-relation",
                      f"upstream {up.id!r}: relation {up.relation!r} is not in the "
                      f"vocabulary; did you mean {meant!r}?",
                      upstream=up.id, location=ctx.locate(f"{up.pointer}/relation"),
                      hint=f"Did you mean {meant!r}? Registries and exports read the "
                           "relations of the vocabulary; this one means nothing to them.",
                      data={"relation": up.relation, "suggestion": meant})
