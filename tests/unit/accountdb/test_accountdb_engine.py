from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from accountdb import engine as accountdb_engine
from accountdb.engine import database_url, make_engine, normalise_url, session_scope
from accountdb.migrate import upgrade
from accountdb.models import AuditLogEntry


def test_default_url_is_a_sqlite_file_in_the_data_dir_which_is_created(tmp_path, monkeypatch):
    data_dir = tmp_path / "nested" / "data"
    monkeypatch.setenv("MARQUEE_DATA_DIR", str(data_dir))
    assert database_url() == f"sqlite:///{data_dir / 'marquee.db'}"
    assert data_dir.is_dir()


def test_default_data_dir_is_var_in_the_repository(monkeypatch):
    monkeypatch.delenv("MARQUEE_DATA_DIR")
    assert (
        database_url() == f"sqlite:///{Path(accountdb_engine.__file__).parent.parent / 'var' / 'marquee.db'}"
    )


def test_configured_url_wins_and_postgres_uses_psycopg3(monkeypatch):
    monkeypatch.setenv("MARQUEE_DATABASE_URL", "postgresql://app:s%40cret@db:5432/marquee")
    assert database_url() == "postgresql+psycopg://app:s%40cret@db:5432/marquee"
    assert normalise_url("postgres://db/x") == "postgresql+psycopg://db/x"
    assert normalise_url("postgresql+psycopg://db/x") == "postgresql+psycopg://db/x"
    assert normalise_url("sqlite:///a.db") == "sqlite:///a.db"


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert (
                connection.execute(text("PRAGMA busy_timeout")).scalar()
                == accountdb_engine.SQLITE_BUSY_TIMEOUT_MS
            )
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url):
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def test_session_scope_commits_on_success(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        session.add(AuditLogEntry(actor="system", action="test.commit"))
    with session_scope(sqlite_engine) as session:
        assert session.scalars(select(AuditLogEntry.action)).all() == ["test.commit"]


def test_session_scope_rolls_back_everything_when_the_block_fails(sqlite_engine):
    with pytest.raises(RuntimeError, match="boom"), session_scope(sqlite_engine) as session:
        session.add(AuditLogEntry(actor="system", action="test.first"))
        session.flush()  # the row reached the database inside the transaction
        raise RuntimeError("boom")
    with session_scope(sqlite_engine) as session:
        assert session.scalars(select(AuditLogEntry)).all() == []


def test_sqlite_ddl_is_transactional(sqlite_engine):
    with pytest.raises(RuntimeError), sqlite_engine.begin() as connection:
        connection.execute(text("CREATE TABLE scratch (id INTEGER)"))
        raise RuntimeError("abort")
    with sqlite_engine.connect() as connection:
        tables = connection.execute(text("SELECT name FROM sqlite_master WHERE name = 'scratch'")).all()
    assert tables == []


def test_datetimes_come_back_timezone_aware_utc(sqlite_engine):
    paris_noon = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    with session_scope(sqlite_engine) as session:
        session.add(AuditLogEntry(actor="system", action="test.tz", at=paris_noon))
    with session_scope(sqlite_engine) as session:
        stored = session.scalars(select(AuditLogEntry.at)).one()
    assert stored == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    assert stored.tzinfo == UTC


def test_naive_datetimes_are_refused(sqlite_engine):
    with pytest.raises(StatementError, match="naive datetime"), session_scope(sqlite_engine) as session:
        session.add(AuditLogEntry(actor="system", action="test.naive", at=datetime(2026, 3, 1, 12, 0)))
