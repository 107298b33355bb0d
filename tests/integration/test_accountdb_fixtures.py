"""The shared database fixtures keep their promises: skip or fail by policy, isolate, clean up."""

from pathlib import Path

import pytest
import redis
from sqlalchemy import text

CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"

INNER_TESTS = """
import os
from pathlib import Path

import redis
from sqlalchemy import inspect, text

from accountdb.engine import make_engine


def test_postgres(postgres_url):
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        name = connection.execute(text("SELECT current_database()")).scalar_one()
        assert inspect(connection).get_table_names() == []
    engine.dispose()
    Path(os.environ["FIXTURE_REPORT"], "postgres").write_text(name)

def test_migrated(migrated_engine):
    assert "accounts" in inspect(migrated_engine).get_table_names()

def test_redis(redis_url, redis_key_prefix):
    client = redis.Redis.from_url(redis_url)
    client.set(redis_key_prefix + "greeting", "hello")
    client.close()
    Path(os.environ["FIXTURE_REPORT"], "redis").write_text(redis_key_prefix)
"""


@pytest.fixture
def inner(pytester, monkeypatch, tmp_path):
    """Runs INNER_TESTS with the real conftest in a throw-away pytest session.

    In a subprocess: an in-process run unloads the database drivers it imported, after which SQLAlchemy
    no longer recognises their exceptions in the tests that follow.
    """
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_inner=INNER_TESTS)
    monkeypatch.setenv("FIXTURE_REPORT", str(tmp_path))
    monkeypatch.delenv("MARQUEE_REQUIRE_SERVICES", raising=False)
    # Third-party plugins (schemathesis, hypothesis) only slow the inner start-up down.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(*args):
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rsE", *args)

    return run


def test_missing_services_skip_with_the_reason_and_tests_are_marked(inner, monkeypatch):
    monkeypatch.delenv("MARQUEE_TEST_POSTGRES_URL", raising=False)
    monkeypatch.setenv("MARQUEE_TEST_REDIS_URL", "redis://127.0.0.1:1/0")
    # Selecting by marker proves the marks: exactly the three service tests run (and skip).
    result = inner("-m", "postgres or redis")
    result.assert_outcomes(skipped=3, deselected=1)
    result.stdout.fnmatch_lines(
        ["*MARQUEE_TEST_POSTGRES_URL is not set*", "*Redis at redis://127.0.0.1:1/0 is unreachable*"]
    )


def test_missing_services_fail_when_required(inner, monkeypatch):
    monkeypatch.setenv("MARQUEE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:1/postgres")
    monkeypatch.delenv("MARQUEE_TEST_REDIS_URL", raising=False)
    monkeypatch.setenv("MARQUEE_REQUIRE_SERVICES", "1")
    result = inner()
    result.assert_outcomes(passed=1, errors=3)
    result.stdout.fnmatch_lines(
        ["*PostgreSQL at *127.0.0.1:1/postgres is unreachable*MARQUEE_REQUIRE_SERVICES=1*"]
    )


def test_databases_and_keys_are_removed_after_each_test(inner, tmp_path, _postgres_admin, redis_url):
    result = inner("-k", "test_postgres or test_redis")
    result.assert_outcomes(passed=2)

    database = (tmp_path / "postgres").read_text()
    assert database.startswith("marquee_test_")
    with _postgres_admin.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": database}
        )
        assert left.scalar_one() == 0

    prefix = (tmp_path / "redis").read_text()
    assert prefix.startswith("marquee-test:")
    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"{prefix}*")) == []
    finally:
        client.close()
