"""Resolving titles, people and genres the user names, including typos and ambiguous names."""

from __future__ import annotations

import pytest

from actions.catalog_index import CatalogEntry, CatalogIndex, description_query

ENTRIES = [
    CatalogEntry(
        "1", "Stranger Things", 2016, "series", ("Science Fiction", "Horror"), (), ("Winona Ryder",)
    ),
    CatalogEntry("2", "Dune", 1984, "movie", ("Science Fiction",), (), ("Kyle MacLachlan", "David Lynch")),
    CatalogEntry("3", "Dune", 2021, "movie", ("Science Fiction",), (), ("Timothée Chalamet",)),
    CatalogEntry("4", "Up", 2009, "movie", ("Animation", "Family"), (), ("Ed Asner",)),
    CatalogEntry("5", "Amélie", 2001, "movie", ("Comedy", "Romance"), (), ("Audrey Tautou",)),
    CatalogEntry("6", "The Office", 2005, "series", ("Comedy",), (), ("Steve Carell",)),
    CatalogEntry("7", "Big", 1988, "movie", ("Comedy",), (), ("Tom Hanks",)),
    CatalogEntry("8", "Cast Away", 2000, "movie", ("Drama", "Adventure"), (), ("Tom Hanks",)),
    CatalogEntry("9", "Spider-Man: No Way Home", 2021, "movie", ("Action",), (), ("Tom Holland",)),
    CatalogEntry("10", "Spider-Man", 2002, "movie", ("Action",), (), ("Tobey Maguire",)),
]


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    return CatalogIndex(ENTRIES)


def labels(resolution) -> list[str]:  # noqa: ANN001
    return [entry.label for entry in resolution.candidates] if resolution else []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("something like stranger things", ["Stranger Things (2016)"]),
        ("something like STRANGER THINGS?", ["Stranger Things (2016)"]),
        ("something like strager things", ["Stranger Things (2016)"]),
        ("tell me about amelie", ["Amélie (2001)"]),
        ("is the ofice available", ["The Office (2005)"]),
        ("more like spider-man: no way home", ["Spider-Man: No Way Home (2021)"]),
        ("more like spider-man", ["Spider-Man (2002)"]),
    ],
)
def test_titles_resolve_exactly_or_through_typos(
    index: CatalogIndex, message: str, expected: list[str]
) -> None:
    assert labels(index.resolve_title(message)) == expected


def test_typo_resolution_is_marked_inexact(index: CatalogIndex) -> None:
    resolution = index.resolve_title("something like strager things")
    assert resolution is not None and not resolution.exact and 86 <= resolution.score < 100
    assert resolution.matched_text == "strager things"


def test_two_titles_with_one_name_are_ambiguous_newest_first(index: CatalogIndex) -> None:
    resolution = index.resolve_title("something like dune")
    assert resolution is not None and resolution.ambiguous
    assert labels(resolution) == ["Dune (2021)", "Dune (1984)"]


def test_everyday_words_are_not_mistaken_for_short_titles(index: CatalogIndex) -> None:
    assert index.resolve_title("something to cheer me up") is None
    assert index.resolve_title("i want something big and loud") is None
    assert index.resolve_title("what should i watch tonight?") is None


def test_pronouns_never_resolve_to_a_title_named_like_them() -> None:
    index = CatalogIndex([CatalogEntry("1", "It", 2017, "movie"), CatalogEntry("2", "Her", 2013, "movie")])
    for message in ("I loved it", "how long is it", "add it to my list", "tell me about her", "it"):
        assert index.resolve_title(message) is None, message
    assert index.resolve_title("how long is it", hint="it") is None
    assert labels(index.resolve_title("I loved It")) == ["It (2017)"]
    assert labels(index.resolve_title("how long is Her?")) == ["Her (2013)"]


def test_short_titles_resolve_when_the_context_says_title(index: CatalogIndex) -> None:
    assert labels(index.resolve_title("something like up")) == ["Up (2009)"]
    assert labels(index.resolve_title("I loved Big")) == ["Big (1988)"]
    assert labels(index.resolve_title("up")) == ["Up (2009)"]
    assert index.resolve_title("i loved big") is None  # lower case and no cue: an ordinary word
    # The NLU's title span is trusted as a whole.
    assert labels(index.resolve_title("anything similar to that one, up", hint="up")) == ["Up (2009)"]


def test_button_payload_id_resolves_directly(index: CatalogIndex) -> None:
    assert labels(index.resolve_title("/ask_title_info", hint="3")) == ["Dune (2021)"]


def test_people_exact_accentless_and_typo(index: CatalogIndex) -> None:
    assert [p.name for p in index.find_people("anything with Tom Hanks")] == ["Tom Hanks"]
    assert [p.name for p in index.find_people("with timothee chalamet")] == ["Timothée Chalamet"]
    typo = index.find_people("anything with tom hnaks")
    assert [p.name for p in typo] == ["Tom Hanks"] and typo[0].score < 100
    assert index.find_people("something funny") == []
    assert sorted(index.titles_with_person("tom hanks")) == ["7", "8"]


def test_genres_map_to_catalog_spelling(index: CatalogIndex) -> None:
    assert index.catalog_genres("science-fiction") == ["Science Fiction"]
    assert index.catalog_genres("sci-fi") == ["Science Fiction"]
    assert index.catalog_genres("comedies") == ["Comedy"]
    assert index.catalog_genres("COMEDY") == ["Comedy"]
    assert index.catalog_genres("knitting") == []
    assert index.find_genres("a comedy, not horror") == ["Comedy", "Horror"]


def test_genre_words_find_longer_catalog_names() -> None:
    index = CatalogIndex(
        CatalogEntry(str(i), f"T{i}", 2000, "movie", (genre,))
        for i, genre in enumerate(["Reality TV", "Music & Musicals", "Stand-Up Comedy", "Comedy", "Kids"])
    )
    assert index.catalog_genres("reality") == ["Reality TV"]
    assert index.catalog_genres("musical") == ["Music & Musicals"]
    assert index.catalog_genres("stand-up") == ["Stand-Up Comedy"]
    assert index.catalog_genres("comedy") == ["Comedy", "Stand-Up Comedy"]
    assert index.catalog_genres("kids") == ["Kids"]


def test_fingerprint_changes_with_searchable_text() -> None:
    first = CatalogIndex(ENTRIES[:3]).fingerprint()
    changed = [*ENTRIES[:2], CatalogEntry("3", "Dune", 2021, "movie", description="Sand and worms.")]
    assert CatalogIndex(ENTRIES[:3]).fingerprint() == first
    assert CatalogIndex(changed).fingerprint() != first


@pytest.mark.parametrize(
    ("message", "query"),
    [
        ("the one about a chef in Paris", "a chef in Paris"),
        ("that movie where a rat cooks?", "a rat cooks"),
        ("looking for the show about dragons", "dragons"),
        ("a chef in Paris", "a chef in Paris"),
    ],
)
def test_description_openers_are_stripped(message: str, query: str) -> None:
    assert description_query(message) == query
