"""Upstream releases: find each ``upstream`` manifest, check its pin, validate it.

An upstream is named by a path inside the release (``upstream/base/rebuild.yaml``) or by
a ``uri``. A path upstream is read through the release itself (so no link is followed
and nothing outside the release is read); a uri upstream is looked up offline in the
folders of :attr:`Options.upstream_dirs`, by digest first and then by file name.

The manifest's bytes must match the pinned digest before anything else is trusted. A
matching upstream is validated recursively with the same engine; cycles are detected by
the sha256 of manifest bytes along the chain, and the chain is bounded by
:data:`MAX_DEPTH`. Results land in ``ctx.state.upstream`` as :class:`ResolvedUpstream`
values for the profile and openness checks.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from rebuildable import digest as digests
from rebuildable.digest import pinned_digests
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, Location, Severity, finding
from rebuildable.load import load_manifest
from rebuildable.model import (
    ENVELOPE_NAME,
    MANIFEST_NAMES,
    Artifact,
    Manifest,
    UpstreamRef,
    split_ref,
)
from rebuildable.release import Entry, EntryType, FolderRelease, Release, safe_relative

if TYPE_CHECKING:
    from rebuildable.context import Context
    from rebuildable.report import Report

__all__ = [
    "MAX_DEPTH",
    "ResolvedUpstream",
    "SubRelease",
    "UpstreamStatus",
    "inner_prefixes",
    "resolve",
]

#: how many releases an upstream chain may hold, this one included
MAX_DEPTH = 8
#: at most this many upstream errors are repeated, per upstream, in the outer report
MAX_RELABELLED = 50
#: codes that make no sense for a lone manifest found in an upstream folder (its files
#: are not there): they are dropped when such a manifest is validated
_FILE_CODES = ("integrity.", "unlisted.", "completeness.missing-source", "path.symlink",
               "path.not-regular", "path.hardlink")


class UpstreamStatus(enum.StrEnum):
    VALID = "valid"  # resolved, pin matches, validated without errors
    INVALID = "invalid"  # resolved, pin matches, validation found errors
    UNRESOLVED = "unresolved"  # a uri upstream with no local copy
    MISSING = "missing"  # a path upstream that is not a regular file of the release
    ESCAPES = "escapes"  # a path upstream that is not a safe relative path
    WEAK = "weak"  # no strong digest to check the bytes against
    MISMATCH = "mismatch"  # bytes differ from the pin
    CYCLE = "cycle"
    TOO_DEEP = "too-deep"

    @property
    def checked(self) -> bool:
        """True when the upstream's bytes are the pinned ones and it was validated."""
        return self in (UpstreamStatus.VALID, UpstreamStatus.INVALID)


@dataclass
class ResolvedUpstream:
    ref: UpstreamRef
    status: UpstreamStatus
    #: where it was found: a path inside the release or a file on disk
    source: str | None = None
    #: sha256 of the manifest bytes that were read
    sha256: str | None = None
    #: the upstream's manifest model (only when its bytes match the pin)
    manifest: Manifest | None = None
    #: the upstream's own validation report (only when validated)
    report: Report | None = None
    #: True when only the manifest was available (no files to check)
    manifest_only: bool = False
    #: the upstream's own upstreams, as its validation resolved them
    nested: dict[str, ResolvedUpstream] = field(default_factory=dict)

    def artifact(self, ident: str) -> Artifact | None:
        if self.manifest is None:
            return None
        return self.manifest.artifact_index().get(ident)

    def covered_paths(self) -> set[str]:
        """Paths, relative to the folder of this upstream's manifest, that its manifest
        and its own (nested) upstreams account for: manifest, envelope, artifacts."""
        if self.manifest is None or self.source is None:
            return set()
        name = posixpath.basename(self.source)
        out = {name, ENVELOPE_NAME}
        out.update(a.path for a in self.manifest.artifacts if a.path is not None)
        # Its own upstream manifests are listed by it, as in its own validation [FILE-1].
        out.update(u.path for u in self.manifest.upstream if u.path is not None)
        for inner in self.nested.values():
            if inner.source is None or inner.source.startswith("/") or not inner.checked:
                continue
            folder = posixpath.dirname(inner.source)
            out.update(posixpath.join(folder, p) if folder else p for p in inner.covered_paths())
        return out

    @property
    def checked(self) -> bool:
        return self.status.checked


