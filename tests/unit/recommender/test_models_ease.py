"""EASE^R: the closed form on a hand-computed example, and the dense-size guard."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.dataset import Interactions
from recommender.models.ease import CatalogTooLargeError, EASERecommender, ease_weights


def test_two_item_closed_form_matches_hand_computation() -> None:
    # Viewers: u1 watched a and b, u2 and u3 watched a only. G = X^T X = [[3, 1], [1, 1]]; with lambda = 1,
    # P = (G + I)^-1 = [[2, -1], [-1, 4]] / 7, so B[a, b] = -P[a, b] / P[b, b] = 1/4 and B[b, a] = 1/2.
    data = Interactions.from_arrays(["u1", "u1", "u2", "u3"], ["a", "b", "a", "a"])
    model = EASERecommender(regularization=1.0).fit(data)

    assert model.weights.ravel().tolist() == pytest.approx([0.0, 0.25, 0.5, 0.0])
    assert model.score_history(data.history_row(["a"])).tolist() == pytest.approx([0.0, 0.25])
    assert model.score_history(data.history_row(["b"], [2.0])).tolist() == pytest.approx([1.0, 0.0])


def test_cholesky_inverse_matches_the_textbook_formula() -> None:
    rng = np.random.default_rng(5)
    x = (rng.random((40, 9)) < 0.3).astype(np.float64)
    gram = x.T @ x
    p = np.linalg.inv(gram + 3.0 * np.eye(9))
    expected = -p / np.diag(p)
    np.fill_diagonal(expected, 0.0)

    assert ease_weights(gram.copy(), 3.0) == pytest.approx(expected, abs=1e-5)


def test_thumbs_down_is_ignored_when_fitting_but_counts_when_scoring() -> None:
    data = Interactions.from_arrays(
        ["u1", "u1", "u2", "u3", "u4"], ["a", "b", "a", "a", "b"], [1, 1, 1, 1, -1]
    )
    model = EASERecommender(regularization=1.0).fit(data)
    # u4's thumbs-down on b is not co-occurrence: the Gram matrix is the two-item example's.
    assert model.weights[0, 1] == pytest.approx(0.25)
    assert model.score_history(data.history_row(["a"], [-1.0]))[1] == pytest.approx(-0.25)


def test_large_catalog_is_refused_with_a_way_out() -> None:
    users = [f"u{i % 7}" for i in range(30)]
    items = [f"t{i}" for i in range(30)]
    data = Interactions.from_arrays(users, items)

    with pytest.raises(CatalogTooLargeError, match=r"dense 30 x 30 matrix.*max_dense_items=10.*item_knn"):
        EASERecommender(max_dense_items=10).fit(data)


def test_popular_mode_models_only_the_most_watched_titles() -> None:
    users = ["u1", "u1", "u2", "u2", "u3", "u3", "u4"]
    items = ["hit", "cult", "hit", "cult", "hit", "rare", "other"]
    model = EASERecommender(regularization=1.0, max_dense_items=2, too_large="popular").fit(
        Interactions.from_arrays(users, items)
    )
    data = model.data

    assert sorted(data.item_ids[model.modelled].tolist()) == ["cult", "hit"]
    scores = model.score_history(data.history_row(["hit", "rare"]))
    assert scores[data.item_index["cult"]] > 0
    assert scores[data.item_index["rare"]] == 0 and scores[data.item_index["other"]] == 0
    assert model.similar_items("rare") == []
    assert model.explain(data.history_row(["hit"]), data.item_index["other"]) == []


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="regularization must be positive"):
        EASERecommender(regularization=0)
    with pytest.raises(ValueError, match="too_large must be"):
        EASERecommender(too_large="shrug")
