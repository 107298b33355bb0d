"""The hybrid's re-ranker: features in a fixed layout, logistic regression that finds known coefficients."""

import numpy as np
import pytest

from recommender.models.rerank import (
    LinearReranker,
    features,
    log_length,
    log_popularity,
    rank_positions,
)


def test_rank_positions_cover_the_top_positive_scores_only():
    scores = np.array([0.2, -np.inf, 0.9, 0.0, 0.5, -0.1], dtype=np.float32)
    top, values = rank_positions(scores, depth=4)
    assert top.tolist() == [2, 4, 0]  # the zero and negative scores are no evidence of rank
    assert values == pytest.approx([1.0, 1 / np.log2(3), 0.5])


def test_feature_layout_is_scores_ranks_and_popularity_with_their_length_terms():
    scores = np.array([[0.5, 1.0]], dtype=np.float32)
    ranks = np.array([[1.0, 0.0]], dtype=np.float32)
    x = features(scores, ranks, np.array([0.25], dtype=np.float32), np.array([2.0]))
    assert x.tolist() == [[0.5, 1.0, 1.0, 2.0, 1.0, 0.0, 2.0, 0.0, 0.25, 0.5]]
    assert log_popularity(np.array([0, 1, 3])) == pytest.approx([0.0, 0.5, 1.0])
    assert log_length(np.array([0, np.e - 1]), centre=0.5) == pytest.approx([-0.5, 0.5])


def test_logistic_regression_recovers_the_signs_and_ratio_of_known_coefficients():
    # Labels drawn from a known logistic model over one base's score and the popularity feature.
    rng = np.random.default_rng(0)
    n = 20_000
    x = rng.normal(size=(n, 6)).astype(np.float32)
    truth = np.array([2.0, 0.0, 0.0, 0.0, -1.0, 0.0])
    y = rng.random(n) < 1 / (1 + np.exp(-(x @ truth - 1.0)))
    reranker = LinearReranker(1)
    reranker.fit(x, y, np.ones(n), l2=1e-4)
    coefficients = reranker.coefficients
    assert coefficients[0] == pytest.approx(2.0, rel=0.1)
    assert coefficients[4] == pytest.approx(-1.0, rel=0.1)
    assert np.abs(coefficients[[1, 2, 3, 5]]).max() < 0.1


def test_per_history_weights_penalty_restriction_and_state():
    # Two bases; coefficient layout: scores (2), scores x length (2), ranks (2), ranks x length (2), popularity (2).
    reranker = LinearReranker(
        2, np.array([1.0, 2.0, 0.5, 0.0, 3.0, 0.0, 0.0, 0.0, 0.4, -0.2]), length_centre=1.5
    )
    score, rank, popularity = reranker.per_history(2.0)
    assert score.tolist() == [2.0, 2.0] and rank.tolist() == [3.0, 0.0] and popularity == pytest.approx(0.0)
    assert reranker.penalised(1.0).per_history(0.0)[2] == pytest.approx(-0.6)
    assert reranker.used_bases().tolist() == [0, 1]
    only_first = reranker.restricted(np.array([0]))
    assert only_first.coefficients.tolist() == [1.0, 0.5, 3.0, 0.0, 0.4, -0.2]
    again = LinearReranker.from_state(2, reranker.get_state())
    assert np.array_equal(again.coefficients, reranker.coefficients) and again.length_centre == 1.5
    with pytest.raises(ValueError, match="2 bases need 10 coefficients"):
        LinearReranker(2, np.zeros(6))


def test_rank_positions_match_top_k_on_catalogs_where_most_scores_tie_at_zero():
    # A neighbourhood model scores most titles exactly 0; the fast path must still find the same top titles.
    from recommender.models.base import top_k

    rng = np.random.default_rng(2)
    scores = np.zeros(5000, dtype=np.float32)
    scores[rng.choice(5000, 300, replace=False)] = rng.random(300).astype(np.float32)
    scores[:10] = -np.inf
    top, _ = rank_positions(scores, depth=50)
    assert top.tolist() == top_k(scores, 50).tolist()
