"""`import_interactions` against real SQLite and PostgreSQL: accounts, thumbs, views, upsert, failures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from accountdb.engine import session_scope
from accountdb.importers import RatingScaleError, import_interactions
from accountdb.models import Account, Base, Profile, Rating, Title, TitleAvailability, ViewingEvent
from recommender.io import InteractionFileError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def database_content(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order, so two states can be compared exactly."""
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in connection.execute(table.select())), key=lambda row: repr(row)
            )
            for table in Base.metadata.sorted_tables
        }


def ratings_by_user_item(engine: Engine) -> dict[tuple[str, str], tuple[str, float]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Account.external_id, Title.external_id, Rating.value, Rating.score)
            .join(Profile, Profile.id == Rating.profile_id)
            .join(Account, Account.id == Profile.account_id)
            .join(Title, Title.id == Rating.title_id)
        )
        return {(user, item): (value, score) for user, item, value, score in rows}


def test_dat_with_items_creates_accounts_views_and_thumbs(migrated_engine: Engine) -> None:
    report = import_interactions(
        migrated_engine, FIXTURES / "ratings.dat", FIXTURES / "movies.dat", source="mt"
    )

    assert report.what == "ratings (scale 0-10)"
    assert (report.read, report.inserted, report.updated, report.unchanged) == (6, 6, 0, 0)
    assert report.complete
    assert report.details["accounts created"] == 3
    assert report.details["lukewarm scores (viewing only, no thumbs)"] == 1
    (items,) = report.parts
    assert (items.read, items.inserted) == (3, 3)
    # 0-10 scale: 9+ love, 7+ up, <=4 down, 5-6 no thumbs.
    assert ratings_by_user_item(migrated_engine) == {
        ("mt:1", "mt:0000010"): ("up", 7.0),
        ("mt:1", "mt:0000020"): ("love", 10.0),
        ("mt:2", "mt:0000010"): ("down", 3.0),
        ("mt:3", "mt:0000020"): ("love", 9.0),
        ("mt:3", "mt:0000030"): ("down", 0.0),
    }
    with session_scope(migrated_engine) as session:
        account = session.scalars(select(Account).where(Account.external_id == "mt:2")).one()
        assert account.email == "mt-2@import.invalid" and not account.marketing_consent
        assert account.country == "US" and [p.name for p in account.profiles] == ["Main"]
        events = session.scalars(
            select(ViewingEvent).where(ViewingEvent.profile_id == account.profiles[0].id)
        )
        assert sorted((e.started_at, e.completed) for e in events) == [
            (datetime.fromtimestamp(1364690142, UTC), True),
            (datetime.fromtimestamp(1364690200, UTC), True),
        ]
        toy_story = session.scalars(select(Title).where(Title.external_id == "mt:0000010")).one()
        assert (toy_story.name, toy_story.release_year, toy_story.kind) == ("Toy Story", 1995, "movie")
        assert [g.name for g in toy_story.genres] == ["Animation", "Children", "Comedy"]
        assert toy_story.maturity_rating == "NR"  # data sets carry no rating: adults only
        assert [a.region for a in toy_story.availability] == ["US"]


def test_second_run_changes_nothing(migrated_engine: Engine) -> None:
    import_interactions(migrated_engine, FIXTURES / "u.data", FIXTURES / "u.item", batch_size=2)
    before = database_content(migrated_engine)

    again = import_interactions(migrated_engine, FIXTURES / "u.data", FIXTURES / "u.item", batch_size=2)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert (again.parts[0].inserted, again.parts[0].unchanged) == (0, 4)
    assert database_content(migrated_engine) == before


def test_movielens_scale_and_source_from_file_name(migrated_engine: Engine) -> None:
    report = import_interactions(migrated_engine, FIXTURES / "u.data", FIXTURES / "u.item")
    assert report.source == "movielens" and report.what == "ratings (scale 0-5)"
    # 0-5 scale: 4.5+ love, 3.5+ up, <=2 down, 2.5-3 no thumbs.
    assert ratings_by_user_item(migrated_engine) == {
        ("movielens:1", "movielens:10"): ("love", 5.0),
        ("movielens:2", "movielens:10"): ("up", 4.0),
        ("movielens:2", "movielens:30"): ("down", 1.0),
        ("movielens:3", "movielens:20"): ("love", 4.5),
    }


def test_csv_ratings_with_movies_csv(migrated_engine: Engine) -> None:
    report = import_interactions(
        migrated_engine, FIXTURES / "ratings.csv", FIXTURES / "movies.csv", source="ml"
    )
    assert report.complete and report.inserted == 4
    with session_scope(migrated_engine) as session:
        names = sorted(session.scalars(select(Title.name)))
    assert names == ["Les Misérables", "The American President", "Toy Story"]


def test_changed_score_updates_the_rating_and_adds_nothing_else(
    migrated_engine: Engine, tmp_path: Path
) -> None:
    import_interactions(migrated_engine, FIXTURES / "ratings.dat", FIXTURES / "movies.dat", source="mt")
    changed = tmp_path / "ratings.dat"
    changed.write_text((FIXTURES / "ratings.dat").read_text().replace("1::0000010::7::", "1::0000010::2::"))

    report = import_interactions(migrated_engine, changed, source="mt", rating_scale=10)

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 5)
    assert ratings_by_user_item(migrated_engine)[("mt:1", "mt:0000010")] == ("down", 2.0)
    with session_scope(migrated_engine) as session:
        assert session.scalar(select(func.count()).select_from(ViewingEvent)) == 6


