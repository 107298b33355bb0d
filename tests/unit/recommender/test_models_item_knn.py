"""Item kNN: hand-checked similarities, neighbour pruning, and the bounded dense blocks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.dataset import Interactions
from recommender.models.item_knn import ItemKNNRecommender, bm25_weight


def small() -> Interactions:
    # a and b share viewer u1; a and c share u2 and u3; d shares nobody.
    return Interactions.from_arrays(
        ["u1", "u1", "u2", "u2", "u3", "u3", "u4"], ["a", "b", "a", "c", "a", "c", "d"]
    )


def test_cosine_similarities_match_hand_computation() -> None:
    model = ItemKNNRecommender(weighting="cosine", shrink=0.0).fit(small())
    similar = dict(model.similar_items("a", k=5))

    # a = (1,1,1,0) over users, b = (1,0,0,0), c = (0,1,1,0): cos(a,b) = 1/sqrt(3), cos(a,c) = 2/sqrt(6).
    assert similar == pytest.approx({"c": 2 / np.sqrt(6), "b": 1 / np.sqrt(3)})
    assert model.similar_items("d") == []


def test_shrink_damps_similarities_with_little_support() -> None:
    plain = dict(ItemKNNRecommender(weighting="cosine", shrink=0.0).fit(small()).similar_items("a"))
    shrunk = dict(ItemKNNRecommender(weighting="cosine", shrink=10.0).fit(small()).similar_items("a"))
    assert shrunk["c"] == pytest.approx(2 / (np.sqrt(3) * np.sqrt(2) + 10))
    assert shrunk["b"] < plain["b"]


def test_bm25_weighting_matches_the_formula() -> None:
    documents = sp.csr_matrix(np.array([[1, 0, 2], [1, 1, 0]], dtype=np.float32))
    weighted = bm25_weight(documents, k1=1.2, b=0.75).toarray()

    n = 2
    df = np.array([2, 1, 1])
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    lengths = np.array([3.0, 2.0])
    norm = 0.25 + 0.75 * lengths / lengths.mean()
    expected = np.zeros((2, 3))
    for r in range(2):
        for c in range(3):
            x = documents[r, c]
            if x:
                expected[r, c] = x * 2.2 / (1.2 * norm[r] + x) * idf[c]
    assert weighted == pytest.approx(expected, rel=1e-6)


def test_bm25_damps_heavy_viewers() -> None:
    # "binger" watched everything, so co-watching through them says less than through a selective viewer.
    users = ["binger"] * 6 + ["picky", "picky"]
    items = ["a", "b", "c", "d", "e", "f", "a", "c"]
    data = Interactions.from_arrays(users, items)
    similar = dict(ItemKNNRecommender(weighting="bm25", k1=1.2, b=0.75).fit(data).similar_items("a", k=5))
    assert max(similar, key=similar.get) == "c"
    assert similar["c"] > similar["b"]


def test_only_the_top_neighbours_are_kept_per_item() -> None:
    rng = np.random.default_rng(3)
    users = rng.integers(0, 60, size=900).astype(str)
    items = rng.integers(0, 50, size=900).astype(str)
    model = ItemKNNRecommender(weighting="cosine", neighbours=5).fit(Interactions.from_arrays(users, items))

    per_row = np.diff(model.similarity.indptr)
    assert per_row.max() == 5
    assert model.similarity.diagonal().sum() == 0


@pytest.mark.parametrize("weighting", ["cosine", "bm25"])
def test_blockwise_similarity_equals_one_dense_block(weighting: str) -> None:
    rng = np.random.default_rng(11)
    users = rng.integers(0, 80, size=1500).astype(str)
    items = rng.integers(0, 70, size=1500).astype(str)
    data = Interactions.from_arrays(users, items)

    whole = ItemKNNRecommender(weighting=weighting, neighbours=10, max_dense_items=1000).fit(data)
    # 70 items > 20, so blocks of 20**2 // 70 = 5 rows: no dense block above 400 cells.
    blocked = ItemKNNRecommender(weighting=weighting, neighbours=10, max_dense_items=20).fit(data)

    difference = abs(whole.similarity - blocked.similarity)
    assert difference.max() < 1e-6
    assert whole.similarity.nnz == blocked.similarity.nnz


def test_fold_in_of_a_new_title_scores_its_neighbours() -> None:
    model = ItemKNNRecommender(weighting="cosine", shrink=0.0).fit(small())
    nothing = model.data.history_row(["d"])
    with_b = model.data.history_row(["b"], base=nothing)

    assert model.score_history(nothing)[model.data.item_index["a"]] == 0
    assert model.score_history(with_b)[model.data.item_index["a"]] == pytest.approx(1 / np.sqrt(3))


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="weighting must be one of"):
        ItemKNNRecommender(weighting="jaccard")
    with pytest.raises(ValueError, match="neighbours must be at least 1"):
        ItemKNNRecommender(neighbours=0)


def test_kept_neighbours_are_each_titles_largest_similarities() -> None:
    # Brute force: the full cosine matrix (shrink 5), each row's 4 largest positive entries other than itself.
    # Random weights, so no two similarities tie.
    rng = np.random.default_rng(3)
    data = Interactions.from_arrays(
        rng.integers(0, 60, size=900).astype(str),
        rng.integers(0, 40, size=900).astype(str),
        weights=rng.random(900) + 0.5,
    )
    model = ItemKNNRecommender(weighting="cosine", neighbours=4, shrink=5.0, max_dense_items=15).fit(data)
    columns = data.matrix.toarray().astype(np.float64)
    norms = np.linalg.norm(columns, axis=0)
    cosine = columns.T @ columns / (np.outer(norms, norms) + 5.0)
    np.fill_diagonal(cosine, 0.0)
    for row in range(data.n_items):
        kept = model.similarity[row]
        expected = sorted(np.flatnonzero(cosine[row] > 0), key=lambda j: (-cosine[row, j], j))[:4]
        assert sorted(kept.indices.tolist()) == sorted(expected)
        assert np.allclose(np.sort(kept.data), np.sort(cosine[row, expected]), rtol=1e-5)


def test_explanations_are_history_weight_times_similarity_for_any_list_of_titles() -> None:
    rng = np.random.default_rng(5)
    data = Interactions.from_arrays(
        rng.integers(0, 80, size=1200).astype(str), rng.integers(0, 50, size=1200).astype(str)
    )
    model = ItemKNNRecommender(weighting="cosine", neighbours=6).fit(data)
    dense = model.similarity.toarray()
    for _ in range(20):
        watched = rng.choice(data.n_items, 5, replace=False)
        history = sp.csr_matrix(
            (np.array([1.0, 2.0, 1.0, -1.0, 1.0], dtype=np.float32), (np.zeros(5, int), watched)),
            shape=(1, data.n_items),
        )
        titles = [int(t) for t in rng.integers(0, data.n_items, 8)]
        titles += titles[:2]  # the same title twice is explained twice
        explained = model.explain_items(history, titles, top=10)
        for title, parts in zip(titles, explained, strict=True):
            expected = {
                str(data.item_ids[i]): float(w * dense[i, title])
                for i, w in zip(history.indices, history.data, strict=True)
                if dense[i, title]
            }
            assert {p.source: p.weight for p in parts} == pytest.approx(expected)
            assert {p.kind for p in parts} <= {"item"}
    assert model.explain_items(history, [], top=3) == []
