"""The Alembic migrations build exactly the schema accountdb.models describes, on SQLite and PostgreSQL."""

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from accountdb import migrate
from accountdb.engine import make_engine
from accountdb.models import Base
from marquee.cli import main as marquee_main


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_round_trip(db_url):
    assert migrate.current_revision(db_url) is None
    assert migrate.upgrade(db_url) == migrate.head_revision()
    assert set(Base.metadata.tables) <= _tables(db_url)

    assert migrate.downgrade(db_url, "base") is None
    assert _tables(db_url) == set()

    migrate.upgrade(db_url)
    assert migrate.is_at_head(db_url)
    # Upgrading again is a no-op, not an error.
    assert migrate.upgrade(db_url) == migrate.head_revision()


def test_models_match_migrations(migrated_engine):
    with migrated_engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == [], "models and migrations disagree; write a migration for: " + repr(differences)


def test_migrate_command_upgrades_and_check_reports_state(db_url, capsys):
    assert marquee_main(["migrate", "--database-url", db_url, "--check"]) == 1

    assert marquee_main(["migrate", "--database-url", db_url]) == 0
    assert f"is at revision {migrate.head_revision()}" in capsys.readouterr().out

    assert marquee_main(["migrate", "--database-url", db_url, "--check"]) == 0
    assert migrate.is_at_head(db_url)


def test_migrate_command_reports_an_unreachable_database(capsys):
    url = "postgresql://postgres@127.0.0.1:1/nowhere"
    assert marquee_main(["migrate", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot open the database at postgresql://postgres@127.0.0.1:1/nowhere")
    assert "Traceback" not in err


def test_migrate_command_uses_the_configured_default_database(monkeypatch, tmp_path):
    monkeypatch.setenv("MARQUEE_DATA_DIR", str(tmp_path))
    assert marquee_main(["migrate"]) == 0
    assert migrate.current_revision(f"sqlite:///{tmp_path / 'marquee.db'}") == migrate.head_revision()


@pytest.mark.slow
def test_two_migrators_started_together_both_succeed(db_url):
    # Separate processes, as in production; the bare library call keeps start-up cheap.
    command = [
        sys.executable,
        "-c",
        "import sys; from accountdb.migrate import upgrade; upgrade(sys.argv[1])",
        db_url,
    ]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outcomes = [(process.wait(timeout=120), process.stderr.read()) for process in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    assert migrate.is_at_head(db_url)


def test_migrate_help_explains_the_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        marquee_main(["migrate", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--database-url" in out and "--check" in out and "newest revision" in out


def test_database_from_a_newer_release_is_reported_not_downgraded(sqlite_url, capsys):
    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()

    assert marquee_main(["migrate", "--database-url", sqlite_url, "--check"]) == 1
    assert marquee_main(["migrate", "--database-url", sqlite_url]) == 1
    assert "migrated by a newer Marquee; upgrade this installation" in capsys.readouterr().err
    assert migrate.current_revision(sqlite_url) == "9999_future"
