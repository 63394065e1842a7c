"""The registry's core, free of HTTP: a database, a blob store, and the operations on them.
The web app (:mod:`.app`) and the operator's CLI both drive one of these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from rebuildable.errors import UsageError
from rebuildable.registry.admin import Admin
from rebuildable.registry.config import RegistryConfig
from rebuildable.registry.db import Database
from rebuildable.registry.gc import DEFAULT_GRACE, Collected, collect
from rebuildable.registry.publish import Publisher
from rebuildable.registry.queries import Queries
from rebuildable.registry.store import BlobStore, open_store

__all__ = ["Registry", "open_registry"]


@dataclass
class Registry:
    config: RegistryConfig
    db: Database
    store: BlobStore
    admin: Admin
    queries: Queries
    publisher: Publisher

    def resolve(self, pins: Mapping[str, str]) -> bytes | None:
        """An upstream resolver over this registry's own releases (see
        :attr:`rebuildable.api.Options.upstream_resolver`)."""
        return self.queries.manifest_for(sorted(pins.items()))

    def collect_garbage(self, grace: float = DEFAULT_GRACE, *, dry_run: bool = False,
                        tmp_dir: Path | None = None) -> Collected:
        """Remove blobs no release refers to, older than ``grace`` seconds (see :mod:`.gc`)."""
        return collect(self.db, self.store, grace=grace, dry_run=dry_run, tmp_dir=tmp_dir)

    def close(self) -> None:
        self.db.close()


def open_registry(config: RegistryConfig) -> Registry:
    if config.needs_data_folder():
        config.data.mkdir(parents=True, exist_ok=True)
    try:
        db = Database.open(config.db_url)
    except (ValueError, SQLAlchemyError) as exc:  # not ours, or a URL SQLAlchemy cannot parse
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(message if message.startswith("database URL")
                         else f"database URL: {message}") from exc
    try:
        db.migrate()
    except SQLAlchemyError as exc:
        db.close()
        where = db.engine.url.render_as_string(hide_password=True)
        raise UsageError(f"database {where}: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0]}") from exc
    try:
        store = open_store(config.store_url)
    except ImportError as exc:
        db.close()
        raise UsageError(f"blob store {config.store_url}: needs the 's3' extra ({exc.name} is "
                         "missing): pip install 'rebuildable[s3]'") from exc
    except (OSError, ValueError) as exc:
        db.close()
        raise UsageError(f"blob store {config.store_url}: {exc}") from exc
    admin = Admin(db)
    queries = Queries(db, store)
    registry = Registry(config, db, store, admin, queries, Publisher(db, store, admin))
    registry.publisher.resolver = registry.resolve
    return registry
