"""The one door: every caller (the CLI, the registry service, Python users) reaches the
engine through these functions.

Each function takes plain values and option objects and returns data (a
:class:`~rebuildable.report.Report`, an outcome dataclass); none prints, reads the
environment or exits. Problems in a release are findings in the report; only a caller's
mistake raises (:class:`~rebuildable.errors.UsageError` and its subclasses, each carrying
the field it is about) or a release that cannot be opened at all
(:class:`~rebuildable.errors.ReleaseError`).

Heavy modules (signing, rebuild, export, draft) are imported when their function is first
called, so that ``import rebuildable.api`` stays cheap for a command that only validates.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from rebuildable.context import Options, UpstreamResolver
from rebuildable.defaults import (
    DEFAULT_ALGORITHM,
    DEFAULT_BUILDER_ID,
    DEFAULT_MAX_OUTPUT_SIZE,
    DEFAULT_TIMEOUT,
    DEFAULT_VERSION,
    MANIFEST_NAME,
)
from rebuildable.errors import RebuildableError, ReleaseError, UsageError
from rebuildable.load.document import Limits
from rebuildable.model import ENVELOPE_NAME, MANIFEST_NAMES
from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.report import Report
from rebuildable.sections import Rebuild as RebuildSection

if TYPE_CHECKING:
    from rebuildable.checksums import ChecksumList
    from rebuildable.draft import Draft, DraftError
    from rebuildable.draft_listing import ListingDraft
    from rebuildable.engine import Validation
    from rebuildable.export import ExportResult
    from rebuildable.hashing import HashOutcome
    from rebuildable.importers import Imported, ImportSourceError
    from rebuildable.rebuild import RebuildOptions
    from rebuildable.registry.client import PublishOutcome
    from rebuildable.registry.config import RegistryConfig
    from rebuildable.registry.service import Registry
    from rebuildable.release import Release
    from rebuildable.remote.options import FetchOptions
    from rebuildable.signing.keyfiles import KeyPairPaths
    from rebuildable.signing.keys import BadKeyError, PrivateKey, PublicKey
    from rebuildable.signing.sign import SignOutcome, SignRefusedError
    from rebuildable.update import Update, UpdateError, UpdateRefusedError

__all__ = [
    "DEFAULT_ALGORITHM",
    "DEFAULT_BUILDER_ID",
    "DEFAULT_MAX_OUTPUT_SIZE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_VERSION",
    "ENVELOPE_NAME",
    "MANIFEST_NAME",
    "MANIFEST_NAMES",
    "BadKeyError",
    "DraftError",
    "FetchOptions",
    "ImportSourceError",
    "Imported",
    "Limits",
    "Options",
    "PublishOutcome",
    "RebuildOptions",
    "RebuildSection",
    "RebuildableError",
    "RegistryConfig",
    "Release",
    "ReleaseError",
    "ReleaseParts",
    "Report",
    "SignRefusedError",
    "Update",
    "UpdateError",
    "UpdateRefusedError",
    "UpstreamResolver",
    "UsageError",
    "Validation",
    "algorithm_available",
    "canonical_json",
    "check_draft_target",
    "check_license",
    "check_signature_options",
    "closest_name",
    "default_cache_dir",
    "draft",
    "draft_from_listing",
    "draft_shard_index",
    "export",
    "export_formats",
    "generate_key",
    "hash_algorithms",
    "hash_paths",
    "import_draft",
    "import_kinds",
    "inspect",
    "key_id",
    "key_types",
    "parse_checksums",
    "plan_update",
    "public_key",
    "publish",
    "read_private_key",
    "read_public_key",
    "rebuild",
    "registry",
    "registry_resolver",
    "release_parts",
    "report_data",
    "requirements",
    "serve",
    "sign",
    "signable_exports",
    "sigstore_instances",
    "strong_digests",
    "validate",
    "verify",
    "write_draft",
    "write_file",
    "write_key_pair",
    "write_update",
]

Target = str | os.PathLike[str] | BinaryIO


# -- validation --------------------------------------------------------------------------


def validate(target: Target, options: Options | None = None) -> Report:
    """Every static check on a release (folder, manifest path, archive or binary stream)."""
    return inspect(target, options).report


def inspect(target: Target, options: Options | None = None) -> Validation:
    """Validate and also return what the engine computed: the loaded document, the typed
    manifest and the digests of shipped files. Signing, export and the registry build on
    this instead of reading the release a second time."""
    from rebuildable.engine import run  # noqa: PLC0415 - lazy import keeps start-up light

    return run(target, options or Options())


def verify(target: str | os.PathLike[str], options: Options) -> Report:
    """The signature check alone (with what it needs: paths and digests); with an
    identity policy (``options.identity``) the keyless bundle is checked too, and the keyed
    check only when keys, a threshold or a trust policy are given as well."""
    from rebuildable.engine import run  # noqa: PLC0415
    from rebuildable.signing.verify import signature_check  # noqa: PLC0415

    keyed = options.keys or options.trust is not None or options.threshold is not None
    checks = [signature_check] if options.identity is None or keyed else []
    if options.identity is not None:
        from rebuildable.signing.keyless import check as keyless_check  # noqa: PLC0415

        checks.append(keyless_check)
    # The report carries the loader's findings (a manifest that cannot be read strictly
    # cannot match a signature) and the signature findings, with a ``signatures`` section.
    return run(target, options, tuple(checks)).report


def sigstore_instances() -> tuple[str, ...]:
    """The Sigstore instances whose trusted roots keyless verification can use."""
    from rebuildable.signing.keyless import INSTANCES  # noqa: PLC0415

    return tuple(INSTANCES)


def check_signature_options(options: Options) -> None:
    """Raise :class:`UsageError` when the keys, threshold or trust policy of ``options``
    can never be met (a key that is no key, a threshold above the number of keys)."""
    from rebuildable.signing.verify import policy_from_options  # noqa: PLC0415

    policy_from_options(options)


def requirements() -> tuple[str, ...]:
    """The verdict names that ``Options.require`` accepts."""
    from rebuildable.checks.openness import KNOWN_REQUIREMENTS  # noqa: PLC0415

    return tuple(sorted(KNOWN_REQUIREMENTS))


# -- rebuild -----------------------------------------------------------------------------


def rebuild(target: str | os.PathLike[str] | Release,
            options: RebuildOptions | None = None) -> Report:
    """Run the release's steps from their declared inputs and compare the outputs.

    Never raises for a bad release (a release that cannot be opened is a fatal report);
    raises :class:`UsageError` for impossible options (an unknown step, an isolation
    method that does not work, a time limit that is not positive)."""
    from rebuildable.engine import fatal_report, run  # noqa: PLC0415
    from rebuildable.rebuild import (  # noqa: PLC0415
        RebuildOptions,
        check_options,
        rebuild_release,
        static_options,
    )
    from rebuildable.release import Release, open_release  # noqa: PLC0415

    options = options or RebuildOptions()
    check_options(options)
    if isinstance(target, Release):
        return rebuild_release(target, run(target, static_options(options)), options)
    try:
        release = open_release(target)
    except ReleaseError as exc:
        return fatal_report(exc, options.strict)
    with release:
        return rebuild_release(release, run(release, static_options(options)), options)


# -- signing and keys --------------------------------------------------------------------


def sign(target: str | os.PathLike[str], key: PrivateKey, *, force: bool = False,
         options: Options | None = None) -> SignOutcome:
    """Validate, then write or extend the release's DSSE envelope."""
    from rebuildable.engine import run  # noqa: PLC0415
    from rebuildable.signing.sign import open_for_signing, sign_validated  # noqa: PLC0415

    with open_for_signing(target) as release:
        return sign_validated(release, run(release, options or Options()), key, force=force)


