"""The registry suite runs on PostgreSQL too: locally a missing server skips those tests,
under CI (CI=true) it fails them, so a CI run without PostgreSQL can never pass green."""

from __future__ import annotations

import pytest

from tests.support import registry
from tests.support.registry import free_port, pg_database

#: a loopback port nothing listens on
NOWHERE = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"


@pytest.mark.parametrize(("ci", "outcome"), [(True, pytest.fail.Exception),
                                              (False, pytest.skip.Exception)])
def test_an_unreachable_postgresql(monkeypatch: pytest.MonkeyPatch, ci: bool,
                                   outcome: type[BaseException]) -> None:
    monkeypatch.setattr(registry, "PG_ADMIN_URL", NOWHERE)
    monkeypatch.setattr(registry, "CI", ci)
    caught: BaseException | None = None
    try:
        with pg_database():
            pass
    except BaseException as exc:
        caught = exc
    assert type(caught) is outcome, caught
    assert "127.0.0.1" in str(caught)


def test_each_use_gets_a_database_of_its_own() -> None:
    """(PostgreSQL itself, where the machine has it: CI always does.)"""
    import psycopg

    with pg_database() as first, pg_database() as second:
        assert first != second
        with psycopg.connect(first) as conn:
            conn.execute("CREATE TABLE only_here (x int)")
        with psycopg.connect(second) as conn:
            assert conn.execute("SELECT to_regclass('only_here')").fetchone() == (None,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(first, connect_timeout=5)
