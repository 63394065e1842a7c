"""A registry server per test and backend, each on its own database (a fresh PostgreSQL
database, or a fresh SQLite file) and blob store: a test sees no other test's rows. Starting
one costs about a second and a half."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import Server, database, start_server

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"registry-{request.param}")
    with database(request.param, folder) as url:
        srv = start_server(folder, url)
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A data folder and a fresh database URL, for tests that start their own servers."""
    with database(request.param, tmp_path) as url:
        yield tmp_path / "data", url
