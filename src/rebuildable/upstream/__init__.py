"""Upstream releases: find each ``upstream`` manifest, check its pin, validate it.

An upstream is named by a path inside the release (``upstream/base/rebuild.yaml``) or by
a ``uri``. A path upstream is read through the release itself (so no link is followed
and nothing outside the release is read); a uri upstream is looked up offline in the
folders of :attr:`Options.upstream_dirs`, by digest first and then by file name, then
from the options' resolver (a registry) when there is one.

The manifest's bytes must match the pinned digest before anything else is trusted. A
matching upstream is validated recursively with the same engine; cycles are detected by
the sha256 of manifest bytes along the chain, and the chain is bounded by
:data:`MAX_DEPTH`. Results land in ``ctx.state.upstream`` as :class:`ResolvedUpstream`
values for the profile and openness checks.

Modules: :mod:`.resolved` (what resolving one upstream yields), :mod:`.releases` (an
upstream seen as a release: a folder of this one, or a fetched manifest alone),
:mod:`.lookup` (where a uri upstream's bytes are found), :mod:`.pinning` (the pin, the
chain and the upstream's own validation), :mod:`.resolving` (every upstream of a
manifest, in order).
"""

from rebuildable.upstream.lookup import digest_matches, find_offline
from rebuildable.upstream.pinning import MAX_DEPTH
from rebuildable.upstream.releases import FetchedManifest, SubRelease, inner_prefixes
from rebuildable.upstream.resolved import ResolvedUpstream, UpstreamStatus
from rebuildable.upstream.resolving import resolve

__all__ = [
    "MAX_DEPTH",
    "FetchedManifest",
    "ResolvedUpstream",
    "SubRelease",
    "UpstreamStatus",
    "digest_matches",
    "find_offline",
    "inner_prefixes",
    "resolve",
]