class SubRelease(Release):
    """A folder inside another release, seen as a release of its own."""

    def __init__(self, parent: Release, folder: str, manifest_name: str) -> None:
        self.parent = parent
        #: the folder inside the parent release ("" for the parent's root)
        self.folder = folder
        self.prefix = f"{parent.prefix}{folder}/" if folder else parent.prefix
        self.manifest_name = manifest_name
        self.label = f"{parent.label}/{folder}" if folder else parent.label
        self.findings = []
        self._entries: dict[str, Entry] | None = None

    def _full(self, path: str) -> str:
        return f"{self.folder}/{path}" if self.folder else path

    def entries(self) -> Mapping[str, Entry]:
        if self._entries is None:
            if not self.folder:
                self._entries = dict(self.parent.entries())
            else:
                head = self.folder + "/"
                self._entries = {
                    p[len(head):]: dataclasses.replace(e, path=p[len(head):])
                    for p, e in self.parent.entries().items() if p.startswith(head)
                }
        return self._entries

    def open(self, path: str) -> BinaryIO:
        return self.parent.open(self._full(path))

    def local_root(self) -> Path | None:
        root = self.parent.local_root()
        if root is None:
            return None
        return root / self.folder if self.folder else root


def inner_prefixes(manifest: Manifest) -> list[str]:
    """Folders of the release that hold an upstream release shipped inside it.

    The files below them belong to that upstream (its own manifest lists them), so the
    unlisted-file check should not ask the outer manifest to list them again.
    """
    out: list[str] = []
    for ref in manifest.upstream:
        if ref.path and safe_relative(ref.path):
            folder = posixpath.dirname(ref.path)
            if folder:
                out.append(folder)
    return out


def _hash(data: bytes, algorithms: list[str]) -> dict[str, str]:
    out = {}
    for alg in algorithms:
        factory = digests.ALGORITHMS[alg].factory
        assert factory is not None  # filtered by _strong
        h = factory()
        h.update(data)
        out[alg] = h.hexdigest()
    return out


def digest_matches(data: bytes, strong: Mapping[str, str]) -> bool:
    """Do ``data`` match every digest of ``strong`` (from :func:`pinned_digests`)?"""
    return bool(strong) and _hash(data, sorted(strong)) == dict(strong)


def _own_digest(ctx: Context) -> str:
    try:
        return hashlib.sha256(ctx.release.read_manifest()).hexdigest()
    except (OSError, MemberError):
        return ""


def _read_limited(fh: BinaryIO, limit: int) -> bytes:
    with fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise MemberError("load.too-large", f"larger than {limit} bytes")
    return data


def _search_dirs(dirs: tuple[Path, ...], ref: UpstreamRef) -> Iterator[Path]:
    """Candidate manifest files for a uri upstream: every manifest-like file in the
    folders (and their direct subfolders), those whose name matches first."""
    wanted = posixpath.basename((ref.uri or "").split("?")[0].split("#")[0])
    names: list[Path] = []
    for base in dirs:
        if not base.is_dir():
            continue
        for pattern in ("*.yaml", "*.yml", "*.json", "*/rebuild.yaml", "*/rebuild.yml",
                        "*/rebuild.json"):
            names.extend(p for p in sorted(base.glob(pattern))
                         if p.is_file() and not p.is_symlink())
    names.sort(key=lambda p: (p.name != wanted, str(p)))
    seen: set[Path] = set()
    for p in names:
        if p not in seen:
            seen.add(p)
            yield p


