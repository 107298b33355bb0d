"""Reading constraint words: runtimes, eras, languages, countries, children's ages and ordinals."""

from __future__ import annotations

from datetime import date

import pytest

from accountdb import maturity
from actions.constraint_values import (
    QUICK_MINUTES,
    country_code,
    language_code,
    maturity_limit_for_age,
    parse_age,
    parse_era,
    parse_ordinal,
    parse_runtime_minutes,
    shorter_than,
)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("under 2 hours", 120),
        ("less than two hours", 120),
        ("90 minutes", 90),
        ("under 90 min", 90),
        ("45 mins", 45),
        ("1h30", 90),
        ("1 hour 20 minutes", 80),
        ("an hour and a half", 90),
        ("two and a half hours", 150),
        ("half an hour", 30),
        ("an hour", 60),
        ("2.5 hours", 150),
        ("under 100", 100),
        ("something quick", QUICK_MINUTES),
        ("not too long", QUICK_MINUTES),
    ],
)
def test_runtime_text_to_minutes(text: str, minutes: float) -> None:
    assert parse_runtime_minutes(text) == minutes


@pytest.mark.parametrize("text", [None, "", "hello", "a comedy"])
def test_runtime_without_a_value(text: str | None) -> None:
    assert parse_runtime_minutes(text) is None


def test_shorter_goes_below_current_limit_or_last_suggestions() -> None:
    assert shorter_than(120.0, []) == 96
    assert shorter_than(None, [130.0, 100.0]) == 104
    assert shorter_than(None, []) == 96
    assert shorter_than(22.0, []) == 20  # never absurdly short


TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("80s", (1980, 1989)),
        ("the 80's", (1980, 1989)),
        ("1980s", (1980, 1989)),
        ("the nineties", (1990, 1999)),
        ("early 2000s", (2000, 2004)),
        ("late 90s", (1995, 1999)),
        ("2010s", (2010, 2019)),
        ("20s", (2020, 2029)),
        ("1920s", (1920, 1929)),
        ("recent", (2023, None)),
        ("something new", (2023, None)),
        ("a classic", (None, 1979)),
        ("from 2015", (2015, 2015)),
        ("since 2015", (2015, None)),
        ("before 1990", (None, 1989)),
        ("1980-1989", (1980, 1989)),
        ("2015-", (2015, None)),
        ("-1999", (None, 1999)),
    ],
)
def test_era_text_to_year_range(text: str, years: tuple) -> None:
    assert parse_era(text, today=TODAY) == years


def test_era_without_a_value() -> None:
    assert parse_era("whatever", today=TODAY) is None
    assert parse_era(None) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Korean", "ko"),
        ("in spanish", "es"),
        ("ko", "ko"),
        ("Japanese", "ja"),
        ("Klingon", None),
        (None, None),
    ],
)
def test_language_names_to_codes(text: str | None, code: str | None) -> None:
    assert language_code(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("from Japan", "JP"),
        ("British", "GB"),
        ("south korea", "KR"),
        ("gb", "GB"),
        ("NZ", "NZ"),
        ("Atlantis", None),
    ],
)
def test_country_names_to_codes(text: str, code: str | None) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize(
    ("text", "age"),
    [("8 year old", 8), ("eight", 8), ("my 6yo", 6), (3.0, 3), ("25", None), ("kids", None), (None, None)],
)
def test_child_age(text: object, age: int | None) -> None:
    assert parse_age(text) == age  # type: ignore[arg-type]


def test_age_limits_grow_with_age_and_stay_below_adult() -> None:
    limits = [maturity_limit_for_age(age) for age in range(0, 18)]
    assert limits == sorted(limits)
    assert maturity_limit_for_age(8) == maturity.MATURITY_SCALE["PG"]
    assert maturity_limit_for_age(4) == maturity.MATURITY_SCALE["TV-G"]
    assert maturity_limit_for_age(13) == maturity.MATURITY_SCALE["PG-13"]
    assert max(limits) < maturity.MATURITY_SCALE["TV-MA"]


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("second", 2),
        ("2", 2),
        ("the 3rd one", 3),
        ("first one", 1),
        ("the last one", -1),
        ("0", None),
        ("x", None),
    ],
)
def test_ordinals(text: str, position: int | None) -> None:
    assert parse_ordinal(text) == position
