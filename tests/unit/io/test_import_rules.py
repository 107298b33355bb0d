"""The importers' pure rules: score -> thumbs, scale detection, country names, source names, emails."""

from __future__ import annotations

from pathlib import Path

import pytest

from accountdb.importers.countries import country_code
from accountdb.importers.interactions import _imported_email
from accountdb.importers.report import FailedBatch, ImportReport
from accountdb.importers.sources import InvalidSourceName, check_source, derive_source
from accountdb.importers.thumbs import scale_for, thumbs_for


@pytest.mark.parametrize(
    ("score", "scale", "expected"),
    [
        (5, 5, "love"),
        (4.5, 5, "love"),
        (4, 5, "up"),
        (3.5, 5, "up"),
        (3, 5, None),
        (2.5, 5, None),
        (2, 5, "down"),
        (0.5, 5, "down"),
        (10, 10, "love"),
        (9, 10, "love"),
        (8, 10, "up"),
        (7, 10, "up"),
        (6, 10, None),
        (5, 10, None),
        (4, 10, "down"),
        (0, 10, "down"),
    ],
)
def test_thumbs_rule_relative_to_the_scale(score: float, scale: float, expected: str | None) -> None:
    value = thumbs_for(score, scale)
    assert (value.value if value else None) == expected


@pytest.mark.parametrize(("highest", "expected"), [(5, 5.0), (4.5, 5.0), (5.5, 10.0), (10, 10.0), (11, None)])
def test_scale_is_the_smallest_that_holds_the_highest_score(highest: float, expected: float | None) -> None:
    assert scale_for(highest) == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("United States", "US"),
        ("south korea", "KR"),
        ("Russia", "RU"),
        ("West Germany", "DE"),
        ("Soviet Union", "SU"),
        ("  United   Kingdom ", "GB"),
        ("Czech Republic", "CZ"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_country_names_map_to_iso_codes(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_source_is_derived_from_the_nearest_folder_naming_a_data_set(tmp_path: Path) -> None:
    assert derive_source(tmp_path / "movietweetings-100k" / "ratings.dat", "ratings") == "movietweetings"
    assert derive_source(tmp_path / "ml-1m" / "ratings.dat", "ratings") == "movielens"
    assert derive_source(tmp_path / "data" / "u.data", "ratings") == "movielens"
    assert derive_source(tmp_path / "exports" / "scores.csv", "ratings") == "ratings"


@pytest.mark.parametrize("bad", ["", "Movie Lens", "-x", "a" * 41, "ml:1"])
def test_bad_source_names_are_refused_with_advice(bad: str) -> None:
    with pytest.raises(InvalidSourceName, match="lower-case letters"):
        check_source(bad)


def test_imported_emails_are_undeliverable_unique_and_lower_case() -> None:
    assert _imported_email("movielens", "42") == "movielens-42@import.invalid"
    upper, lower = _imported_email("csv", "U1"), _imported_email("csv", "u1")
    assert upper != lower and upper == upper.lower() and upper.endswith("@import.invalid")


def test_report_summary_lists_lines_and_the_failed_batch() -> None:
    report = ImportReport("ratings", Path("r.dat"), "mt", read=5, inserted=2)
    for line in (2, 3, 4):
        report.skip(line, "bad")
    report.failed_batch = FailedBatch(5, 6, "disk full")
    text = report.summary(max_lines=2)
    assert "5 rows read: 2 inserted, 0 updated, 0 unchanged, 3 skipped, 0 duplicates" in text
    assert "line 2: bad" in text and "line 4: bad" not in text and "... and 1 more" in text
    assert "lines 5-6 were NOT imported" in text and "disk full" in text
    assert not report.complete
