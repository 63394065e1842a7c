"""The registry's tables (SQLAlchemy 2). Alembic migrations under ``migrations/`` create
them; this module is what the code reads and writes through.

Digests are stored as (algorithm, lower-case hex) pairs so that an upstream pinned by any
strong algorithm links to the release whose manifest has that digest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Namespace(Base):
    __tablename__ = "namespaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    threshold: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[str] = mapped_column(String(32))


class Token(Base):
    __tablename__ = "tokens"

    #: a public id (shown in listings and used to revoke); the secret is never stored
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    namespace_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id"), index=True)
    #: sha256 hex of the whole token text
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Key(Base):
    __tablename__ = "keys"
    __table_args__ = (UniqueConstraint("namespace_id", "keyid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    namespace_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id"), index=True)
    keyid: Mapped[str] = mapped_column(String(128))
    pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


class Package(Base):
    """One release name in one namespace: the row publishers of that name lock."""

    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("namespace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    namespace_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id"))
    name: Mapped[str] = mapped_column(String(128))
    newest_version: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("namespace_id", "name", "version"),
                      Index("ix_releases_upload", "namespace_id", "upload_digest"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    namespace_id: Mapped[int] = mapped_column(ForeignKey("namespaces.id"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(128))
    #: sha256 hex of the manifest bytes (the release's identity)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    #: sha256 over the three uploaded parts' digests: identical uploads are idempotent
    upload_digest: Mapped[str] = mapped_column(String(64))
    manifest_name: Mapped[str] = mapped_column(String(32))
    envelope_blob: Mapped[str] = mapped_column(String(64), index=True)
    archive_blob: Mapped[str] = mapped_column(String(64), index=True)
    archive_size: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool]
    verdicts: Mapped[dict[str, Any]] = mapped_column(JSON)
    signers: Mapped[list[str]] = mapped_column(JSON)
    upstream: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    artifacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: loaded only when asked for: it is by far the largest column
    report: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)


class ManifestDigest(Base):
    """Every strong digest of a release's manifest bytes."""

    __tablename__ = "manifest_digests"
    __table_args__ = (Index("ix_manifest_digests_value", "algorithm", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))


class ArtifactDigest(Base):
    """Every digest an artifact of a release declares (search by artifact digest)."""

    __tablename__ = "artifact_digests"
    __table_args__ = (Index("ix_artifact_digests_value", "algorithm", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    artifact: Mapped[str] = mapped_column(Text)
    algorithm: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))


class UpstreamEdge(Base):
    """A release's upstream pin, by digest: it links to whatever release has (or later
    gets) a manifest with that digest."""

    __tablename__ = "upstream_edges"
    __table_args__ = (Index("ix_upstream_edges_value", "algorithm", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    upstream: Mapped[str] = mapped_column(Text)
    relation: Mapped[str | None] = mapped_column(Text, nullable=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
