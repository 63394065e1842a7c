"""Alembic environment: the registry runs its migrations itself, on a connection it
hands over (``config.attributes["connection"]``), inside its own transaction."""

from __future__ import annotations

from alembic import context

from rebuildable.registry.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
