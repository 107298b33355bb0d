"""Negated genres/moods and best-effort title/person spans (bot/components/negation.py, cue_spans.py)."""

from __future__ import annotations

import pytest

from bot.components.cue_spans import find_people, find_titles
from bot.components.negation import is_negated


def negated(text: str, word: str) -> bool:
    start = text.index(word)
    return is_negated(text, start, start + len(word))


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("not horror", "horror"),
        ("no horror please", "horror"),
        ("nothing too dark", "dark"),
        ("anything but westerns", "westerns"),
        ("i hate musicals", "musicals"),
        ("i don't want anything scary", "scary"),
        ("i don’t like romance", "romance"),
        ("horror is not for me", "horror"),
        ("it isn't romantic enough", "romantic"),
        ("a comedy but not horror", "horror"),
    ],
)
def test_negated(text: str, word: str) -> None:
    assert negated(text, word)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("a comedy but not horror", "comedy"),
        ("not horror, a comedy", "comedy"),
        ("something scary please", "scary"),
        ("i want a thriller", "thriller"),
        ("no idea, maybe horror", "horror"),
    ],
)
def test_not_negated(text: str, word: str) -> None:
    assert not negated(text, word)


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("movies with tom hanks", "tom hanks"),
        ("starring Meryl Streep in french", "Meryl Streep"),
        ("directed by Christopher Nolan please", "Christopher Nolan"),
        ("something by greta gerwig from the 2010s", "greta gerwig"),
    ],
)
def test_person_after_a_cue(text: str, person: str) -> None:
    assert [span.value for span in find_people(text)] == [person]


@pytest.mark.parametrize(
    "text", ["something with my kids", "with subtitles", "a movie with a twist", "by the way"]
)
def test_no_person_in_everyday_phrases(text: str) -> None:
    assert find_people(text) == []


@pytest.mark.parametrize(
    ("text", "intent", "title"),
    [
        ("something like strager things", "ask_similar", "strager things"),
        ("like the office but funnier", "ask_similar", "the office"),
        ("how long is the dark knight?", "ask_title_info", "the dark knight"),
        ("add inception to my list", "add_to_list", "inception"),
        ("i loved parasite", "feedback_positive", "parasite"),
    ],
)
def test_title_after_a_cue(text: str, intent: str, title: str) -> None:
    assert [span.value for span in find_titles(text, intent)] == [title]
    span = find_titles(text, intent)[0]
    assert text[span.start : span.end] == title


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what is it about", "ask_title_info"),
        ("add it to my list", "add_to_list"),
        ("something like that", "ask_similar"),
    ],
)
def test_pronouns_are_not_titles(text: str, intent: str) -> None:
    assert find_titles(text, intent) == []


def test_titles_only_for_intents_that_name_one() -> None:
    assert find_titles("something like the office", "request_recommendation") == []