def key_types() -> tuple[str, ...]:
    from rebuildable.signing.keys import GENERATE_TYPES  # noqa: PLC0415

    return GENERATE_TYPES


def generate_key(kind: str = "ed25519") -> PrivateKey:
    from rebuildable.signing.keys import generate  # noqa: PLC0415

    return generate(kind)


def write_key_pair(path: Path, key: PrivateKey, *, force: bool = False) -> KeyPairPaths:
    from rebuildable.signing.keyfiles import write_key_pair as _write  # noqa: PLC0415

    return _write(path, key, force=force)


def read_private_key(path: Path, password: bytes | None = None) -> PrivateKey:
    from rebuildable.signing.keyfiles import read_private_key as _read  # noqa: PLC0415

    return _read(path, password)


def read_public_key(path: Path) -> PublicKey:
    from rebuildable.signing.keyfiles import read_public_key as _read  # noqa: PLC0415

    return _read(path)


# -- export ------------------------------------------------------------------------------


def export_formats() -> tuple[str, ...]:
    from rebuildable.export import FORMATS  # noqa: PLC0415

    return tuple(FORMATS)


def export(target: str | os.PathLike[str], to: str, *, builder_id: str | None = None,
           key: PublicKey | None = None, signing_key: PrivateKey | None = None) -> ExportResult:
    """The manifest as another format's document; problems come back as data. With
    ``signing_key`` (``in-toto``, ``slsa``) the document is a signed DSSE envelope."""
    from rebuildable.export import DEFAULT_BUILDER_ID, export_release  # noqa: PLC0415

    return export_release(target, to, builder_id or DEFAULT_BUILDER_ID, key, signing_key)


