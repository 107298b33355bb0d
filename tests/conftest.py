"""Fixtures shared by every test: throw-away databases (SQLite and PostgreSQL) and Redis key spaces.

PostgreSQL and Redis come from MARQUEE_TEST_POSTGRES_URL / MARQUEE_TEST_REDIS_URL. When a URL is unset or
the server does not answer, tests that need it are skipped with the reason, unless
MARQUEE_REQUIRE_SERVICES=1 (CI), where they fail instead: in CI a missing service is a broken set-up.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from accountdb.engine import make_engine, normalise_url
from accountdb.migrate import upgrade

# pytester lets tests/integration/test_accountdb_fixtures.py run these fixtures in an inner session.
pytest_plugins = ["pytester"]

# Tests never fetch models from the network (architecture rule); set before anything imports huggingface.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CONNECT_TIMEOUT_SECONDS = 3


def _one_line(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's wrapping, on one line."""
    return " ".join(str(exc.__cause__ or exc).split())


def _service_unavailable(reason: str) -> None:
    if os.environ.get("MARQUEE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (MARQUEE_REQUIRE_SERVICES=1, so this is an error)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read or write the developer's own database: point the defaults at a temporary folder."""
    monkeypatch.setenv("MARQUEE_DATA_DIR", str(tmp_path_factory.mktemp("marquee-data")))
    monkeypatch.delenv("MARQUEE_DATABASE_URL", raising=False)


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the test server's maintenance database (CREATE/DROP DATABASE need it)."""
    configured = os.environ.get("MARQUEE_TEST_POSTGRES_URL", "").strip()
    if not configured:
        _service_unavailable(
            "MARQUEE_TEST_POSTGRES_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
        )
    url = make_url(normalise_url(configured))
    engine = create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        problem = None
    except SQLAlchemyError as exc:
        engine.dispose()
        problem = f"PostgreSQL at {url.render_as_string(hide_password=True)} is unreachable: {_one_line(exc)}"
    if problem:  # reported outside the except block, so the report is not a chained traceback
        _service_unavailable(problem)
    yield engine
    engine.dispose()


@contextmanager
def _postgres_database(admin: Engine, template: str | None = None) -> Iterator[str]:
    """A uniquely named database (a copy of `template` if given), dropped on exit; yields its URL."""
    name = f"marquee_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        )
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # FORCE ends connections a test forgot to close, so the drop cannot hang or leak the database.
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _postgres_migrated_template(_postgres_admin: Engine) -> Iterator[str]:
    """Name of a database migrated to head once per session; copying it is faster than migrating."""
    with _postgres_database(_postgres_admin) as url:
        upgrade(url)  # disposes its engine: a template must have no open connections to be copied
        yield make_url(url).database


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, _postgres_admin: Engine) -> Iterator[str]:
    """URL of a PostgreSQL database that exists only for this test.

    Empty, unless the test also uses `migrated_engine`: then it starts as a copy of a database that Alembic
    migrated to head earlier in the session (same schema, a fraction of the time).
    """
    template = request.getfixturevalue("_postgres_migrated_template") if _wants_migrated(request) else None
    with _postgres_database(_postgres_admin, template) as url:
        yield url


# ---------------------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------------------


@cache
def _redis_problem() -> str | None:
    configured = os.environ.get("MARQUEE_TEST_REDIS_URL", "").strip()
    if not configured:
        return "MARQUEE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0)"
    import redis

    client = redis.Redis.from_url(configured, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis at {configured} is unreachable: {_one_line(exc)}"
    finally:
        client.close()
    return None


@pytest.fixture
def redis_url() -> str:
    """URL of the test Redis server; pair it with `redis_key_prefix` so tests do not see each other's keys."""
    problem = _redis_problem()
    if problem:
        _service_unavailable(problem)
    return os.environ["MARQUEE_TEST_REDIS_URL"].strip()


@pytest.fixture
def redis_key_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix owned by this test; every key under it is deleted afterwards."""
    import redis

    prefix = f"marquee-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------------------
# Account database on either backend
# ---------------------------------------------------------------------------------------------------------


def _wants_migrated(request: pytest.FixtureRequest) -> bool:
    return "migrated_engine" in request.fixturenames


@pytest.fixture(scope="session")
def _sqlite_migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("migrated-template") / "marquee.db"
    upgrade(f"sqlite:///{path}")
    # Fold the write-ahead log into the main file so a plain file copy is the whole database.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a new SQLite file in this test's temporary folder.

    Empty, unless the test also uses `migrated_engine` (then a copy of a session-wide migrated database).
    """
    path = tmp_path / "marquee.db"
    if _wants_migrated(request):
        shutil.copyfile(request.getfixturevalue("_sqlite_migrated_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL; tests using it run once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def migrated_engine(db_url: str) -> Iterator[Engine]:
    """An engine on `db_url`'s database, migrated to the newest revision (Alembic upgrade head)."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the PostgreSQL server at MARQUEE_TEST_POSTGRES_URL")
    config.addinivalue_line("markers", "redis: needs the Redis server at MARQUEE_TEST_REDIS_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the services they use, so `-m "not postgres"` and `-m redis` select them."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgres_url" in fixtures or params.get("db_url") == "postgres":
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in fixtures:
            item.add_marker(pytest.mark.redis)
