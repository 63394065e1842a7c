"""What every check receives: the release, the loaded document, the model, the options and
the typed state earlier checks computed (:mod:`rebuildable.state`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rebuildable.findings import Finding, Location
from rebuildable.load import Document, Limits
from rebuildable.model import Manifest
from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.release import Release
from rebuildable.state import Check, State

if TYPE_CHECKING:
    from rebuildable.archive import ArchiveLimits
    from rebuildable.remote.options import FetchOptions
    from rebuildable.report import Report
    from rebuildable.sections import Section

__all__ = ["Check", "Context", "NestedValidator", "Options", "State"]


@dataclass(frozen=True)
class Options:
    """How to validate. Immutable; the CLI, a registry service and tests build one each."""

    strict: bool = False
    workers: int = 2
    #: every finding and every per-artifact report entry, never folded or bounded
    #: (spec/manifest.md [REP-5])
    detail: bool = False
    limits: Limits = field(default_factory=Limits)
    progress: Progress = NO_PROGRESS
    #: folders holding upstream manifests (issue: kinds of work)
    upstream_dirs: tuple[Path, ...] = ()
    #: public keys (PEM bytes) whose valid signatures are required
    keys: tuple[bytes, ...] = ()
    threshold: int | None = None
    #: a trust policy file (YAML) naming keys and a threshold
    trust: Path | None = None
    #: verify this file (a Sigstore bundle or a bare DSSE envelope) instead of the
    #: release's rebuild.dsse.json
    bundle: Path | None = None
    #: verdicts that must hold, e.g. {"open-source"}
    require: frozenset[str] = frozenset()
    #: use jsonschema-rs, when installed, to decide validity fast
    accelerate: bool = True
    #: hash shipped files (off only for structure-only runs, e.g. in tests)
    hash_files: bool = True
    #: a folder for the digest cache (digest_cache.py): files of a folder release whose
    #: device, inode, size, mtime and ctime are unchanged since a run that hashed them are
    #: not read again. None (the default, and always for a registry): every file is read
    cache_dir: Path | None = None
    #: bounds for archive releases (zip-bomb guard); None means the defaults
    archive_limits: ArchiveLimits | None = None
    #: stream external (``uri``) artifacts and check their digests and sizes
    fetch: bool = False
    #: how to fetch (concurrency, retries, time-outs); None means the defaults
    fetch_options: FetchOptions | None = None
    #: a Dask scheduler address: external artifacts are fetched as tasks there
    dask: str | None = None
    #: where a ``uri`` upstream not found in ``upstream_dirs`` is looked up by digest (a
    #: registry): given the pinned strong digests, the manifest's bytes or None. Injected
    #: by the caller, so that the core makes no network request of its own.
    upstream_resolver: UpstreamResolver | None = None
    #: keyless signatures (spec/signatures.md §6a): the certificate identity and OIDC
    #: issuer a rebuild.sigstore.json bundle must carry; None: bundles are not checked
    identity: str | None = None
    issuer: str | None = None
    #: whose trusted root, as sigstore-python ships it: "production" or "staging"
    sigstore_instance: str = "production"


UpstreamResolver = Callable[[Mapping[str, str]], bytes | None]


#: validates a release nested in this one (an upstream): (release, options, chain of
#: manifest sha256s so far) -> its report and state. The engine passes itself in, so
#: that nothing below the engine imports it.
NestedValidator = Callable[[Release, Options, tuple[str, ...]], "tuple[Report, State]"]


@dataclass
class Context:
    release: Release
    document: Document
    manifest: Manifest
    options: Options
    #: values computed by one check and read by later ones (each check declares which)
    state: State = field(default_factory=State)
    #: report sections that checks fill ("verdicts", "signatures", ...)
    sections: dict[str, Section] = field(default_factory=dict)
    #: findings so far: the engine's own list, appended to as each check yields, so that a
    #: late check (openness verdicts) can read what the earlier ones found (unless detail
    #: is asked for, alike infos past the [REP-5] bound are counted, not kept)
    findings: list[Finding] = field(default_factory=list)
    #: sha256 of the manifests being validated, outermost first (upstream cycles)
    chain: tuple[str, ...] = ()
    #: how to validate an upstream release; None: upstreams are resolved, not validated
    nested: NestedValidator | None = None

    def locate(self, pointer: str) -> Location:
        return self.document.locate(pointer)
