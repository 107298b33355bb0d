"""The demo catalog generator: deterministic, varied, realistic metadata, descriptions with signal."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import numpy as np
import pytest

from accountdb import maturity
from accountdb.demo.anchors import ANCHOR_TITLES
from accountdb.demo.catalog import Catalog, generate_catalog
from accountdb.demo.genres import GENRE_BY_KEY, KIDS_GENRES
from accountdb.demo.geography import REGION_CODES

AS_OF = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return generate_catalog(np.random.default_rng(11), 1_200, AS_OF)


def test_same_seed_same_catalog_other_seed_other_catalog() -> None:
    first = generate_catalog(np.random.default_rng(5), 300, AS_OF)
    again = generate_catalog(np.random.default_rng(5), 300, AS_OF)
    other = generate_catalog(np.random.default_rng(6), 300, AS_OF)
    assert first.title == again.title and first.description == again.description
    assert np.array_equal(first.available, again.available) and np.array_equal(
        first.popularity, again.popularity
    )
    assert first.title != other.title


def test_titles_read_like_real_ones_and_never_repeat(catalog: Catalog) -> None:
    names = [name.casefold() for name in catalog.title]
    assert len(set(names)) == len(names)
    assert not [
        name for name in catalog.title if re.fullmatch(r"(title|movie|show)\s*\d+", name, re.IGNORECASE)
    ]
    # Varied: no single word dominates the catalog's names.
    words = Counter(word for name in catalog.title for word in re.findall(r"[a-z']+", name.lower()))
    for word, count in words.most_common(5):
        if word not in {"the", "of", "in", "and", "a"}:
            assert count < len(catalog) * 0.1, word
    sequels = [name for name in catalog.title if name.endswith((" II", " 2", ": Part Two"))]
    assert sequels, "a few hits should have sequels"
    for sequel in sequels:
        original = re.sub(r"( II| 2|: Part Two)$", "", sequel)
        assert original in catalog.title


def test_anchor_titles_are_present_with_their_premises(catalog: Catalog) -> None:
    for anchor in ANCHOR_TITLES:
        index = catalog.title.index(anchor.title)
        assert catalog.description[index] == anchor.description
        assert catalog.available[index].all(), "anchors are offered in every region"
    chef = catalog.description[catalog.title.index("Butter and Ash")]
    assert "chef" in chef and "Paris" in chef
    assert "lighthouse" in catalog.description[catalog.title.index("The Keeper of Gull Rock")]


def test_descriptions_are_sentences_that_carry_genre_and_mood(catalog: Catalog) -> None:
    anchor_names = {anchor.title for anchor in ANCHOR_TITLES}
    for index, description in enumerate(catalog.description):
        assert description[0].isupper() and description.endswith(".")
        assert description.count(".") >= 2, "a premise sentence and a summary sentence"
        if catalog.title[index] in anchor_names:
            continue
        genre = GENRE_BY_KEY[catalog.genres[index][0]]
        noun = genre.series_noun if catalog.kind[index] == "series" else genre.movie_noun
        assert noun in description


def test_word_overlap_finds_the_anchor_premises(catalog: Catalog) -> None:
    """A crude bag-of-words search already ranks the anchors first: the descriptions carry signal."""
    vocabulary: dict[str, int] = {}
    documents = [
        set(re.findall(r"[a-z]+", (n + " " + d).lower()))
        for n, d in zip(catalog.title, catalog.description, strict=True)
    ]
    for words in documents:
        for word in words:
            vocabulary[word] = vocabulary.get(word, 0) + 1

    def search(query: str) -> list[str]:
        terms = set(re.findall(r"[a-z]+", query.lower()))
        scores = [sum(np.log(len(documents) / vocabulary[t]) for t in terms & words) for words in documents]
        return [catalog.title[i] for i in np.argsort(scores)[::-1][:3]]

    assert "Butter and Ash" in search("chef paris bistro")
    assert "The Keeper of Gull Rock" in search("haunted lighthouse")
    assert "Orbit of Silence" in search("astronaut jupiter station")


def test_series_have_seasons_and_movies_have_realistic_runtimes(catalog: Catalog) -> None:
    series = catalog.is_series
    assert 0.25 < series.mean() < 0.6
    assert set(np.unique(catalog.seasons[series])) <= set(range(1, 9))
    assert (catalog.episodes_per_season[series] >= 1).all()
    assert (catalog.runtime_minutes[series] == 0).all() and (catalog.seasons[~series] == 0).all()
    runtimes = catalog.runtime_minutes[~series]
    assert runtimes.min() >= 40 and runtimes.max() <= 210
    by_genre: dict[str, list[int]] = {}
    for index in np.flatnonzero(~series).tolist():
        by_genre.setdefault(catalog.genres[index][0], []).append(int(catalog.runtime_minutes[index]))
    assert np.mean(by_genre["drama"]) > np.mean(by_genre["kids"]) + 15


def test_maturity_ratings_spread_and_kids_titles_are_for_kids(catalog: Catalog) -> None:
    labels = Counter(catalog.maturity_rating)
    assert {"TV-Y", "TV-Y7", "G", "PG", "PG-13", "R", "TV-14", "TV-MA"} <= set(labels)
    for label, rank in zip(catalog.maturity_rating, catalog.maturity_rank.tolist(), strict=True):
        assert maturity.rank(label) == rank
    assert catalog.is_kids.any()
    assert (catalog.maturity_rank[catalog.is_kids] <= maturity.KIDS_MAX_RANK).all()
    for index in np.flatnonzero(catalog.is_kids).tolist():
        assert set(catalog.genres[index]) & set(KIDS_GENRES)
    horror = [catalog.maturity_rank[i] for i, g in enumerate(catalog.genres) if g[0] == "horror"]
    assert np.mean(np.array(horror) >= maturity.MATURITY_SCALE["PG-13"]) > 0.9


def test_genres_moods_people_languages(catalog: Catalog) -> None:
    assert all(2 <= len(genres) <= 3 and len(set(genres)) == len(genres) for genres in catalog.genres)
    assert all(2 <= len(moods) <= 3 for moods in catalog.moods)
    languages = Counter(catalog.language)
    assert languages.most_common(1)[0][0] == "en"
    assert languages["en"] < len(catalog) * 0.7 and len(languages) >= 8
    assert {"es", "fr", "ko", "ja", "de", "hi"} <= set(languages)
    credits = Counter(name for cast in catalog.cast for name in cast)
    assert credits.most_common(1)[0][1] >= 10, "a few prolific actors"
    assert np.median(list(credits.values())) <= 4
    assert all(len(directors) >= 1 for directors in catalog.directors)


def test_availability_differs_by_region_and_dates_are_in_the_past(catalog: Catalog) -> None:
    assert catalog.available.any(axis=1).all(), "every title is offered somewhere"
    per_region = catalog.available.sum(axis=0)
    assert len(set(per_region.tolist())) > len(REGION_CODES) // 2
    assert not catalog.available.all(axis=1).all()
    korea = REGION_CODES.index("KR")
    korean = np.array([language == "ko" for language in catalog.language])
    assert catalog.available[korean, korea].mean() > catalog.available[~korean, korea].mean()
    added = catalog.date_added
    assert (added < np.datetime64(AS_OF, "D")).all()
    assert (added >= np.datetime64(AS_OF, "D") - np.timedelta64(6 * 365 + 1, "D")).all()
    assert (catalog.release_year <= AS_OF.year).all()


def test_popularity_has_a_long_tail(catalog: Catalog) -> None:
    popularity = np.sort(catalog.popularity)[::-1]
    assert np.isclose(popularity.sum(), 1.0)
    top_tenth = popularity[: len(popularity) // 10].sum()
    assert 0.4 < top_tenth < 0.9
