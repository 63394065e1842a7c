"""Indexes on the blob columns of releases: garbage collection asks, for each stored blob,
whether any release refers to it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_releases_envelope_blob", "releases", ["envelope_blob"])
    op.create_index("ix_releases_archive_blob", "releases", ["archive_blob"])


def downgrade() -> None:
    op.drop_index("ix_releases_archive_blob", "releases")
    op.drop_index("ix_releases_envelope_blob", "releases")
