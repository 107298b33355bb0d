"""Issue 2's acceptance path: seed a demo world, import a catalog and a ratings data set on top of it, and
the database stays consistent; importing both again changes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from accountdb import maturity
from accountdb.demo import SCALES, seed_demo_world
from accountdb.engine import make_engine, session_scope
from accountdb.importers import import_catalog, import_interactions
from accountdb.importers.thumbs import thumbs_for
from accountdb.models import Account, Base, Profile, Rating, Title, TitleAvailability, ViewingEvent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def database_content(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in connection.execute(table.select())), key=lambda row: repr(row)
            )
            for table in Base.metadata.sorted_tables
        }


def test_seed_then_import_catalog_and_interactions_is_consistent(db_url: str) -> None:
    seed_demo_world(db_url, SCALES["tiny"], seed=3, progress=False)
    engine = make_engine(db_url)
    try:
        seeded = database_content(engine)
        seeded_regions = {row.country for row in _rows(engine, select(Account.country))}

        catalog = import_catalog(engine, FIXTURES / "catalog.csv")
        ratings = import_interactions(engine, FIXTURES / "u.data", FIXTURES / "u.item")
        assert catalog.complete and ratings.complete
        assert (catalog.inserted, ratings.inserted, ratings.parts[0].inserted) == (8, 5, 4)

        after = database_content(engine)
        # Nothing the seeder wrote was changed or removed: imports only add rows (genres and people
        # are shared by name).
        for table, rows in seeded.items():
            assert set(map(repr, rows)) <= set(map(repr, after[table])), table
        with session_scope(engine) as session:
            imported = session.scalars(select(Title).where(Title.external_id.is_not(None))).all()
            assert len(imported) == 12
            for title in imported:
                assert {a.region for a in title.availability} == seeded_regions | {"US"}
                assert title.maturity_rank == maturity.rank(title.maturity_rating)
            for account in session.scalars(select(Account).where(Account.external_id.is_not(None))):
                assert len(account.profiles) == 1 and account.email.endswith("@import.invalid")
            for rating in session.scalars(
                select(Rating).join(Profile).join(Account).where(Account.external_id.is_not(None))
            ):
                assert rating.value == thumbs_for(rating.score, 5.0)
            imported_views = session.scalar(
                select(func.count())
                .select_from(ViewingEvent)
                .join(Profile)
                .join(Account)
                .where(Account.external_id.is_not(None))
            )
            assert imported_views == 5
            assert session.scalar(select(func.count()).select_from(TitleAvailability)) == len(
                after["title_availability"]
            )

        again_catalog = import_catalog(engine, FIXTURES / "catalog.csv")
        again_ratings = import_interactions(engine, FIXTURES / "u.data", FIXTURES / "u.item")
        assert (again_catalog.inserted, again_catalog.updated) == (0, 0)
        assert (again_ratings.inserted, again_ratings.updated) == (0, 0)
        assert database_content(engine) == after
    finally:
        engine.dispose()


def _rows(engine: Engine, query) -> list:  # noqa: ANN001
    with engine.connect() as connection:
        return list(connection.execute(query))
