"""Keyless signatures: a Sigstore bundle beside the manifest, checked offline under an
identity policy. The work is in :mod:`rebuildable.signing.keyless` (which ``verify``
shares), imported only when there is something to do: an identity policy was given or
a bundle is there (it and the statement code it needs are too heavy for every start)."""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable.context import Context
from rebuildable.errors import MemberError
from rebuildable.findings import Finding
from rebuildable.model import KEYLESS_BUNDLE_NAME
from rebuildable.state import declare

__all__ = ["check"]


def _bundle_present(ctx: Context) -> bool:
    parent = ctx.release.manifest_name.rpartition("/")[0]
    try:
        with ctx.release.open(f"{parent}/{KEYLESS_BUNDLE_NAME}" if parent
                              else KEYLESS_BUNDLE_NAME):
            return True
    except (MemberError, OSError):
        return False


@declare()
def check(ctx: Context) -> Iterator[Finding]:
    if ctx.options.identity is None and not _bundle_present(ctx):
        return  # what signing.keyless.check would conclude: nothing to say
    from rebuildable.signing.keyless import check as keyless  # noqa: PLC0415 - see above

    yield from keyless.run(ctx)
