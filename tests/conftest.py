"""Fixtures shared by every test: throw-away databases (SQLite and PostgreSQL) and Redis key spaces.

PostgreSQL and Redis come from MARQUEE_TEST_POSTGRES_URL / MARQUEE_TEST_REDIS_URL. When a URL is unset or
the server does not answer, tests that need it are skipped with the reason, unless
MARQUEE_REQUIRE_SERVICES=1 (CI), where they fail instead: in CI a missing service is a broken set-up.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from accountdb.engine import make_engine, normalise_url
from accountdb.migrate import upgrade

# Tests never fetch models from the network (architecture rule); set before anything imports huggingface.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CONNECT_TIMEOUT_SECONDS = 3


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


@cache
def _postgres_admin_engine() -> Engine | str:
    """An AUTOCOMMIT engine on the server's maintenance database, or why there is none."""
    configured = os.environ.get("MARQUEE_TEST_POSTGRES_URL", "").strip()
    if not configured:
        return "MARQUEE_TEST_POSTGRES_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
    url = make_url(normalise_url(configured))
    engine = create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        return (
            f"PostgreSQL at {url.render_as_string(hide_password=True)} is unreachable: {exc.__cause__ or exc}"
        )
    return engine


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database that exists only for this test."""
    admin = _postgres_admin_engine()
    if isinstance(admin, str):
        _service_unavailable(admin)
        return
    name = f"marquee_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # FORCE ends connections a test forgot to close, so the drop cannot hang or leak the database.
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
        return f"Redis at {configured} is unreachable: {exc}"
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


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a new SQLite file in this test's temporary folder."""
    return f"sqlite:///{tmp_path / 'marquee.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL; tests using it run once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def migrated_engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest revision."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the services they use, so `-m "not postgres"` and `-m redis` select them."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgres_url" in fixtures or params.get("db_url") == "postgres":
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in fixtures:
            item.add_marker(pytest.mark.redis)