def test_unknown_items_are_skipped_with_the_reason(migrated_engine: Engine, tmp_path: Path) -> None:
    items = tmp_path / "movies.dat"
    items.write_text("0000010::Toy Story (1995)::Animation\n")

    report = import_interactions(migrated_engine, FIXTURES / "ratings.dat", items, source="mt")

    assert [n.line for n in report.skipped] == [2, 4, 5, 6]
    assert report.skipped[0].reason == (
        "item 0000020 is neither in the items file nor in the database (as mt:0000020); "
        "pass the matching items file with --items"
    )
    assert report.inserted == 2 and not report.complete


def test_items_already_in_the_database_need_no_items_file(migrated_engine: Engine) -> None:
    import_interactions(migrated_engine, FIXTURES / "ratings.dat", FIXTURES / "movies.dat", source="mt")
    report = import_interactions(migrated_engine, FIXTURES / "ratings.dat", source="mt")
    assert report.complete and report.unchanged == 6


def test_malformed_rows_mid_batch_are_skipped_and_the_rest_of_the_batch_kept(migrated_engine: Engine) -> None:
    report = import_interactions(
        migrated_engine, FIXTURES / "ratings_bad.dat", FIXTURES / "movies.dat", source="mt", batch_size=3
    )

    assert [(n.line, n.reason) for n in report.skipped[:2]] == [
        (2, "rating 'abc' is not a number"),
        (3, "expected 4 fields (user, item, rating, timestamp), found 3"),
    ]
    assert [n.line for n in report.skipped] == [2, 3, 4, 6, 7, 8, 9]
    assert report.inserted == 2
    assert set(ratings_by_user_item(migrated_engine)) == {("mt:1", "mt:0000010"), ("mt:4", "mt:0000020")}


def test_database_failure_rolls_back_the_batch_and_a_rerun_completes(migrated_engine: Engine) -> None:
    _refuse_rating_score(migrated_engine, 9)
    # Batches of 2 rows: lines 1-2, 3-4, then 5-6 where line 5 scores 9 (user 3's first rows).
    report = import_interactions(
        migrated_engine, FIXTURES / "ratings.dat", FIXTURES / "movies.dat", source="mt", batch_size=2
    )

    assert report.failed_batch is not None
    assert (report.failed_batch.first_line, report.failed_batch.last_line) == (5, 6)
    assert report.inserted == 4 and not report.complete
    with session_scope(migrated_engine) as session:
        assert session.scalar(select(func.count()).select_from(ViewingEvent)) == 4
        # The account created inside the failed batch was rolled back with it.
        assert sorted(session.scalars(select(Account.external_id))) == ["mt:1", "mt:2"]

    _allow_all_ratings(migrated_engine)
    rerun = import_interactions(migrated_engine, FIXTURES / "ratings.dat", source="mt", batch_size=2)
    assert rerun.complete and (rerun.inserted, rerun.unchanged) == (2, 4)
    with session_scope(migrated_engine) as session:
        assert session.scalar(select(func.count()).select_from(ViewingEvent)) == 6


def test_regions_default_to_account_countries_plus_the_import_country(migrated_engine: Engine) -> None:
    with session_scope(migrated_engine) as session:
        session.add(Account(email="ana@example.com", name="Ana", country="BR"))
    import_interactions(migrated_engine, FIXTURES / "u.data", FIXTURES / "u.item", country="gb")
    with session_scope(migrated_engine) as session:
        regions = set(session.scalars(select(TitleAvailability.region)))
        countries = set(session.scalars(select(Account.country).where(Account.external_id.is_not(None))))
    assert regions == {"BR", "GB"} and countries == {"GB"}


def test_file_problems_raise_before_anything_is_written(migrated_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(InteractionFileError, match="is empty"):
        import_interactions(migrated_engine, FIXTURES / "empty.dat")
    with pytest.raises(InteractionFileError, match="has no header"):
        import_interactions(migrated_engine, FIXTURES / "ratings_noheader.csv")
    too_high = tmp_path / "ratings.dat"
    too_high.write_text("1::1::50::100\n")
    with pytest.raises(RatingScaleError, match="highest score is 50"):
        import_interactions(migrated_engine, too_high)
    assert all(rows == [] for name, rows in database_content(migrated_engine).items() if name != "plans")


def _refuse_rating_score(engine: Engine, score: float) -> None:
    """A real database-side failure: a trigger that rejects one rating."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_rating BEFORE INSERT ON ratings "
                    f"WHEN NEW.score = {score} BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_rating() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.score = {score} THEN RAISE EXCEPTION 'refused by test trigger'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_rating BEFORE INSERT ON ratings "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_rating()"
                )
            )


def _allow_all_ratings(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER refuse_rating"))
        else:
            connection.execute(text("DROP TRIGGER refuse_rating ON ratings"))