def canonical_json(value: object) -> bytes:
    """RFC 8785 canonical JSON: the exact bytes a signature over a document covers (what
    ``sigstore sign`` must be given for a keyless signature, spec/signatures.md §6a)."""
    from rebuildable.signing.statement import canonical  # noqa: PLC0415

    return canonical(value)


def signable_exports() -> tuple[str, ...]:
    """The export formats that ``export(..., signing_key=...)`` can sign."""
    from rebuildable.export import SIGNABLE  # noqa: PLC0415

    return SIGNABLE


# -- drafting a manifest -----------------------------------------------------------------


def check_draft_target(root: Path, *, force: bool = False) -> None:
    """Raise :class:`~rebuildable.draft.DraftError` when a draft could not be written
    into ``root`` (checked before hashing, so a large folder is not hashed for nothing)."""
    from rebuildable.draft import check_writable  # noqa: PLC0415

    check_writable(root, force=force)


def draft(root: Path, *, name: str | None = None, version: str | None = None,
          license: str | None = None, algorithms: Iterable[str] = (), workers: int = 2,
          progress: Progress = NO_PROGRESS) -> Draft:
    """Hash every file under ``root`` and build a draft manifest (not written)."""
    from rebuildable.draft import DEFAULT_VERSION, build_draft  # noqa: PLC0415

    algs = tuple(dict.fromkeys(algorithms)) or (DEFAULT_ALGORITHM,)
    return build_draft(root, name=name, version=version or DEFAULT_VERSION, license=license,
                       algorithms=algs, workers=workers, progress=progress)


def import_kinds() -> tuple[str, ...]:
    """What ``rebuildable import`` reads: dvc, sha256sums, model-card, model-signing."""
    from rebuildable.importers import IMPORTERS  # noqa: PLC0415

    return tuple(IMPORTERS)


def import_draft(kind: str, source: Path, root: Path, *, name: str | None = None,
                 version: str | None = None, license: str | None = None) -> Imported:
    """Draft a manifest for the release in ``root`` from ``source`` (a checksum list, a
    DVC pipeline, a model card, a model-signing bundle); not written. Raises
    :class:`ImportSourceError` when the source cannot be read as that kind."""
    from rebuildable.importers import import_source  # noqa: PLC0415

    return import_source(kind, source, root, name=name, version=version, license=license)


def draft_from_listing(listing: Path, *, name: str, version: str | None = None,
                       license: str | None = None) -> ListingDraft:
    """A draft listing external artifacts from an inventory file ('uri size sha256' per
    line); raises :class:`DraftError` (a usage error) with the bad lines' numbers."""
    from rebuildable.draft_listing import draft_from_listing as _draft  # noqa: PLC0415

    return _draft(listing, name=name, version=version, license=license)


def draft_shard_index(listing: Path, root: Path, index: str, *, name: str,
                      version: str | None = None, license: str | None = None,
                      force: bool = False, write: bool = True) -> ListingDraft:
    """Write the shard index of a listing (sorted by URI, no URI twice) as ``root/index``
    and return the draft manifest that lists it (not written; spec/shards.md). With
    ``write`` off nothing is written. Raises :class:`DraftError` with the bad lines."""
    from rebuildable.draft_listing import draft_shard_index as _draft  # noqa: PLC0415

    return _draft(listing, root, index, name=name, version=version, license=license,
                  force=force, write=write)


def write_draft(root: Path, text: str, *, force: bool = False) -> Path:
    from rebuildable.draft import write_manifest  # noqa: PLC0415

    return write_manifest(root, text, force=force)


# -- refreshing a manifest -----------------------------------------------------------------


def plan_update(target: str | os.PathLike[str], *, force: bool = False, workers: int = 2,
                progress: Progress = NO_PROGRESS) -> Update:
    """Re-hash the files a manifest lists; the edited text and the changes (not written).
    A signed manifest is refused without ``force``."""
    from rebuildable.update import plan_update as _plan  # noqa: PLC0415

    return _plan(target, force=force, workers=workers, progress=progress)


