"""`marquee seed` against real databases: both backends, determinism, refusing to overwrite, --reset, the CLI."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from accountdb.demo import SCALES, SeedError, seed_demo_world
from accountdb.demo.hashes import DEMO_PASSWORD
from accountdb.engine import make_engine, session_scope
from accountdb.models import Account, Base, Profile, StaffUser, Title, ViewingEvent
from marquee.cli import main

TINY = SCALES["tiny"]
IGNORED_TABLES = {"staff_users"}


def content_digest(engine: Engine) -> dict[str, str]:
    """A digest per table of every row in primary-key order, as the ORM types read them back."""
    digests = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in IGNORED_TABLES:
                continue
            digest = hashlib.sha256()
            for row in connection.execute(table.select().order_by(*table.primary_key.columns)):
                values = [json.dumps(v, sort_keys=True) if isinstance(v, dict) else repr(v) for v in row]
                digest.update("|".join(values).encode())
            digests[table.name] = digest.hexdigest()
    return digests


def test_tiny_world_loads_and_reads_back_through_the_orm(db_url: str) -> None:
    report = seed_demo_world(db_url, TINY, seed=1, progress=False)
    assert 150 <= report.counts["titles"] <= 170
    assert 80 <= report.counts["profiles"] <= 130
    assert 3_500 <= report.counts["viewing_events"] <= 8_000
    assert all(count > 0 for count in report.counts.values()), report.counts
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            for table, count in report.counts.items():
                assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == count
        with session_scope(engine) as session:
            demo = session.scalars(select(Account).where(Account.email == "demo@marquee.example")).one()
            assert demo.check_password(DEMO_PASSWORD)
            adult, kid = demo.profiles
            assert (adult.name, kid.name, kid.is_kids) == ("Jordan", "Mia", True)
            assert adult.check_pin("1234") and not adult.check_pin("0000") and kid.check_pin("")
            assert demo.subscriptions[0].plan.code == "premium" and demo.subscriptions[0].status == "active"
            assert demo.created_at.tzinfo is not None
            butter = session.scalars(select(Title).where(Title.name == "Butter and Ash")).one()
            assert {g.name for g in butter.genres} == {"Drama", "Food & Travel"}
            assert len(butter.availability) == 13 and butter.maturity_rank == 6
            watched = session.scalar(select(func.count(func.distinct(ViewingEvent.title_id))))
            assert session.scalar(select(func.count()).where(Title.popularity > 0)) == watched
            # New rows get fresh ids after the bulk load (PostgreSQL sequences were moved past the seed).
            newcomer = Account(email="new@marquee.example", name="New Person", country="GB", language="en")
            newcomer.profiles.append(Profile(name="New"))
            session.add(newcomer)
            session.flush()
            assert newcomer.id == report.counts["accounts"] + 1
    finally:
        engine.dispose()


def test_seeding_again_refuses_and_reset_replaces_everything_but_staff(db_url: str) -> None:
    seed_demo_world(db_url, TINY, seed=2, progress=False)
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            staff = StaffUser(username="ana", role="agent")
            staff.set_password("a long staff password")
            session.add(staff)
        first = content_digest(engine)
        with pytest.raises(SeedError, match="--reset"):
            seed_demo_world(db_url, TINY, seed=2, progress=False)
        assert content_digest(engine) == first, "a refused seed must not touch anything"

        seed_demo_world(db_url, TINY, seed=3, reset=True, progress=False)
        assert content_digest(engine) != first
        seed_demo_world(db_url, TINY, seed=2, reset=True, progress=False)
        assert content_digest(engine) == first, "reset + same seed gives the same world back"
        with session_scope(engine) as session:
            assert session.scalars(select(StaffUser.username)).all() == ["ana"]
    finally:
        engine.dispose()


def test_same_seed_gives_identical_rows_and_another_seed_does_not(tmp_path: Path) -> None:
    digests = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        url = f"sqlite:///{tmp_path / name}.db"
        seed_demo_world(url, TINY, seed=seed, progress=False)
        engine = make_engine(url)
        digests.append(content_digest(engine))
        engine.dispose()
    assert digests[0] == digests[1]
    assert all(digests[0][table] != digests[2][table] for table in ("titles", "accounts", "viewing_events"))


def test_sqlite_and_postgresql_hold_the_same_world(sqlite_url: str, postgres_url: str) -> None:
    digests = []
    for url in (sqlite_url, postgres_url):
        seed_demo_world(url, TINY, seed=4, progress=False)
        engine = make_engine(url)
        digests.append(content_digest(engine))
        engine.dispose()
    assert digests[0] == digests[1]


def test_cli_seeds_reports_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cli.db"
    arguments = [
        "seed",
        "--scale",
        "tiny",
        "--seed",
        "9",
        "--database-url",
        f"sqlite:///{database}",
        "--no-progress",
    ]
    assert main(arguments) == 0
    output = capsys.readouterr().out
    assert "seeded the tiny demo world (seed 9)" in output and "viewing_events" in output
    events = sqlite3.connect(database).execute("SELECT count(*) FROM viewing_events").fetchone()[0]
    assert f"{events:,}" in output

    assert main(arguments) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: the database at sqlite:///") and "--reset" in error

    assert main([*arguments, "--reset"]) == 0


def test_cli_help_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["seed", "--help"])
    assert exit_info.value.code == 0
    text_out = capsys.readouterr().out
    for word in ("--scale", "--seed", "--reset", "tiny", "large", "demo@marquee.example"):
        assert word in text_out
    with pytest.raises(SystemExit) as exit_info:
        main(["seed", "--scale", "huge"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(["seed", "--as-of", "yesterday"])
    assert "use YYYY-MM-DD" in capsys.readouterr().err
    assert main(["seed", "--database-url", "not a url"]) == 1
    assert "is not a database URL" in capsys.readouterr().err


def test_every_billing_currency_has_its_plan_prices(sqlite_url: str) -> None:
    from accountdb.demo.billing import PLAN_PRICES
    from accountdb.models import Invoice, Plan
    from accountdb.services.pricing import billing_currency, plan_price

    seed_demo_world(sqlite_url, TINY, seed=3, progress=False)
    engine = make_engine(sqlite_url)
    try:
        with session_scope(engine) as session:
            plans = session.scalars(select(Plan).order_by(Plan.id)).all()
            for currency, prices in PLAN_PRICES.items():
                assert [plan_price(session, plan, currency).amount_cents for plan in plans] == list(prices)
            # A subscriber billed in another currency is quoted the local price, not the catalogue's.
            invoice = session.scalars(select(Invoice).where(Invoice.currency != "USD").limit(1)).one()
            assert billing_currency(session, invoice.account_id, plans[0]) == invoice.currency
    finally:
        engine.dispose()
