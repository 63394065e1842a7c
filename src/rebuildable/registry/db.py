"""Database engines: an embedded SQLite file or PostgreSQL (psycopg 3), one code path.

SQLite runs in WAL mode so that readers never wait for the writer; every write transaction
starts with ``BEGIN IMMEDIATE``, so writers queue for the one write lock up front instead of
failing half-way (SQLite's deferred upgrade from a read to a write lock cannot wait). On
PostgreSQL, publishers of one name serialise on that name's ``packages`` row
(``SELECT ... FOR UPDATE``), and the unique constraint on (namespace, name, version) is the
backstop. Migrations run on start under a lock, so N processes may start at once.

Blob garbage collection and publishers exclude each other (:meth:`Database.lock_blobs`): a
publisher writes its blobs and commits the rows that refer to them holding the lock
shared, ``gc`` deletes unreferenced blobs holding it alone, so it never deletes a blob that
a publisher has just found already stored and is about to refer to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

__all__ = ["Database", "normalise_url"]

#: arbitrary constants: the PostgreSQL advisory locks that serialise migrations, and blob
#: writes against garbage collection
_MIGRATION_LOCK = 0x7265_6275_696C_64
_BLOB_LOCK = 0x7265_6275_696C_65


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy's default driver
    for that scheme is psycopg2, which this project does not install). Any other kind of
    database is refused (ValueError): the code is written and tested for these two."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    if url.startswith(("sqlite:///", "postgresql+psycopg://")):
        return url
    scheme = url.split("://", maxsplit=1)[0][:40]
    raise ValueError(f"database URL {scheme}://...: give sqlite:///PATH or "
                     "postgresql://USER@HOST[:PORT]/DATABASE")


@dataclass
class Database:
    engine: Engine
    #: the same pool, with the option that makes SQLite take the write lock at BEGIN
    writer: Engine

    @classmethod
    def open(cls, url: str) -> Database:
        url = normalise_url(url)
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 60,
                                                      "check_same_thread": False})
            _sqlite_setup(engine)
        else:
            engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
        return cls(engine, engine.execution_options(registry_write=True))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def read(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def write(self) -> Session:
        return Session(self.writer, expire_on_commit=False)

    def migrate(self, revision: str = "head") -> None:
        """Create or upgrade the schema to ``revision`` (the newest by default)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.writer.begin() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def lock_blobs(self, session: Session, *, exclusive: bool) -> None:
        """Hold the blob lock until ``session``'s transaction ends: shared to write blobs
        and the rows that refer to them, exclusive to delete unreferenced blobs. On SQLite
        a write transaction already holds the database's one write lock."""
        if not self.is_sqlite:
            fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            session.execute(text(f"SELECT {fn}(:k)"), {"k": _BLOB_LOCK})

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite would issue its own deferred BEGIN; the "begin" hook below does it.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get("registry_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
