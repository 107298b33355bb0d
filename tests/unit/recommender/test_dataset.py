"""Interactions and ItemMetadata: how events become a matrix, how metadata becomes filter arrays."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from recommender.dataset import MATURITY_UNKNOWN, Interactions, ItemMetadata


def test_from_arrays_sums_duplicate_events_and_sorts_ids() -> None:
    data = Interactions.from_arrays(["u2", "u1", "u1", "u1"], ["b", "a", "b", "a"], [1.0, 2.0, 3.0, 4.0])

    assert data.user_ids.tolist() == ["u1", "u2"]
    assert data.item_ids.tolist() == ["a", "b"]
    assert data.matrix.dtype == np.float32
    assert data.matrix.toarray().tolist() == [[6.0, 3.0], [0.0, 1.0]]
    assert data.user_index == {"u1": 0, "u2": 1}
    assert data.timestamps is None


def test_weights_default_to_one_per_event() -> None:
    data = Interactions.from_arrays(["u", "u", "v"], ["a", "a", "a"])
    assert data.matrix.toarray().ravel().tolist() == [2.0, 1.0]


def test_catalog_order_gives_new_titles_a_column() -> None:
    data = Interactions.from_arrays(["u"], ["b"], item_ids=["c", "b", "new"])

    assert data.item_ids.tolist() == ["c", "b", "new"]
    assert data.matrix.shape == (1, 3)
    assert data.matrix.toarray().tolist() == [[0.0, 1.0, 0.0]]


def test_interacted_item_missing_from_catalog_is_named() -> None:
    with pytest.raises(ValueError, match=r"not in item_ids.*'zz'"):
        Interactions.from_arrays(["u", "u"], ["a", "zz"], item_ids=["a"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"users": ["u"], "items": ["a", "b"]}, "must be parallel"),
        ({"users": ["u"], "items": ["a"], "weights": [float("nan")]}, "event 0 is not a finite number"),
        ({"users": ["u"], "items": ["a"], "weights": [1.0, 2.0]}, "weights has shape"),
        ({"users": ["u"], "items": ["a"], "timestamps": [1, 2]}, "timestamps has shape"),
        ({"users": ["u"], "items": ["a"], "item_ids": ["a", "a"]}, "duplicates"),
    ],
)
def test_bad_arrays_get_clear_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Interactions.from_arrays(**kwargs)


def test_timestamps_keep_the_latest_event_per_cell() -> None:
    data = Interactions.from_arrays(
        ["u", "u", "u", "v"], ["a", "a", "b", "a"], timestamps=[300.0, 100.0, 50.0, 7.0]
    )
    assert data.timestamps is not None
    assert data.timestamps.toarray().tolist() == [[300.0, 50.0], [7.0, 0.0]]
    # Epoch seconds need float64: float32 would round them to 128-second steps.
    assert data.timestamps.dtype == np.float64


def test_user_regions_are_aligned_and_upper_cased() -> None:
    data = Interactions.from_arrays(["b", "a"], ["x", "x"], user_regions={"a": "us"})
    assert data.user_region.tolist() == ["US", ""]


def test_history_row_folds_feedback_onto_a_base_row() -> None:
    data = Interactions.from_arrays(["u", "u"], ["a", "b"], item_ids=["a", "b", "c"])
    row = data.history_row(["c", "a"], [1.0, -1.0], base=data.user_row("u"))

    # a: 1 - 1 = 0 is dropped; b stays; c is the new thumbs-up.
    assert row.toarray().tolist() == [[0.0, 1.0, 1.0]]
    assert row.indices.tolist() == [1, 2]
    with pytest.raises(ValueError, match=r"unknown title ids \['nope'\]"):
        data.history_row(["nope"])


def test_fingerprint_tracks_content() -> None:
    one = Interactions.from_arrays(["u", "v"], ["a", "b"])
    same = Interactions.from_arrays(["v", "u"], ["b", "a"])
    other = Interactions.from_arrays(["u", "v"], ["a", "b"], [1.0, 2.0])
    assert one.fingerprint() == same.fingerprint()
    assert one.fingerprint() != other.fingerprint()


def test_state_round_trip_through_npz_without_pickle(tmp_path) -> None:
    data = Interactions.from_arrays(
        ["u", "v", "v"], ["a", "b", "a"], [1.0, -1.0, 2.0], [10, 20, 30], user_regions={"v": "gb"}
    )
    path = tmp_path / "state.npz"
    np.savez(path, **data.get_state())
    with np.load(path, allow_pickle=False) as archive:
        loaded = Interactions.from_state({k: archive[k] for k in archive.files})

    assert loaded.fingerprint() == data.fingerprint()
    assert loaded.user_index == data.user_index
    assert loaded.user_region.tolist() == ["", "GB"]
    assert (loaded.timestamps != data.timestamps).nnz == 0


RECORDS = [
    {
        "item_id": "m1",
        "title": "Night Train",
        "kind": "Movie",
        "genres": "Thriller|Crime",
        "moods": ["Dark"],
        "runtime_minutes": "101",
        "release_year": 1999,
        "language": "EN",
        "countries": "us,gb",
        "maturity_rank": 4,
        "regions": ["us"],
        "description": "A heist on a night train.",
        "date_added": "2024-03-01",
    },
    {
        "id": "s1",
        "title": "Kitchen",
        "kind": "series",
        "genres": ["Comedy"],
        "seasons": 3,
        "maturity_rank": 1,
    },
]


def test_records_become_aligned_filter_arrays() -> None:
    metadata = ItemMetadata.from_records(RECORDS).align(["s1", "m1", "ghost"])

    assert metadata.item_ids.tolist() == ["s1", "m1", "ghost"]
    assert metadata.known.tolist() == [True, True, False]
    assert metadata.kind.tolist() == ["series", "movie", ""]
    assert metadata.maturity.tolist() == [1, 4, MATURITY_UNKNOWN]
    assert metadata.runtime[1] == 101.0 and np.isnan(metadata.runtime[0])
    assert metadata.release_year[1] == 1999.0 and np.isnan(metadata.release_year[2])
    assert metadata.language.tolist() == ["", "en", ""]
    assert metadata.genre_vocab == ["comedy", "crime", "thriller"]
    assert metadata.genre_matrix.toarray().tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert metadata.has_any_genre(["THRILLER", "western"]).tolist() == [False, True, False]
    assert metadata.has_any_mood(["dark"]).tolist() == [False, True, False]
    expected = dt.datetime(2024, 3, 1, tzinfo=dt.UTC).timestamp()
    assert metadata.date_added[1] == expected
    assert metadata["m1"].countries == ("US", "GB")
    assert metadata["s1"].seasons == 3
    assert metadata["m1"].text() == "Night Train. Thriller, Crime. Dark. A heist on a night train."


def test_region_availability_fails_closed_for_titles_without_metadata() -> None:
    metadata = ItemMetadata.from_records(RECORDS).align(["m1", "s1", "ghost"])

    assert metadata.available_in("US").tolist() == [True, True, False]
    assert metadata.available_in("de").tolist() == [False, True, False]
    assert metadata.available_in(None).tolist() == [True, True, False]
    assert metadata.region_vocab == ["US"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"title": "no id"}, "record 0: missing item_id"),
        ({"item_id": "x", "kind": "podcast"}, r"record 0 \(x\): kind must be one of"),
        ({"item_id": "x", "runtime_minutes": "long"}, "record 0: runtime_minutes must be a number"),
        ({"item_id": "x", "date_added": "last week"}, "record 0: date_added must be an ISO date"),
        ({"item_id": "x", "genres": 5}, "record 0: genres must be a list"),
    ],
)
def test_bad_metadata_records_are_named(record: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ItemMetadata.from_records([record])


def test_duplicate_metadata_records_are_rejected() -> None:
    with pytest.raises(ValueError, match="'a' has more than one metadata record"):
        ItemMetadata.from_records([{"item_id": "a"}, {"item_id": "b"}, {"item_id": "a"}])
