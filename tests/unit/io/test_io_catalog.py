"""The public streaming-catalog CSV: multi-values, missing fields, dates, durations, header checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from recommender.io import (
    CatalogFileError,
    CatalogRow,
    RowError,
    parse_date_added,
    parse_duration,
    read_catalog_csv,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


def test_reads_rows_with_multi_values_and_missing_fields() -> None:
    rows = list(read_catalog_csv(FIXTURES / "catalog.csv"))
    assert all(isinstance(r, CatalogRow) for r in rows)
    first, second, third, fourth = rows[:4]
    assert first == CatalogRow(
        line=2,
        show_id="s1",
        kind="movie",
        title="Dick Johnson Is Dead",
        directors=("Kirsten Johnson",),
        cast=(),
        countries=("United States",),
        date_added=date(2021, 9, 25),
        release_year=2020,
        rating="PG-13",
        runtime_minutes=90,
        seasons=None,
        genres=("Documentaries",),
        description=first.description,
    )
    assert first.description.startswith("As her father nears the end of his life")
    assert second.kind == "series" and second.seasons == 2 and second.runtime_minutes is None
    assert second.cast == ("Ama Qamata", "Khosi Ngema", "Gail Mabalane", "Thabang Molaba")
    assert second.genres == ("International TV Shows", "TV Dramas", "TV Mysteries")
    assert third.countries == ("France", "Belgium")
    assert third.date_added == date(2021, 9, 24)  # written with a leading space
    assert third.seasons == 1
    assert fourth.directors == ("Robert Cullen", "José Luis Ucha")
    assert fourth.countries == ()


def test_duration_found_in_rating_column_is_moved() -> None:
    row = next(r for r in read_catalog_csv(FIXTURES / "catalog.csv") if r.show_id == "s5")
    assert row.rating is None
    assert row.runtime_minutes == 74


def test_duplicates_are_left_for_the_importer_to_judge() -> None:
    ids = [r.show_id for r in read_catalog_csv(FIXTURES / "catalog.csv")]
    assert ids.count("s1") == 2


def test_bad_rows_are_reported_with_start_line_and_reason() -> None:
    results = list(read_catalog_csv(FIXTURES / "catalog_bad.csv"))
    good = [r for r in results if isinstance(r, CatalogRow)]
    errors = {e.line: e.reason for e in results if isinstance(e, RowError)}
    assert [(r.line, r.show_id) for r in good] == [(2, "s1"), (9, "s7"), (14, "s11"), (16, "s13")]
    assert good[1].description == "First line\nsecond line."
    assert good[2].runtime_minutes is None and good[2].date_added is None  # short row: fields missing
    assert errors == {
        3: "date_added 'Septembre 25, 2021' is not a date like 'September 25, 2021'",
        4: "date_added 'February 30, 2021' is not a real calendar date",
        5: "duration 'ninety minutes' is neither minutes ('90 min') nor seasons ('3 Seasons')",
        6: "type 'Cartoon' is neither 'Movie' nor 'TV Show'",
        7: "title is empty (show_id s6)",
        11: "release_year '20199' is not a year",
        12: "duration '45 min' is in minutes but the type is TV Show",
        13: "has 13 fields but the header has 12; quote values that contain commas",
        15: "contains bytes that are not UTF-8 (0xe9 at byte 14); save the file as UTF-8 and import it again",
    }


def test_header_missing_columns_are_named() -> None:
    with pytest.raises(CatalogFileError, match=r"lacks the column\(s\) country, duration;") as caught:
        read_catalog_csv(FIXTURES / "catalog_wrong_header.csv")
    assert caught.value.line == 1


def test_columns_may_come_in_any_order_and_header_case(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        "Title,Show_ID,type,director,cast,country,date_added,release_year,rating,duration,listed_in,description\n"
        'Ganglands,s3,TV Show,,,France,"September 24, 2021",2021,TV-MA,1 Season,Crime TV Shows,Heist.\n'
    )
    (row,) = read_catalog_csv(path)
    assert isinstance(row, CatalogRow) and (row.show_id, row.title) == ("s3", "Ganglands")


def test_empty_catalog_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes(b"")
    with pytest.raises(CatalogFileError, match="is empty"):
        read_catalog_csv(path)


def test_unclosed_quote_is_a_row_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    header = (FIXTURES / "catalog.csv").read_text().splitlines()[0]
    path.write_text(f'{header}\ns1,Movie,"Broken,,,,,,,,,\n')
    results = list(read_catalog_csv(path))
    assert len(results) == 1 and isinstance(results[0], RowError) and results[0].line == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("September 25, 2021", date(2021, 9, 25)),
        (" August 4, 2017", date(2017, 8, 4)),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_date_added(text: str, expected: date | None) -> None:
    assert parse_date_added(text) == expected


@pytest.mark.parametrize("text", ["2021-09-25", "Sept 25 2021x", "September 31, 2021"])
def test_parse_date_added_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="date_added"):
        parse_date_added(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90 min", (90, None)), ("1 Season", (None, 1)), ("3 Seasons", (None, 3)), ("", (None, None))],
)
def test_parse_duration(text: str, expected: tuple[int | None, int | None]) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["90", "min 90", "three seasons", "1.5 Seasons"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
