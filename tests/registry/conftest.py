"""One registry server per backend for the whole run (starting one costs seconds); tests
isolate themselves by namespace. Tests that restart or kill a server start their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registry import Server, database, start_server

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=BACKENDS)
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
