"""The NLU's runtime, era, age and ordinal values (bot/components/constraint_values.py)."""

from __future__ import annotations

import pytest

from bot.components.constraint_values import find_constraint_values

THIS_YEAR = 2026


def values(text: str) -> list[tuple[str, str, str]]:
    return [(s.entity, text[s.start : s.end], s.value) for s in find_constraint_values(text, THIS_YEAR)]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("under 2 hours", "120"),
        ("less than 90 minutes", "90"),
        ("an hour and a half max", "90"),
        ("half an hour", "30"),
        ("1h30 tops", "90"),
        ("2.5 hours", "150"),
        ("2 and a half hours", "150"),
        ("a couple of hours", "120"),
        ("45min episodes", "45"),
        ("under an hour", "60"),
        ("something quick", "45"),
        ("nothing too long", "45"),
    ],
)
def test_runtime_is_maximum_minutes(text: str, minutes: str) -> None:
    assert [v[2] for v in values(text) if v[0] == "runtime"] == [minutes]


@pytest.mark.parametrize(
    "text", ["over 2 hours", "at least 90 minutes", "something shorter", "a short film festival"]
)
def test_minimums_and_refinements_are_not_a_maximum(text: str) -> None:
    found = [v for v in values(text) if v[0] == "runtime"]
    # "short film" is the one deliberate exception: "short" alone reads as "quick".
    assert found == ([("runtime", "short", "45")] if "short film" in text else [])


@pytest.mark.parametrize(
    ("text", "era"),
    [
        ("80s action", "1980-1989"),
        ("from the '90s", "1990-1999"),
        ("the 1970s", "1970-1979"),
        ("2000s", "2000-2009"),
        ("10s", "2010-2019"),
        ("the eighties", "1980-1989"),
        ("from 2015", "2015-"),
        ("since 2018", "2018-"),
        ("2015 onwards", "2015-"),
        ("before 2000", "-1999"),
        ("between 1990 and 2000", "1990-2000"),
        ("a 2019 film", "2019-2019"),
        ("from this year", "2026-2026"),
        ("last year", "2025-2025"),
        ("something recent", "2023-"),
        ("old classics", "-1989"),
    ],
)
def test_era_is_a_year_range(text: str, era: str) -> None:
    assert era in [v[2] for v in values(text) if v[0] == "era"]


def test_old_in_a_childs_age_is_not_an_era() -> None:
    assert values("for my 8 year old") == [("age", "8 year old", "8")]
    assert values("an eight-year-old") == [("age", "eight-year-old", "8")]


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("for my 8 year old", "8"),
        ("my 8yo loves cars", "8"),
        ("kids aged 6", "6"),
        ("for my toddler", "3"),
        ("something for my teen", "13"),
        ("for my five year old", "5"),
    ],
)
def test_kids_age_in_years(text: str, age: str) -> None:
    assert [v[2] for v in values(text) if v[0] == "age"] == [age]


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("the second one", "2"),
        ("2", "2"),
        ("#3", "3"),
        ("number 3", "3"),
        ("option 1", "1"),
        ("I want the 3rd", "3"),
        ("the last one", "-1"),
        ("more like the first", "1"),
    ],
)
def test_ordinal_is_a_position(text: str, position: str) -> None:
    assert [v[2] for v in values(text) if v[0] == "ordinal"] == [position]


@pytest.mark.parametrize("text", ["under 2 hours", "top 10 in my country", "last year", "my 8 year old"])
def test_numbers_inside_other_phrases_are_not_ordinals(text: str) -> None:
    assert not [v for v in values(text) if v[0] == "ordinal"]


def test_combined_constraints_in_one_message() -> None:
    assert values("a funny series under 30 minutes from the 90s") == [
        ("runtime", "30 minutes", "30"),
        ("era", "the 90s", "1990-1999"),
    ]
