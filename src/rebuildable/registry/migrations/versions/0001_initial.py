"""The first schema: namespaces, tokens, keys, packages, releases and their digest indexes.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "namespaces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("namespace_id", sa.Integer, sa.ForeignKey("namespaces.id"), nullable=False,
                  index=True),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=True),
    )
    op.create_table(
        "keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("namespace_id", sa.Integer, sa.ForeignKey("namespaces.id"), nullable=False,
                  index=True),
        sa.Column("keyid", sa.String(128), nullable=False),
        sa.Column("pem", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("namespace_id", "keyid"),
    )
    op.create_table(
        "packages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("namespace_id", sa.Integer, sa.ForeignKey("namespaces.id"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("newest_version", sa.String(128), nullable=True),
        sa.UniqueConstraint("namespace_id", "name"),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("namespace_id", sa.Integer, sa.ForeignKey("namespaces.id"), nullable=False),
        sa.Column("package_id", sa.Integer, sa.ForeignKey("packages.id"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, index=True),
        sa.Column("upload_digest", sa.String(64), nullable=False),
        sa.Column("manifest_name", sa.String(32), nullable=False),
        sa.Column("envelope_blob", sa.String(64), nullable=False),
        sa.Column("archive_blob", sa.String(64), nullable=False),
        sa.Column("archive_size", sa.Integer, nullable=False),
        sa.Column("published_at", sa.String(32), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("verdicts", sa.JSON, nullable=False),
        sa.Column("signers", sa.JSON, nullable=False),
        sa.Column("upstream", sa.JSON, nullable=False),
        sa.Column("artifacts", sa.JSON, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.UniqueConstraint("namespace_id", "name", "version"),
    )
    op.create_index("ix_releases_upload", "releases", ["namespace_id", "upload_digest"])
    for table, extra in (("manifest_digests", []),
                         ("artifact_digests", [sa.Column("artifact", sa.Text, nullable=False)]),
                         ("upstream_edges", [sa.Column("upstream", sa.Text, nullable=False),
                                             sa.Column("relation", sa.Text, nullable=True)])):
        op.create_table(
            table,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id"), nullable=False,
                      index=True),
            *extra,
            sa.Column("algorithm", sa.String(16), nullable=False),
            sa.Column("value", sa.String(128), nullable=False),
        )
        op.create_index(f"ix_{table}_value", table, ["algorithm", "value"])


def downgrade() -> None:
    for table in ("upstream_edges", "artifact_digests", "manifest_digests", "releases",
                  "packages", "keys", "tokens", "namespaces"):
        op.drop_table(table)
