"""Schema conformance and the spec version."""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable import schema
from rebuildable.context import Context
from rebuildable.findings import Finding, finding
from rebuildable.model import SUPPORTED_SPECS
from rebuildable.state import declare


@declare()
def check(ctx: Context) -> Iterator[Finding]:
    spec = ctx.manifest.spec
    if spec is not None and spec not in SUPPORTED_SPECS:
        yield finding("schema.unsupported-spec",
                      f"spec {spec!r} is not supported; this validator knows "
                      f"{', '.join(sorted(SUPPORTED_SPECS))}",
                      location=ctx.locate("/spec"))
    yield from schema.schema_findings(ctx.document, use_accelerator=ctx.options.accelerate)
