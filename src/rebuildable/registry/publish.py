"""Publishing: validate the upload with the engine, then record it, once.

Order of work, so that a refused upload leaves nothing behind: every check that can refuse
(identical upload, parts that disagree with the archive, the engine's verdict, name and
version rules) runs before anything is stored; then, holding the lock on the release
name, the version rules are checked again against what is committed, the blobs are written
and the rows inserted in one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rebuildable import api
from rebuildable.registry import versions
from rebuildable.registry.admin import Admin, namespace_row, now
from rebuildable.registry.db import Database
from rebuildable.registry.errors import RegistryError
from rebuildable.registry.models import (
    ArtifactDigest,
    ManifestDigest,
    Package,
    Release,
    UpstreamEdge,
)
from rebuildable.registry.names import valid_name
from rebuildable.registry.store import BlobStore
from rebuildable.registry.upload import Part

__all__ = ["Accepted", "Publisher"]


@dataclass(frozen=True)
class Accepted:
    """What the engine accepted, ready to be recorded."""

    name: str
    version: str
    manifest_name: str
    digests: dict[str, str]
    report: dict[str, Any]
    verdicts: dict[str, Any]
    signers: list[str]
    upstream: list[dict[str, Any]]
    artifacts: list[dict[str, Any]]


@dataclass
class Publisher:
    db: Database
    store: BlobStore
    admin: Admin
    resolver: api.UpstreamResolver | None = None

    def publish(self, namespace: str, parts: dict[str, Part]) -> tuple[int, Release]:
        """201 and the new release, or 200 and the identical one already published."""
        upload = _upload_digest(parts)
        existing = self._identical(namespace, upload)
        if existing is not None:
            return 200, existing
        accepted = self._validate(namespace, parts)
        return self._record(namespace, parts, upload, accepted)

    def _identical(self, namespace: str, upload: str) -> Release | None:
        with self.db.read() as s:
            ns = namespace_row(s, namespace)
            return s.scalars(select(Release).where(Release.namespace_id == ns.id,
                                                   Release.upload_digest == upload)).first()

    def _validate(self, namespace: str, parts: dict[str, Part]) -> Accepted:
        threshold, keys = self.admin.keys(namespace)
        if not keys:
            raise RegistryError(422, "no-keys", f"namespace {namespace!r} has no registered "
                                "keys: nothing it publishes could be verified")
        archive = parts["archive"].path
        try:
            with _part(archive) as fh:
                found = api.release_parts(fh)
        except api.ReleaseError as exc:
            raise RegistryError(422, "bad-archive", exc.message) from exc
        # Compared by digest (the receiver hashed each part as it came), and the archive's
        # manifest let go before the engine loads its own copy: a manifest near the bound
        # (128 MiB) is held once here, not three times.
        manifest_name, digests = found.manifest_name, api.strong_digests(found.manifest)
        if digests["sha256"] != parts["manifest"].sha256:
            raise RegistryError(422, "parts-differ", f"the manifest part is not the archive's "
                                f"{manifest_name}")
        if found.envelope is None or (hashlib.sha256(found.envelope).hexdigest()
                                      != parts["envelope"].sha256):
            raise RegistryError(422, "parts-differ",
                                "the envelope part is not the archive's signature envelope")
        del found
        if threshold > len(keys):
            raise RegistryError(422, "no-keys", f"namespace {namespace!r} needs {threshold} "
                                f"signatures but has only {len(keys)} key(s)")
        # The options `rebuildable validate --key K... --threshold N` builds, plus upstream
        # manifests resolved from this registry by digest (as `--registry` would).
        options = api.Options(keys=tuple(pem.encode() for _, pem in keys),
                              threshold=threshold, upstream_resolver=self.resolver)
        try:
            api.check_signature_options(options)
        except api.UsageError as exc:
            raise RegistryError(422, "no-keys", f"the namespace's keys: {exc}") from exc
        with _part(archive) as fh:
            validation = api.inspect(fh, options)
        report = api.report_data(validation.report)
        if not validation.report.ok or validation.manifest is None:
            raise RegistryError(422, "refused", "the release has errors or no valid "
                                "signature by the namespace's keys", report=report)
        return _accepted(validation.manifest, manifest_name, digests, report)

    def _record(self, namespace: str, parts: dict[str, Part], upload: str,
                accepted: Accepted) -> tuple[int, Release]:
        new = versions.parse(accepted.version)
        with self.db.write() as s:
            ns = namespace_row(s, namespace)
            package = _lock_package(s, ns.id, accepted.name)
            same = s.scalars(select(Release).where(
                Release.namespace_id == ns.id, Release.name == accepted.name,
                Release.version == accepted.version)).first()
            if same is not None:
                if same.upload_digest == upload:
                    return 200, same
                raise RegistryError(409, "version-taken", f"{accepted.name}@{accepted.version}"
                                    " is already published with other content")
            _check_order(accepted, new, package.newest_version)
            self.db.lock_blobs(s, exclusive=False)
            self._store(parts)
            try:
                release = _insert(s, ns.id, package, parts, upload=upload, a=accepted)
                s.commit()
            except IntegrityError as exc:  # the unique constraint: a racing publisher won
                # (the package lock makes this unreachable; the blobs just written are
                # then orphans for gc: another release may share them, so never delete)
                s.rollback()
                raise RegistryError(409, "version-taken", f"{accepted.name}@"
                                    f"{accepted.version} was published meanwhile") from exc
            return 201, release

    def _store(self, parts: dict[str, Part]) -> None:
        # The manifest part is byte-identical to the archive's manifest (checked): its
        # digest is the release's.
        for name in ("manifest", "envelope", "archive"):
            self.store.put_file(parts[name].path, parts[name].sha256)


@contextlib.contextmanager
def _part(path: Path) -> Iterator[BinaryIO]:
    """The uploaded archive, open under its part's name: the engine names its target in
    what it says, and where the registry keeps an upload is not the publisher's business
    (spec/registry.md REG-3)."""
    raw = io.FileIO(path, "rb")
    raw.name = "archive"
    with io.BufferedReader(raw, 1 << 20) as fh:
        yield fh


def _upload_digest(parts: dict[str, Part]) -> str:
    joined = ":".join(parts[n].sha256 for n in ("manifest", "envelope", "archive"))
    return hashlib.sha256(joined.encode()).hexdigest()


def _check_order(accepted: Accepted, new: versions.Version, newest: str | None) -> None:
    if newest is None:
        return
    top = versions.parse(newest)
    if new < top:
        raise RegistryError(409, "rollback", f"{accepted.name} {accepted.version} orders below "
                            f"the newest published version {newest}")
    if new == top:
        raise RegistryError(409, "version-taken", f"{accepted.name} {accepted.version} is "
                            f"the same version as the published {newest}")


def _lock_package(s: Session, namespace_id: int, name: str) -> Package:
    """The row for ``name``, locked until commit (PostgreSQL: FOR UPDATE; SQLite: the
    write transaction already holds the database's one write lock)."""
    query = select(Package).where(Package.namespace_id == namespace_id,
                                  Package.name == name).with_for_update()
    row = s.scalars(query).first()
    if row is not None:
        return row
    try:
        with s.begin_nested():
            s.add(Package(namespace_id=namespace_id, name=name))
    except IntegrityError:
        pass  # created by a racing publisher: wait for its lock below
    return s.scalars(query).one()


def _insert(s: Session, namespace_id: int, package: Package, parts: dict[str, Part], *,
            upload: str, a: Accepted) -> Release:
    release = Release(
        namespace_id=namespace_id, package_id=package.id, name=a.name, version=a.version,
        digest=a.digests["sha256"], upload_digest=upload, manifest_name=a.manifest_name,
        envelope_blob=parts["envelope"].sha256, archive_blob=parts["archive"].sha256,
        archive_size=parts["archive"].size, published_at=now(), ok=True,
        verdicts=a.verdicts, signers=a.signers, upstream=a.upstream, artifacts=a.artifacts,
        report=a.report)
    s.add(release)
    s.flush()
    s.add_all(ManifestDigest(release_id=release.id, algorithm=alg, value=value)
              for alg, value in a.digests.items())
    s.add_all(ArtifactDigest(release_id=release.id, artifact=art["id"], algorithm=alg,
                             value=value.lower())
              for art in a.artifacts for alg, value in art["digest"].items())
    s.add_all(UpstreamEdge(release_id=release.id, upstream=up["id"], relation=up["relation"],
                           algorithm=alg, value=value.lower())
              for up in a.upstream for alg, value in up["digest"].items())
    package.newest_version = a.version
    return release


def _accepted(manifest: Any, manifest_name: str, digests: dict[str, str],
              report: dict[str, Any]) -> Accepted:
    name, version = manifest.name or "", manifest.version or ""
    if not valid_name(name):
        raise RegistryError(422, "bad-name", f"release name {name[:80]!r} cannot be a registry "
                            "path segment: use 1-128 of A-Z, a-z, 0-9, '.', '_', '-', starting "
                            "and ending with a letter or digit", report=report)
    try:
        versions.parse(version)
    except versions.VersionError as exc:
        raise RegistryError(422, "bad-version", str(exc), report=report) from exc
    outputs = {o for step in manifest.steps for o in step.outputs}
    artifacts = [{
        "id": a.id, "path": a.path, "uri": a.uri, "kind": a.kind,
        "role": "output" if a.id in outputs else "source",
        "digest": {k: str(v).lower() for k, v in a.digest.items()}, "size": a.size,
        "license": a.license or manifest.license,
    } for a in manifest.artifacts]
    upstream = [{
        "id": u.id, "relation": u.relation, "name": u.name, "version": u.version,
        "path": u.path, "uri": u.uri, "digest": {k: str(v).lower() for k, v in u.digest.items()},
    } for u in manifest.upstream]
    verdicts = {k: v.get("ok") for k, v in (report.get("verdicts") or {}).items()
                if isinstance(v, dict) and isinstance(v.get("ok"), bool)}
    signers = list((report.get("signatures") or {}).get("verified_keys") or [])
    return Accepted(name, version, manifest_name, digests, report, verdicts, signers,
                    upstream, artifacts)
