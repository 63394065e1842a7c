"""Signatures: with trusted keys (``--key``/``--trust``), a valid DSSE signature over the
manifest's data is part of validation. Without them, an envelope that is present is
only mentioned (``sig.not-checked``): nothing is claimed about it.

The work is done by :func:`rebuildable.signing.verify.signature_findings`, which the
``rebuildable verify`` command shares; it fills ``ctx.sections["signatures"]``.
Run after the integrity check so that file digests come from ``ctx.state.hashes``.
"""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable.context import Context
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, Location, finding
from rebuildable.model import envelope_path
from rebuildable.sections import Signatures
from rebuildable.state import declare


@declare(uses=["hashes"])
def check(ctx: Context) -> Iterator[Finding]:
    options = ctx.options
    if options.keys or options.trust is not None or options.threshold is not None:
        # Key handling (cryptography) is imported only when keys are given.
        from rebuildable.signing.verify import signature_findings  # noqa: PLC0415

        yield from signature_findings(ctx)
        return
    path = envelope_path(ctx.release.manifest_name)
    try:
        with ctx.release.open(path):
            pass
    except (MemberError, OSError):
        return
    ctx.sections[Signatures.NAME] = Signatures(path, checked=False)
    yield finding("sig.not-checked",
                  f"{path} is present, but no trusted keys were given: its signatures were "
                  "not checked", location=Location(path))
