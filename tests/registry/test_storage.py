"""The database under the service: SQLite in WAL mode, migrations run on start (and once
when several servers start at once), models and migrations in agreement."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from rebuildable.registry.db import Database
from rebuildable.registry.models import Base
from tests.support.registry import Server, namespace, publish_dir, start_server, upload

HEAD = "0002"


def _revision(url: str) -> list[str]:
    db = Database.open(url)
    try:
        with db.engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        db.close()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    """Readers never wait for the writer (the WAL journal); it is a property of the file."""
    server = start_server(tmp_path / "data")
    try:
        with sqlite3.connect(server.data / "registry.db") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        server.stop()


def test_start_upgrades_an_old_schema(backend: tuple[Path, str], tmp_path: Path) -> None:
    data, url = backend
    old = Database.open(url)
    try:
        old.migrate("0001")
    finally:
        old.close()
    assert _revision(url) == ["0001"]
    server = start_server(data, url)
    try:
        assert _revision(url) == [HEAD]
        db = Database.open(url)
        try:
            indexes = {i["name"] for i in inspect(db.engine).get_indexes("releases")}
        finally:
            db.close()
        assert {"ix_releases_envelope_blob", "ix_releases_archive_blob"} <= indexes
        _publish_one(server, tmp_path)
    finally:
        server.stop()


def test_servers_starting_at_once_migrate_once(backend: tuple[Path, str],
                                               tmp_path: Path) -> None:
    """N processes started together on an empty database: one creates the schema, the
    others wait for it and find it done (a lock around the migration)."""
    data, url = backend
    servers: list[Server] = []
    errors: list[BaseException] = []

    def start(i: int) -> None:
        try:
            servers.append(start_server(data if i == 0 else tmp_path / f"data{i}", url,
                                        store=str(data / "blobs")))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    try:
        assert errors == []
        assert len(servers) == 3
        assert _revision(url) == [HEAD]
        _publish_one(servers[1], tmp_path)
    finally:
        for s in servers:
            s.stop()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_models_match_the_migrations(backend_name: str, tmp_path: Path) -> None:
    """What the code reads and writes through (models.py) is what the migrations build."""
    from tests.support.registry import database

    with database(backend_name, tmp_path) as url:
        db = Database.open(url)
        try:
            db.migrate()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        finally:
            db.close()
    assert diff == []


def _publish_one(server: Server, tmp_path: Path) -> None:
    ns, token = namespace(server)
    with server.client() as c:
        release = publish_dir(tmp_path / "rel", name="migrated", version="1.0.0")
        assert upload(c, ns, token, release).status_code == 201