def resolve(ctx: Context) -> tuple[dict[str, ResolvedUpstream], list[Finding]]:
    """Resolve, pin-check and validate every upstream of ``ctx.manifest``."""
    chain = ctx.chain or (_own_digest(ctx),)
    resolved: dict[str, ResolvedUpstream] = {}
    found: list[Finding] = []
    for ref in ctx.manifest.upstream:
        if ref.id in resolved:
            continue  # duplicate ids are the ids check's business
        item, items = _resolve_one(ctx, ref, chain)
        resolved[ref.id] = item
        found.extend(items)
    found.extend(_dangling(ctx, resolved))
    return resolved, found


def _resolve_one(ctx: Context, ref: UpstreamRef,
                 chain: tuple[str, ...]) -> tuple[ResolvedUpstream, list[Finding]]:
    limit = ctx.options.limits.max_bytes
    strong = pinned_digests(ref.digest, checkable=True)
    out: list[Finding] = []
    # Path and pin are both facts of this manifest: report both, then read nothing.
    escapes = ref.path is not None and not safe_relative(ref.path)
    if escapes:
        out.append(finding("upstream.path-escapes",
                           f"upstream {ref.id!r} manifest path {ref.path!r} is not a safe "
                           "relative path inside the release",
                           upstream=ref.id,
                           location=ctx.locate(f"{ref.pointer}/manifest/path")))
    if not strong:
        out.append(finding("upstream.weak-digest",
                           f"upstream {ref.id!r} is not pinned by a strong digest "
                           f"(have: {', '.join(sorted(ref.digest)) or 'none'})",
                           upstream=ref.id, location=ctx.locate(f"{ref.pointer}/manifest/digest")))
    if escapes or not strong:
        status = UpstreamStatus.ESCAPES if escapes else UpstreamStatus.WEAK
        return ResolvedUpstream(ref, status), out

    if ref.path is not None:
        try:
            data = _read_limited(ctx.release.open(ref.path), limit)
        except MemberError as exc:
            code = "upstream.too-large" if exc.code == "load.too-large" else "upstream.missing"
            out.append(finding(code, f"upstream {ref.id!r}: {ref.path}: {exc.message}",
                               upstream=ref.id,
                               location=ctx.locate(f"{ref.pointer}/manifest/path")))
            return ResolvedUpstream(ref, UpstreamStatus.MISSING, source=ref.path), out
        except OSError as exc:
            out.append(finding("upstream.missing",
                               f"upstream {ref.id!r}: {ref.path}: {exc.strerror or exc}",
                               upstream=ref.id,
                               location=ctx.locate(f"{ref.pointer}/manifest/path")))
            return ResolvedUpstream(ref, UpstreamStatus.MISSING, source=ref.path), out
        folder, name = posixpath.split(ref.path)
        return _checked(ctx, ref, chain, ref.path, data,
                        release=SubRelease(ctx.release, folder, name), manifest_only=False,
                        out=out)

    match = find_offline(ctx.options.upstream_dirs, ref, strong, limit)
    if match is not None:
        path, data = match
        return _checked(ctx, ref, chain, str(path), data,
                        release=FolderRelease(path.parent, path.name, str(path)),
                        manifest_only=path.name not in MANIFEST_NAMES, out=out)
    fetched = _fetch(ctx, strong, limit) if ctx.options.upstream_resolver else None
    if fetched is not None:
        return _checked(ctx, ref, chain, fetched[0], fetched[1],
                        release=FetchedManifest(fetched[1], fetched[0]), manifest_only=True,
                        out=out)
    where = [str(d) for d in ctx.options.upstream_dirs]
    if ctx.options.upstream_resolver is not None:
        where.append("the registry")
    out.append(finding("upstream.not-resolved",
                       f"upstream {ref.id!r} ({ref.uri}) was not resolved offline: "
                       f"no local copy{' in ' + ', '.join(where) if where else ''}",
                       upstream=ref.id, location=ctx.locate(f"{ref.pointer}/manifest/uri")))
    return ResolvedUpstream(ref, UpstreamStatus.UNRESOLVED), out


