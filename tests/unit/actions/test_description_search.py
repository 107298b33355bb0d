"""Semantic description search with the real sentence-transformers model and its on-disk cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.catalog_index import CatalogEntry, CatalogIndex, DescriptionSearch

ENTRIES = [
    CatalogEntry(
        "r",
        "Ratatouille",
        2007,
        "movie",
        ("Animation",),
        (),
        (),
        "A rat who dreams of becoming a great cook teams up with a young kitchen worker in a famous Paris restaurant.",
    ),
    CatalogEntry(
        "s",
        "Jaws",
        1975,
        "movie",
        ("Thriller",),
        (),
        (),
        "A giant man-eating great white shark terrorises a beach town and a police chief hunts it.",
    ),
    CatalogEntry(
        "m",
        "The Martian",
        2015,
        "movie",
        ("Science Fiction",),
        (),
        (),
        "An astronaut stranded alone on Mars must grow food and survive until rescue.",
    ),
    CatalogEntry(
        "b",
        "The Great British Bake Off",
        2010,
        "series",
        ("Reality",),
        (),
        (),
        "Amateur bakers compete in a tent in the English countryside.",
    ),
    CatalogEntry(
        "h",
        "Heist Crew",
        2019,
        "movie",
        ("Crime",),
        (),
        (),
        "A crew of thieves plans to rob a casino vault in Las Vegas.",
    ),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture(scope="module")
def search(cache_dir: Path) -> DescriptionSearch:
    return DescriptionSearch(CatalogIndex(ENTRIES), cache_dir)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("the one about a chef in Paris", "r"),
        ("that movie with the shark", "s"),
        ("the film where a guy is stuck on mars", "m"),
        ("show about a baking competition", "b"),
        ("robbing a casino", "h"),
    ],
)
def test_descriptions_find_the_right_title(search: DescriptionSearch, message: str, expected: str) -> None:
    hits = search.search(message, k=3)
    assert hits and hits[0].entry.id == expected
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_allowed_set_hides_titles_the_profile_may_not_see(search: DescriptionSearch) -> None:
    hits = search.search("the one about a chef in Paris", k=5, allowed={"s", "m", "b", "h"})
    assert "r" not in {hit.entry.id for hit in hits}


def test_unrelated_text_returns_nothing_confident(search: DescriptionSearch) -> None:
    assert search.search("qzxv wplk", k=3) == []
    assert search.search("what's the weather", k=3) == []


def test_embeddings_are_cached_on_disk_and_reused(search: DescriptionSearch, cache_dir: Path) -> None:
    first = search.embeddings()
    files = list(cache_dir.glob("descriptions-*.npy"))
    assert len(files) == 1 and first.shape[0] == len(ENTRIES)
    fresh = DescriptionSearch(CatalogIndex(ENTRIES), cache_dir)
    assert (fresh.embeddings() == first).all()
    assert fresh._model is None  # loaded from the cache, the model was never needed


def test_warm_up_loads_the_encoder_once_per_process_for_every_catalog_version(
    search: DescriptionSearch, cache_dir: Path
) -> None:
    search.warm_up()
    # A catalog change builds a new search; it must reuse the loaded model, not load it again.
    changed = DescriptionSearch(CatalogIndex(ENTRIES[:3]), cache_dir)
    changed.warm_up()
    assert changed._model is search._model is not None
    assert [hit.entry.id for hit in changed.search("the one about a chef in Paris", k=1)] == ["r"]
