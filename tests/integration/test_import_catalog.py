"""`import_catalog` against real SQLite and PostgreSQL: upsert, duplicates, bad rows, failed batches."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from accountdb import maturity
from accountdb.engine import session_scope
from accountdb.importers import import_catalog
from accountdb.models import Base, Credit, Title, TitleAvailability
from recommender.io import CatalogFileError

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


def test_catalog_import_stores_titles_with_their_links(migrated_engine: Engine) -> None:
    report = import_catalog(migrated_engine, FIXTURES / "catalog.csv", regions=("GB", "US"))

    assert (report.read, report.inserted, report.updated, report.unchanged) == (10, 8, 0, 0)
    assert report.skipped == [] and report.complete
    assert [(d.line, d.reason) for d in report.duplicates] == [
        (9, "show_id s1 already appeared on line 2"),
        (10, "'Sankofa' (1993, movie) is the same title as show_id s6 on line 7"),
    ]
    assert [str(w) for w in report.warnings] == [
        "line 11: maturity rating 'XYZ-9' is not on the scale; stored as NR (adults only)",
        "line 11: country 'Atlantis' is not a known country name; left out",
    ]
    with session_scope(migrated_engine) as session:
        assert len(session.scalars(select(Title)).all()) == 8
        ganglands = session.scalars(select(Title).where(Title.external_id == "catalog:s3")).one()
        assert (ganglands.kind, ganglands.name, ganglands.seasons, ganglands.runtime_minutes) == (
            "series",
            "Ganglands",
            1,
            None,
        )
        assert ganglands.date_added == date(2021, 9, 24)
        assert (ganglands.maturity_rating, ganglands.maturity_rank) == ("TV-MA", maturity.rank("TV-MA"))
        assert [g.name for g in ganglands.genres] == [
            "Crime TV Shows",
            "International TV Shows",
            "TV Action & Adventure",
        ]
        assert [(c.person.name, c.role, c.position) for c in ganglands.credits if c.role == "cast"] == [
            ("Sami Bouajila", "cast", 0),
            ("Tracy Gotoas", "cast", 1),
            ("Samuel Jouy", "cast", 2),
        ]
        assert sorted(c.country for c in ganglands.countries) == ["BE", "FR"]
        assert sorted(a.region for a in ganglands.availability) == ["GB", "US"]
        louis = session.scalars(select(Title).where(Title.external_id == "catalog:s5")).one()
        assert (louis.runtime_minutes, louis.maturity_rating) == (74, "NR")
        kota = session.scalars(select(Title).where(Title.external_id == "catalog:s7")).one()
        assert kota.maturity_rank == maturity.rank("TV-Y7")
        starling = session.scalars(select(Title).where(Title.external_id == "catalog:s9")).one()
        assert starling.maturity_rank == maturity.ADULT_RANK and starling.countries == []
        # One person credited on two titles is one Person row.
        gerima = session.scalars(select(Credit).join(Credit.person).where(Credit.role == "director")).all()
        assert len({c.person_id for c in gerima}) == len({c.person.name for c in gerima})


def test_second_run_changes_nothing(migrated_engine: Engine) -> None:
    import_catalog(migrated_engine, FIXTURES / "catalog.csv", regions=("US",), batch_size=3)
    before = database_content(migrated_engine)

    again = import_catalog(migrated_engine, FIXTURES / "catalog.csv", regions=("US",), batch_size=3)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 8)
    assert database_content(migrated_engine) == before


def test_changed_file_updates_only_the_changed_titles(migrated_engine: Engine, tmp_path: Path) -> None:
    import_catalog(migrated_engine, FIXTURES / "catalog.csv", regions=("US",))
    changed = tmp_path / "catalog.csv"
    changed.write_text(
        (FIXTURES / "catalog.csv")
        .read_text()
        .replace('"Sami Bouajila, Tracy Gotoas, Samuel Jouy"', '"Tracy Gotoas, Sami Bouajila"')
        .replace("South Africa,", "Nigeria,", 1)
    )

    report = import_catalog(migrated_engine, changed, regions=("US",))

    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 6)
    with session_scope(migrated_engine) as session:
        ganglands = session.scalars(select(Title).where(Title.external_id == "catalog:s3")).one()
        assert [c.person.name for c in ganglands.credits if c.role == "cast"] == [
            "Tracy Gotoas",
            "Sami Bouajila",
        ]
        blood = session.scalars(select(Title).where(Title.external_id == "catalog:s2")).one()
        assert [c.country for c in blood.countries] == ["NG"]


def test_availability_is_added_for_new_regions_and_never_removed(migrated_engine: Engine) -> None:
    import_catalog(migrated_engine, FIXTURES / "catalog.csv", regions=("US",))
    report = import_catalog(migrated_engine, FIXTURES / "catalog.csv", regions=("GB",))
    assert report.updated == 8
    with session_scope(migrated_engine) as session:
        regions = session.execute(select(TitleAvailability.region)).scalars().all()
    assert sorted(set(regions)) == ["GB", "US"] and len(regions) == 16


def test_bad_rows_are_skipped_with_line_numbers_and_good_rows_imported(migrated_engine: Engine) -> None:
    report = import_catalog(migrated_engine, FIXTURES / "catalog_bad.csv", regions=("US",), batch_size=2)

    assert [n.line for n in report.skipped] == [3, 4, 5, 6, 7, 11, 12, 13, 15]
    assert report.inserted == 4 and not report.complete
    with session_scope(migrated_engine) as session:
        names = sorted(session.scalars(select(Title.name)))
    assert names == ["Good One", "Last Good", "Multi Line", "Short Row"]


def test_database_failure_rolls_back_the_whole_batch_and_says_which_lines(
    migrated_engine: Engine,
) -> None:
    _refuse_title_named(migrated_engine, "Sankofa")
    # Batches of 3 titles: lines 2-4, then 5-7 (Sankofa is on line 7), then the rest.
    report = import_catalog(migrated_engine, FIXTURES / "catalog.csv", regions=("US",), batch_size=3)

    assert report.failed_batch is not None
    assert (report.failed_batch.first_line, report.failed_batch.last_line) == (5, 7)
    assert "refused by test trigger" in report.failed_batch.error
    assert "lines 5-7 were NOT imported" in report.summary()
    assert report.inserted == 3 and not report.complete
    with session_scope(migrated_engine) as session:
        ids = sorted(session.scalars(select(Title.external_id)))
        assert ids == ["catalog:s1", "catalog:s2", "catalog:s3"]  # nothing of the failed batch remains

    _allow_all_titles(migrated_engine)
    rerun = import_catalog(migrated_engine, FIXTURES / "catalog.csv", regions=("US",), batch_size=3)
    assert (rerun.inserted, rerun.unchanged) == (5, 3) and rerun.complete


def test_wrong_header_raises_before_writing(migrated_engine: Engine) -> None:
    with pytest.raises(CatalogFileError, match=r"lacks the column\(s\) country, duration"):
        import_catalog(migrated_engine, FIXTURES / "catalog_wrong_header.csv")
    with session_scope(migrated_engine) as session:
        assert session.scalars(select(Title)).first() is None


def test_default_regions_are_the_account_countries_and_a_warning_when_none(
    migrated_engine: Engine, tmp_path: Path
) -> None:
    copy = tmp_path / "catalog.csv"
    shutil.copy(FIXTURES / "catalog.csv", copy)
    report = import_catalog(migrated_engine, copy)
    assert any("no accounts exist yet" in str(w) for w in report.warnings)
    with session_scope(migrated_engine) as session:
        assert session.scalars(select(TitleAvailability)).first() is None


def _refuse_title_named(engine: Engine, name: str) -> None:
    """A real database-side failure: a trigger that rejects one title."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_title BEFORE INSERT ON titles "
                    f"WHEN NEW.name = '{name}' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_title() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.name = '{name}' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_title BEFORE INSERT ON titles "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_title()"
                )
            )


def _allow_all_titles(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER refuse_title"))
        else:
            connection.execute(text("DROP TRIGGER refuse_title ON titles"))
