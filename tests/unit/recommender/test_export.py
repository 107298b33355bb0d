"""The export writers produce files that recommender.io reads back to the same data."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.dataset import Interactions
from recommender.export import write_interactions_csv, write_movies_csv
from recommender.io import RowError, load_interactions, read_items


def test_interactions_survive_the_round_trip(tmp_path) -> None:
    original = Interactions.from_arrays(
        ["profile:1", "profile:1", "profile:2", "profile:2", "profile:3"],
        ["10", "11", "10", "12", "11"],
        weights=[2.0, 0.5, -1.0, 1.0, 1.0],
        timestamps=[1_700_000_000, 1_700_000_100, 1_700_000_200, 1_700_000_300, 1_700_000_400],
        item_ids=["10", "11", "12", "13"],
    )
    path = tmp_path / "ratings.csv"
    assert write_interactions_csv(original, path) == 5
    assert path.read_text().splitlines()[0] == "user_id,item_id,rating,timestamp"
    assert not list(tmp_path.glob(".*partial"))

    arrays = load_interactions(path, "csv")
    rows = sorted(zip(arrays.users, arrays.items, arrays.ratings, arrays.timestamps, strict=True))
    assert rows == [
        ("profile:1", "10", 2.0, 1_700_000_000),
        ("profile:1", "11", 0.5, 1_700_000_100),
        ("profile:2", "10", -1.0, 1_700_000_200),
        ("profile:2", "12", 1.0, 1_700_000_300),
        ("profile:3", "11", 1.0, 1_700_000_400),
    ]
    # A positive threshold keeps what the served model counts as liked or watched.
    liked = load_interactions(path, "csv", positive_threshold=0.5)
    assert sorted(zip(liked.users, liked.items, strict=True)) == [
        ("profile:1", "10"),
        ("profile:1", "11"),
        ("profile:2", "12"),
        ("profile:3", "11"),
    ]


def test_titles_survive_the_round_trip_with_year_commas_and_quotes(tmp_path) -> None:
    records = [
        {"item_id": 7, "title": 'Crouching Tiger, "Hidden" Dragon', "release_year": 2000, "genres": ["Action", "Drama"]},
        {"item_id": 8, "title": "Untitled", "release_year": None, "genres": []},
        {"item_id": 9, "title": "Pipes", "release_year": 1999, "genres": ["Sci|Fi"]},
    ]  # fmt: skip
    path = tmp_path / "movies.csv"
    assert write_movies_csv(records, path) == 3
    rows = [row for row in read_items(path) if not isinstance(row, RowError)]
    assert [(r.item_id, r.title, r.year, r.genres) for r in rows] == [
        ("7", 'Crouching Tiger, "Hidden" Dragon', 2000, ("Action", "Drama")),
        ("8", "Untitled", None, ()),
        ("9", "Pipes", 1999, ("Sci/Fi",)),
    ]


def test_interactions_without_timestamps_get_zero(tmp_path) -> None:
    original = Interactions.from_arrays(["a", "b"], ["x", "y"])
    write_interactions_csv(original, tmp_path / "r.csv")
    arrays = load_interactions(tmp_path / "r.csv", "csv")
    assert np.array_equal(np.asarray(arrays.timestamps), [0, 0])


def test_an_unwritable_folder_is_an_os_error(tmp_path) -> None:
    with pytest.raises(OSError):
        write_movies_csv([], tmp_path / "missing" / "movies.csv")