def write_update(plan: Update) -> None:
    from rebuildable.update import write_update as _write  # noqa: PLC0415

    _write(plan)


# -- hashing files -----------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where ``validate --cache`` keeps digests: ``$XDG_CACHE_HOME/rebuildable`` or
    ``~/.cache/rebuildable``."""
    from rebuildable.digest_cache import default_cache_dir as folder  # noqa: PLC0415

    return folder()


def closest_name(word: str, choices: Iterable[str]) -> str | None:
    """The known name ``word`` was most likely meant to be (a command, an option value),
    as the checks suggest names in a manifest; None when none is close."""
    from rebuildable.suggest import closest  # noqa: PLC0415

    return closest(word, choices)


def hash_algorithms() -> tuple[str, ...]:
    from rebuildable.digest import ALGORITHMS  # noqa: PLC0415

    return tuple(ALGORITHMS)


def algorithm_available(name: str) -> bool:
    """Whether this machine can compute ``name`` (blake3 needs its extra)."""
    from rebuildable.digest import available  # noqa: PLC0415

    return available(name)


def hash_paths(paths: Iterable[str], algorithms: Iterable[str], *, recursive: bool = False,
               stdin: BinaryIO | None = None,
               progress: Progress = NO_PROGRESS) -> Iterator[HashOutcome]:
    """Digests of files, folders (with ``recursive``) and ``-`` (``stdin``), in order;
    a path that cannot be hashed is an outcome with ``error`` set, never an exception."""
    from rebuildable.hashing import hash_paths as _hash_paths  # noqa: PLC0415

    return _hash_paths(paths, tuple(algorithms), recursive=recursive, stdin=stdin,
                       progress=progress)


def parse_checksums(text: str, default_algorithm: str = DEFAULT_ALGORITHM) -> ChecksumList:
    """The entries of a ``sha256sum``-style list (GNU or BSD-tagged lines) and the line
    numbers of malformed lines; untagged lines use ``default_algorithm``."""
    from rebuildable.checksums import parse_checksums as _parse  # noqa: PLC0415

    return _parse(text, default_algorithm)


def read_input(source: Path | BinaryIO, what: str) -> bytes:
    """The bytes of a file (or stream) the user named as a ``"key"`` or a ``"checksums"``
    list, read with that kind's bound: an ``OSError`` (its ``strerror`` says why) when it
    cannot be read or holds more (a device such as /dev/zero never ends)."""
    from rebuildable.checksums import MAX_LIST_BYTES  # noqa: PLC0415
    from rebuildable.readlimit import read_limited  # noqa: PLC0415
    from rebuildable.signing.keyfiles import MAX_KEY_BYTES  # noqa: PLC0415

    limit = {"key": MAX_KEY_BYTES, "checksums": MAX_LIST_BYTES}[what]
    return read_limited(source, limit)


def check_license(expression: str) -> tuple[str | None, tuple[str, ...]]:
    """(why ``expression`` is not a valid SPDX expression or None, identifiers in it that
    are not on the SPDX licence list)."""
    from rebuildable.checks.licenses import analyze  # noqa: PLC0415

    info = analyze(expression)
    return (None if info.valid else (info.error or "invalid"), tuple(info.unknown))


def write_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` as an output the user named: into a pipe or a terminal
    as it is, else atomically (a temporary file renamed into place); a device or folder
    is never replaced."""
    from rebuildable.atomic import write_output  # noqa: PLC0415

    write_output(path, data, mode)


# -- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseParts:
    """What a registry stores beside a release's archive: its manifest and envelope."""

    manifest_name: str
    manifest: bytes
    envelope: bytes | None


def release_parts(target: Target, options: Options | None = None) -> ReleaseParts:
    """The exact manifest and envelope bytes of a release (folder, manifest or archive).
    Raises :class:`ReleaseError` when it cannot be opened or has no readable manifest."""
    from rebuildable.errors import MemberError  # noqa: PLC0415
    from rebuildable.model import envelope_path  # noqa: PLC0415
    from rebuildable.release import open_release  # noqa: PLC0415

    opts = options or Options()
    with open_release(target, archive_limits=opts.archive_limits) as release:
        try:
            manifest = release.read_manifest()
        except (MemberError, OSError) as exc:
            raise ReleaseError("release.unreadable", f"{release.manifest_name}: {exc}",
                               path=release.manifest_name) from exc
        if len(manifest) > opts.limits.max_bytes:
            raise ReleaseError("load.too-large", f"{release.manifest_name}: larger than "
                               f"{opts.limits.max_bytes} bytes", path=release.manifest_name)
        envelope: bytes | None
        try:
            with release.open(envelope_path(release.manifest_name)) as fh:
                envelope = fh.read(opts.limits.max_bytes + 1)
        except (MemberError, OSError):
            envelope = None
        return ReleaseParts(release.manifest_name, manifest, envelope)


