"""Reads: records, lineage, search, and the stored bytes. Every answer is plain data."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from rebuildable.registry.admin import namespace_row
from rebuildable.registry.db import Database
from rebuildable.registry.errors import RegistryError
from rebuildable.registry.models import (
    ArtifactDigest,
    ManifestDigest,
    Namespace,
    Release,
    UpstreamEdge,
)
from rebuildable.registry.store import BlobStore

__all__ = ["DIGEST_PATTERN", "Queries", "parse_digest"]

log = logging.getLogger("rebuildable.registry")

DIGEST_PATTERN = r"^[a-z0-9-]{2,16}:[0-9a-fA-F]{32,128}$"
_DIGEST = re.compile(DIGEST_PATTERN)
#: the most items one search, listing or downstream list returns (the oldest first);
#: each answer also says how many there are in all
MAX_RESULTS = 200
#: what a part of a release name can hold (names are ASCII: spec/registry.md REG-5)
_NAME_PART = re.compile(r"[A-Za-z0-9._-]*")


def parse_digest(text: str) -> tuple[str, str]:
    if _DIGEST.fullmatch(text) is None:
        raise RegistryError(400, "bad-request",
                            "a digest is ALGORITHM:HEX, e.g. sha256:<64 hex digits>")
    alg, _, value = text.partition(":")
    return alg, value.lower()


@dataclass
class Queries:
    db: Database
    store: BlobStore

    # -- one release -----------------------------------------------------------------

    def release(self, s: Session, namespace: str, name: str, version: str) -> Release:
        row = s.scalars(select(Release).join(Namespace, Namespace.id == Release.namespace_id)
                        .where(Namespace.name == namespace, Release.name == name,
                               Release.version == version)).first()
        if row is None:
            namespace_row(s, namespace)  # 404 for the namespace itself, when it is that
            raise RegistryError(404, "not-found", f"no release {name}@{version} in {namespace}")
        return row

    def by_digest(self, s: Session, digest: str) -> Release:
        alg, value = parse_digest(digest)
        row = s.scalars(select(Release).join(ManifestDigest,
                                             ManifestDigest.release_id == Release.id)
                        .where(ManifestDigest.algorithm == alg, ManifestDigest.value == value)
                        .order_by(Release.id)).first()
        if row is None:
            raise RegistryError(404, "not-found", f"no release whose manifest has {alg}:{value}")
        return row

    def record(self, s: Session, row: Release) -> dict[str, Any]:
        ns = self._ns_name(s, row.namespace_id)
        ups = self._upstream_refs(s, row)
        upstream = [{**u, "release": ups.get(u["id"])} for u in row.upstream]
        return {
            "namespace": ns, "name": row.name, "version": row.version,
            "digest": f"sha256:{row.digest}", "published_at": row.published_at,
            "ok": row.ok, "verdicts": row.verdicts, "signers": row.signers,
            "upstream": upstream, "artifacts": row.artifacts,
            "manifest": row.manifest_name,
            "envelope_digest": f"sha256:{row.envelope_blob}",
            "archive_digest": f"sha256:{row.archive_blob}", "archive_size": row.archive_size,
        }

    def ref(self, s: Session, row: Release, relation: str | None = None) -> dict[str, Any]:
        return {"namespace": self._ns_name(s, row.namespace_id), "name": row.name,
                "version": row.version, "digest": f"sha256:{row.digest}",
                "relation": relation}

    # -- lineage -----------------------------------------------------------------------

    def lineage(self, s: Session, row: Release) -> dict[str, Any]:
        found = self._upstream_refs(s, row)
        upstream = []
        for u in row.upstream:
            ref = found.get(u["id"])
            if ref is None:  # pinned, not (yet) published here
                alg = "sha256" if "sha256" in u["digest"] else min(u["digest"], default="")
                ref = {"namespace": None, "name": u.get("name"), "version": u.get("version"),
                       "digest": f"{alg}:{u['digest'].get(alg, '')}" if alg else None}
            upstream.append({**ref, "relation": u.get("relation"), "id": u["id"],
                             "published": u["id"] in found})
        downstream, total = self.downstream(s, row)
        return {"upstream": upstream, "downstream": downstream, "downstream_total": total}

    def downstream(self, s: Session, row: Release) -> tuple[list[dict[str, Any]], int]:
        """The first :data:`MAX_RESULTS` releases derived from ``row``, and their number."""
        mine = s.execute(select(ManifestDigest.algorithm, ManifestDigest.value)
                         .where(ManifestDigest.release_id == row.id)).all()
        if not mine:
            return [], 0
        match = or_(*(and_(UpstreamEdge.algorithm == a, UpstreamEdge.value == v)
                      for a, v in mine))
        first, total = _first_ids(s, select(UpstreamEdge.release_id).where(match))
        rows = s.execute(select(Release, UpstreamEdge.relation, UpstreamEdge.upstream)
                         .join(UpstreamEdge, UpstreamEdge.release_id == Release.id)
                         .where(match, Release.id.in_(first)).order_by(Release.id)).all()
        out: dict[int, dict[str, Any]] = {}
        for rel, relation, ident in rows:
            out.setdefault(rel.id, {**self.ref(s, rel, relation), "id": ident,
                                    "published": True})
        return list(out.values()), total

    def _upstream_refs(self, s: Session, row: Release) -> dict[str, dict[str, Any]]:
        """Upstream id -> the published release its pin names (by any pinned digest)."""
        rows = s.execute(select(UpstreamEdge.upstream, UpstreamEdge.relation, Release)
                         .join(ManifestDigest, and_(
                             ManifestDigest.algorithm == UpstreamEdge.algorithm,
                             ManifestDigest.value == UpstreamEdge.value))
                         .join(Release, Release.id == ManifestDigest.release_id)
                         .where(UpstreamEdge.release_id == row.id)
                         .order_by(Release.id)).all()
        out: dict[str, dict[str, Any]] = {}
        for ident, relation, rel in rows:
            out.setdefault(ident, self.ref(s, rel, relation))
        return out

    # -- search and listings ---------------------------------------------------------

    def search_artifact(self, s: Session, digest: str) -> tuple[list[dict[str, Any]], int]:
        """The first :data:`MAX_RESULTS` releases listing an artifact with ``digest``
        (each with the ids of those artifacts), and their number."""
        alg, value = parse_digest(digest)
        match = and_(ArtifactDigest.algorithm == alg, ArtifactDigest.value == value)
        first, total = _first_ids(s, select(ArtifactDigest.release_id).where(match))
        rows = s.execute(select(Release, ArtifactDigest.artifact)
                         .join(ArtifactDigest, ArtifactDigest.release_id == Release.id)
                         .where(match, Release.id.in_(first))
                         .order_by(Release.id, ArtifactDigest.id)).all()
        out: dict[int, dict[str, Any]] = {}
        for rel, artifact in rows:
            item = out.setdefault(rel.id, {**self.ref(s, rel), "artifacts": []})
            item["artifacts"].append(artifact)
        for item in out.values():
            item.pop("relation")
        return list(out.values()), total

    def recent(self, s: Session, name_part: str = "") -> tuple[list[dict[str, Any]], int]:
        """The newest :data:`MAX_RESULTS` releases (whose name holds ``name_part``), and
        their number. The name is matched ignoring ASCII case, alike on every database
        (SQLite's LIKE ignores case, PostgreSQL's does not)."""
        if not _NAME_PART.fullmatch(name_part):
            # No name holds it; and PostgreSQL refuses a NUL in a query outright.
            return [], 0
        query = select(Release)
        if name_part:
            escaped = name_part.lower().replace("_", "\\_")
            query = query.where(func.lower(Release.name).like(f"%{escaped}%", escape="\\"))
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = s.scalars(query.order_by(Release.id.desc()).limit(MAX_RESULTS))
        return [self.record_brief(s, r) for r in rows], total

    def record_brief(self, s: Session, row: Release) -> dict[str, Any]:
        return {**self.ref(s, row), "published_at": row.published_at,
                "verdicts": row.verdicts}

    def _ns_name(self, s: Session, namespace_id: int) -> str:
        ns = s.get(Namespace, namespace_id)
        return ns.name if ns else ""

    # -- bytes -----------------------------------------------------------------------

    def manifest_bytes(self, row: Release) -> bytes:
        return self._stored(row.digest, row)

    def envelope_bytes(self, row: Release) -> bytes:
        return self._stored(row.envelope_blob, row)

    def manifest_for(self, pins: Iterable[tuple[str, str]]) -> bytes | None:
        """The manifest bytes of a release whose manifest has one of these digests."""
        with self.db.read() as s:
            for alg, value in pins:
                row = s.scalars(select(Release).join(
                    ManifestDigest, ManifestDigest.release_id == Release.id).where(
                    ManifestDigest.algorithm == alg, ManifestDigest.value == value.lower())
                    .order_by(Release.id)).first()
                if row is not None:
                    return self.manifest_bytes(row)
        return None

    def bytes_intact(self, row: Release) -> bool:
        """Whether the stored manifest and envelope are still the bytes published."""
        try:
            self.manifest_bytes(row)
            self.envelope_bytes(row)
        except RegistryError:
            return False
        return True

    def _stored(self, sha256: str, row: Release) -> bytes:
        """A blob's bytes, checked against its name: what the registry serves as "the
        exact bytes" is never something the store holds in their place."""
        what = f"{row.name}@{row.version}"
        try:
            data = self.store.get(sha256)
        except Exception as exc:  # disk or S3: any failure to read is one
            log.error("blob sha256:%s of %s unreadable: %r", sha256, what, exc)
            raise RegistryError(500, "stored-bytes-unreadable",
                                f"the stored bytes of {what} cannot be read") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            log.error("blob sha256:%s of %s no longer has that digest", sha256, what)
            raise RegistryError(500, "stored-bytes-altered",
                                f"the stored bytes of {what} are no longer the published ones")
        return data


def _first_ids(s: Session, ids: Select[int]) -> tuple[list[int], int]:
    """The first :data:`MAX_RESULTS` distinct release ids ``ids`` selects, and how many
    there are in all."""
    distinct = ids.distinct()
    total = s.scalar(select(func.count()).select_from(distinct.subquery())) or 0
    column = distinct.selected_columns[0]
    return list(s.scalars(distinct.order_by(column).limit(MAX_RESULTS))), total
