"""Split reproducibility and metric values on lists whose right answers are worked out by hand."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.dataset import Interactions
from recommender.evaluation import (
    catalog_coverage,
    evaluate,
    format_table,
    intra_list_diversity,
    ndcg_at_k,
    novelty,
    recall_at_k,
    split_per_user,
)
from recommender.models.popularity import PopularityRecommender


def _test_matrix(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    r = [u for u, items in enumerate(rows) for _ in items]
    c = [i for items in rows for i in items]
    return sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows), n_items))


def test_recall_and_ndcg_match_hand_computed_values():
    recs = np.array([[0, 1, 2], [3, 4, -1]])
    test = _test_matrix([[1, 5], [9]], n_items=10)
    # user 0: one hit of min(3, 2)=2 relevant; user 1: none.
    assert recall_at_k(recs, test, 3) == pytest.approx(0.25)
    # user 0: DCG = 1/log2(3); IDCG = 1 + 1/log2(3).
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3)) / 2
    assert ndcg_at_k(recs, test, 3) == pytest.approx(expected)


def test_perfect_ranking_scores_one_and_users_without_test_items_are_ignored():
    recs = np.array([[4, 2, 0], [1, 0, 3]])
    test = _test_matrix([[2, 4], []], n_items=5)
    assert recall_at_k(recs, test, 3) == 1.0
    assert ndcg_at_k(recs, test, 3) == 1.0


def test_coverage_novelty_and_diversity():
    recs = np.array([[0, 1], [0, 2]])
    assert catalog_coverage(recs, 6) == pytest.approx(0.5)
    counts = np.array([8, 4, 2, 0, 0, 0])  # shares 1, 1/2, 1/4 of 8 users
    assert novelty(recs, counts, 8) == pytest.approx((0 + 1 + 0 + 2) / 4)
    features = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [0, 0]], dtype=float))
    # list [0, 1] is identical (similarity 1), list [0, 2] orthogonal (similarity 0).
    assert intra_list_diversity(recs, features) == pytest.approx(0.5)


def _interactions(n_users=40, n_items=30, per_user=10, seed=0):
    rng = np.random.default_rng(seed)
    users, items = [], []
    for u in range(n_users):
        for i in rng.choice(n_items, per_user, replace=False):
            users.append(f"u{u}")
            items.append(f"i{i}")
    return Interactions.from_arrays(users, items, timestamps=np.arange(len(users)))


def test_split_holds_out_a_fifth_of_each_users_positives_reproducibly():
    data = _interactions()
    first = split_per_user(data, seed=7)
    again = split_per_user(data, seed=7)
    other = split_per_user(data, seed=8)
    assert (first.test != again.test).nnz == 0
    assert (first.test != other.test).nnz > 0
    assert np.all(np.diff(first.test.indptr) == 2)  # 20% of 10
    assert np.all(np.diff(first.train.matrix.indptr) == 8)
    # Train and test partition the data: no item is in both, nothing is lost.
    overlap = first.train.matrix.multiply(first.test)
    assert overlap.nnz == 0
    assert ((first.train.matrix + first.test) != data.matrix).nnz == 0
    assert first.train.timestamps.nnz == first.train.matrix.nnz


def test_split_keeps_single_positive_users_and_negative_feedback_in_training():
    data = Interactions.from_arrays(["a", "b", "b", "b"], ["x", "x", "y", "z"], weights=[1, 1, 1, -1])
    split = split_per_user(data)
    assert split.test[data.user_index["a"]].nnz == 0
    b_test = split.test[data.user_index["b"]]
    assert b_test.nnz == 1 and data.item_ids[b_test.indices[0]] in {"x", "y"}
    assert split.train.matrix[data.user_index["b"], data.item_index["z"]] == -1


def test_split_rejects_a_fraction_outside_zero_and_one():
    with pytest.raises(ValueError, match="test_fraction"):
        split_per_user(_interactions(), test_fraction=1.0)


def test_evaluate_fits_each_model_and_prints_one_row_per_model():
    split = split_per_user(_interactions())
    rows = evaluate({"popularity": PopularityRecommender()}, split.train, split.test)
    assert [r.model for r in rows] == ["popularity"]
    row = rows[0]
    assert row.users == 40 and 0 <= row.ndcg_at_10 <= 1 and 0 < row.coverage <= 1
    table = format_table(rows)
    assert "NDCG@10" in table.splitlines()[0] and "popularity" in table.splitlines()[2]