def strong_digests(data: bytes) -> dict[str, str]:
    """Every strong digest this machine can compute of ``data`` (algorithm -> hex)."""
    from rebuildable.digest import ALGORITHMS, available  # noqa: PLC0415

    out = {}
    for name, alg in ALGORITHMS.items():
        if alg.strong and available(name) and alg.factory is not None:
            h = alg.factory()
            h.update(data)
            out[name] = h.hexdigest()
    return out


def report_data(report: Report) -> dict[str, Any]:
    """The report as strict JSON data (the ``--format json`` document)."""
    from rebuildable.jsonsafe import json_safe  # noqa: PLC0415

    data: dict[str, Any] = json_safe(report.to_dict())
    return data


def key_id(pem: bytes, source: str = "<key>") -> str:
    """The key id (fingerprint) of a public key in PEM; raises :class:`BadKeyError`
    (whose message names ``source``)."""
    return public_key(pem, source)[0]


def public_key(pem: bytes, source: str = "<key>") -> tuple[str, bytes]:
    """A public key's id and its canonical PEM (one SubjectPublicKeyInfo block, nothing
    around it); raises :class:`BadKeyError` (whose message names ``source``)."""
    from rebuildable.signing.keys import load_public_key  # noqa: PLC0415

    key = load_public_key(pem, source)
    return key.keyid, key.pem()


def registry_resolver(url: str, *, timeout: float = 30.0) -> UpstreamResolver:
    """An :attr:`Options.upstream_resolver` that asks the registry at ``url`` for a
    manifest by digest (standard library HTTP only)."""
    from rebuildable.registry.client import ManifestFetcher  # noqa: PLC0415

    return ManifestFetcher(url, timeout=timeout)


def publish(target: str | os.PathLike[str], registry: str, namespace: str, token: str,
            *, timeout: float = 600.0) -> PublishOutcome:
    """Upload a signed release to a registry; the answer (published, identical, refused
    with the registry's report) is data. Network and usage problems raise
    :class:`UsageError` (from :mod:`rebuildable.registry.client`)."""
    from rebuildable.registry.client import publish as _publish  # noqa: PLC0415

    return _publish(target, registry, namespace, token, timeout=timeout)


def registry(config: RegistryConfig) -> Registry:
    """The registry service's core (database, blob store, publish and read operations),
    migrated to the newest schema; needs the ``registry`` extra."""
    _need_registry_extra()
    from rebuildable.registry.service import open_registry  # noqa: PLC0415

    return open_registry(config)


def serve(config: RegistryConfig, host: str, port: int) -> None:
    """Run the registry's HTTP service until interrupted; needs the ``registry`` extra."""
    _need_registry_extra()
    from rebuildable.registry.server import run  # noqa: PLC0415

    run(config, host, port)


def _need_registry_extra() -> None:
    import importlib.util  # noqa: PLC0415

    for module in ("fastapi", "uvicorn", "sqlalchemy", "alembic", "jinja2", "python_multipart"):
        if importlib.util.find_spec(module) is None:
            raise UsageError(f"the registry needs the 'registry' extra ({module} is missing): "
                             "pip install 'rebuildable[registry]'")


# -- errors callers catch ----------------------------------------------------------------
# Defined in their own modules; named here so that callers of this door need no other.


def __getattr__(name: str) -> type[object]:
    homes = {
        "DraftError": "rebuildable.draft",
        "ImportSourceError": "rebuildable.importers",
        "Imported": "rebuildable.importers",
        "BadKeyError": "rebuildable.signing.keys",
        "SignRefusedError": "rebuildable.signing.sign",
        "RebuildOptions": "rebuildable.rebuild",
        "RegistryConfig": "rebuildable.registry.config",
        "PublishOutcome": "rebuildable.registry.client",
        "Update": "rebuildable.update",
        "UpdateError": "rebuildable.update",
        "UpdateRefusedError": "rebuildable.update",
        "FetchOptions": "rebuildable.remote.options",
    }
    if name not in homes:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    value: type[object] = getattr(importlib.import_module(homes[name]), name)
    return value