def _fetch(ctx: Context, strong: Mapping[str, str], limit: int) -> tuple[str, bytes] | None:
    """The manifest from the options' resolver (a registry), when it has one whose bytes
    match; a resolver that fails counts as not having it."""
    resolver = ctx.options.upstream_resolver
    assert resolver is not None
    try:
        data = resolver(dict(strong))
    except Exception:  # a resolver is the caller's code: its failure is "not found"
        return None
    if data is None or len(data) > limit or not digest_matches(data, strong):
        return None
    alg = sorted(strong)[0]
    return f"registry:{alg}:{strong[alg]}", data


class FetchedManifest(Release):
    """An upstream manifest fetched by digest: the manifest alone, none of its files."""

    def __init__(self, data: bytes, label: str) -> None:
        self.data = data
        self.label = label
        # The bytes come without a file name: a JSON document is read as JSON.
        self.manifest_name = "rebuild.json" if data.lstrip()[:1] == b"{" else "rebuild.yaml"
        self.findings = []

    def entries(self) -> Mapping[str, Entry]:
        return {self.manifest_name: Entry(self.manifest_name, EntryType.FILE, len(self.data))}

    def open(self, path: str) -> BinaryIO:
        if path != self.manifest_name:
            raise MemberError("integrity.missing",
                              "not here: only the manifest was fetched from the registry")
        return io.BytesIO(self.data)


def _checked(ctx: Context, ref: UpstreamRef, chain: tuple[str, ...], source: str,
             data: bytes, *, release: Release, manifest_only: bool,
             out: list[Finding]) -> tuple[ResolvedUpstream, list[Finding]]:
    """Check the bytes of a found upstream manifest against its pin, then validate it."""
    loc = ctx.locate(f"{ref.pointer}/manifest")
    strong = pinned_digests(ref.digest)
    actual = _hash(data, sorted(strong))
    sha = hashlib.sha256(data).hexdigest()
    if sha in chain:
        out.append(finding("upstream.cycle",
                           f"upstream {ref.id!r} ({source}) is a release already on this chain: "
                           "releases derive from each other in a cycle",
                           upstream=ref.id, location=loc, data={"chain": [*chain, sha]}))
        return ResolvedUpstream(ref, UpstreamStatus.CYCLE, source=source, sha256=sha), out
    bad = {alg for alg, value in strong.items() if actual[alg] != value}
    if bad:
        out.append(finding("upstream.digest-mismatch",
                           f"upstream {ref.id!r} manifest {source} does not match its pinned "
                           f"{', '.join(sorted(bad))} digest",
                           upstream=ref.id, location=ctx.locate(f"{ref.pointer}/manifest/digest"),
                           data={"expected": {a: strong[a] for a in sorted(bad)},
                                 "actual": {a: actual[a] for a in sorted(bad)}}))
        return ResolvedUpstream(ref, UpstreamStatus.MISMATCH, source=source, sha256=sha), out
    if len(chain) >= MAX_DEPTH:
        out.append(finding("upstream.too-deep",
                           f"upstream {ref.id!r} would be release number {len(chain) + 1} of "
                           f"one chain; at most {MAX_DEPTH} are followed",
                           upstream=ref.id, location=loc))
        return ResolvedUpstream(ref, UpstreamStatus.TOO_DEEP, source=source, sha256=sha), out

    loaded = load_manifest(data, release.manifest_name, limits=ctx.options.limits)
    manifest = Manifest.from_data(loaded.document.data) if loaded.document is not None else None
    report, nested = _validate(ctx, release, (*chain, sha), manifest_only)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    status = UpstreamStatus.INVALID if errors or report.fatal else UpstreamStatus.VALID
    counts = report.counts
    summary = (f"{counts['error']} error(s), {counts['warning']} warning(s), "
               f"{counts['info']} note(s)")
    scope = " (manifest only: its files are not here)" if manifest_only else ""
    what = f"upstream {ref.id!r} ({source}{scope})"
    if status is UpstreamStatus.INVALID:
        out.append(finding("upstream.invalid", f"{what} has {summary}", upstream=ref.id,
                           location=loc, data={"counts": counts, "source": source}))
        out.extend(_relabel(ref.id, source, errors))
    else:
        out.append(finding("upstream.valid", f"{what} is valid: {summary}", upstream=ref.id,
                           location=loc, data={"counts": counts, "source": source}))
    return ResolvedUpstream(ref, status, source=source, sha256=sha, manifest=manifest,
                            report=report, manifest_only=manifest_only, nested=nested), out


