"""`marquee import ...` as an operator runs it: a subprocess on the fixtures after `marquee migrate`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accountdb.engine import make_engine, session_scope
from accountdb.migrate import upgrade
from accountdb.models import Rating, Title

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def marquee(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marquee", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def test_import_catalog_and_interactions_from_the_command_line(db_url: str) -> None:
    assert marquee("migrate", "--database-url", db_url).returncode == 0

    catalog = marquee(
        "import", "catalog", FIXTURES / "catalog.csv", "--database-url", db_url, "--available-in", "us,gb"
    )
    assert catalog.returncode == 0, catalog.stderr
    assert "10 rows read: 8 inserted, 0 updated, 0 unchanged, 0 skipped, 2 duplicates" in catalog.stdout
    assert "line 9: show_id s1 already appeared on line 2" in catalog.stdout
    assert "importing catalog.csv" in catalog.stderr  # the progress bar

    ratings = marquee(
        "import", "interactions", FIXTURES / "ratings.dat", "--items", FIXTURES / "movies.dat",
        "--source", "mt", "--database-url", db_url,
    )  # fmt: skip
    assert ratings.returncode == 0, ratings.stderr
    assert "6 rows read: 6 inserted" in ratings.stdout

    again = marquee(
        "import", "interactions", FIXTURES / "ratings.dat", "--items", FIXTURES / "movies.dat",
        "--source", "mt", "--database-url", db_url,
    )  # fmt: skip
    assert again.returncode == 0
    assert "6 rows read: 0 inserted, 0 updated, 6 unchanged" in again.stdout

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(Title)) == 11
            assert session.scalar(select(func.count()).select_from(Rating)) == 5
    finally:
        engine.dispose()


@pytest.fixture
def migrated_sqlite_url(sqlite_url: str) -> str:
    """Migrated in-process: only the import commands themselves need to run as subprocesses here."""
    upgrade(sqlite_url)
    return sqlite_url


def test_skipped_rows_exit_3_and_list_line_numbers(migrated_sqlite_url: str) -> None:
    sqlite_url = migrated_sqlite_url
    result = marquee(
        "import", "catalog", FIXTURES / "catalog_bad.csv", "--database-url", sqlite_url, "--show", "2"
    )
    assert result.returncode == 3
    assert "skipped rows (9):" in result.stdout
    assert "line 3: date_added 'Septembre 25, 2021' is not a date like 'September 25, 2021'" in result.stdout
    assert "... and 7 more" in result.stdout
    assert "not everything was imported" in result.stderr


def test_file_problems_exit_1_with_a_clear_message(migrated_sqlite_url: str) -> None:
    cases = [
        (["catalog", FIXTURES / "missing.csv"], "missing.csv does not exist. Pass the path of the file"),
        (["catalog", FIXTURES / "catalog_wrong_header.csv"], "lacks the column(s) country, duration"),
        (["interactions", FIXTURES / "empty.dat"], "is empty; there is nothing to import"),
        (["interactions", FIXTURES / "ratings_noheader.csv"], "add the header line"),
    ]
    for args, message in cases:
        result = marquee("import", *args, "--database-url", migrated_sqlite_url)
        assert result.returncode == 1, args
        assert result.stderr.splitlines()[-1].startswith("error: ")
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_unmigrated_database_is_refused(sqlite_url: str) -> None:
    result = marquee("import", "catalog", FIXTURES / "catalog.csv", "--database-url", sqlite_url)
    assert result.returncode == 1
    assert "Run `marquee migrate` first" in result.stderr


def test_help_explains_formats_rules_and_exit_codes() -> None:
    catalog = marquee("import", "catalog", "--help")
    interactions = marquee("import", "interactions", "--help")
    assert catalog.returncode == interactions.returncode == 0
    assert "show_id,type,title,director,cast,country" in catalog.stdout
    assert "exit status:" in catalog.stdout
    assert "u.data" in interactions.stdout and "movies.dat" in interactions.stdout
    assert "skipped and reported" in interactions.stdout