def find_offline(dirs: tuple[Path, ...], ref: UpstreamRef, strong: Mapping[str, str],
                  limit: int) -> tuple[Path, bytes] | None:
    """The first manifest in ``dirs`` whose bytes match the pin; else the first whose
    name matches the uri's (so that a changed upstream is reported as a mismatch)."""
    by_name: tuple[Path, bytes] | None = None
    wanted = posixpath.basename((ref.uri or "").split("?")[0].split("#")[0])
    for path in _search_dirs(dirs, ref):
        try:
            size = path.stat().st_size
            if size > limit:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if digest_matches(data, strong):
            return path, data
        if by_name is None and wanted and path.name == wanted:
            by_name = (path, data)
    return by_name


def _validate(ctx: Context, release: Release, chain: tuple[str, ...],
              manifest_only: bool) -> tuple[Report, dict[str, ResolvedUpstream]]:
    """Validate an upstream with the validator the engine handed down (``ctx.nested``):
    its report, and its own resolved upstreams for this one to keep."""
    options = ctx.options
    child = dataclasses.replace(options, require=frozenset(), keys=(), threshold=None,
                                trust=None, hash_files=options.hash_files and not manifest_only)
    if ctx.nested is None:
        raise RuntimeError("upstream validation needs the engine's nested validator")
    report, state = ctx.nested(release, child, chain)
    if manifest_only:
        report.findings = [f for f in report.findings if not f.code.startswith(_FILE_CODES)]
    return report, dict(state.upstream or {})


def _relabel(ident: str, source: str | None, errors: list[Finding]) -> Iterator[Finding]:
    """The upstream's errors, named by upstream id and located in the upstream's file."""
    folder = posixpath.dirname(source) if source else None
    for i, f in enumerate(errors):
        if i == MAX_RELABELLED:
            yield finding("upstream.invalid",
                          f"upstream {ident!r}: {len(errors) - MAX_RELABELLED} more error(s) "
                          "not repeated here", upstream=ident)
            return
        location = f.location
        if location is not None and folder:
            location = Location(f"{folder}/{location.file}", location.line, location.column,
                                location.pointer)
        message = f.message if f.upstream else f"upstream {ident}: {f.message}"
        yield Finding(code=f.code, severity=f.severity, message=message,
                      artifact=f.artifact, step=f.step,
                      upstream=f"{ident}/{f.upstream}" if f.upstream else ident,
                      location=location, hint=f.hint, data=dict(f.data))


def _dangling(ctx: Context, resolved: Mapping[str, ResolvedUpstream]) -> Iterator[Finding]:
    for step in ctx.manifest.steps:
        refs = [(f"{step.pointer}/inputs/{i}", r) for i, r in enumerate(step.inputs)]
        if step.environment:
            refs.append((f"{step.pointer}/environment", step.environment))
        for pointer, ref in refs:
            up, name = split_ref(ref)
            if up is None or up not in resolved:
                continue
            item = resolved[up]
            if item.manifest is None:
                continue
            if item.artifact(name) is None:
                yield finding("upstream.dangling-artifact",
                              f"step {step.id!r} input {ref!r}: upstream {up!r} "
                              f"({item.manifest.name} {item.manifest.version}) has no artifact "
                              f"{name!r}", step=step.id, upstream=up,
                              location=ctx.locate(pointer))
