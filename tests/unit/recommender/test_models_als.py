"""ALS through implicit: no NaNs when factors outnumber the data, and exact least-squares fold-in."""

from __future__ import annotations

import numpy as np
import pytest
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from recommender.dataset import Interactions
from recommender.models.als import ALSRecommender


def random_data(n_users: int = 60, n_items: int = 30, n_events: int = 400, seed: int = 2) -> Interactions:
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, n_events).astype(str)
    items = rng.integers(0, n_items, n_events).astype(str)
    return Interactions.from_arrays(users, items)


def test_more_factors_than_users_or_items_gives_no_nans() -> None:
    data = Interactions.from_arrays(["u1", "u1", "u2", "u3"], ["a", "b", "b", "c"])
    model = ALSRecommender(factors=100, regularization=0.01, alpha=40.0, num_threads=1).fit(data)

    # 3 users and 3 items: at most 2 factors.
    assert model.item_factors.shape == (3, 2)
    assert np.isfinite(model.item_factors).all()
    assert np.isfinite(model.score_user("u1")).all()
    assert np.isfinite(model.score_history(data.history_row(["c"], [-3.0]))).all()


def test_fold_in_is_implicits_recalculate_user() -> None:
    model = ALSRecommender(factors=6, regularization=0.5, alpha=4.0, iterations=5, num_threads=1).fit(
        random_data()
    )
    history = model.data.history_row(["3", "7", "11", "20"], [1.0, 2.0, -1.0, 0.5])

    with threadpool_limits(1, "blas"):
        reference = AlternatingLeastSquares(factors=6, regularization=0.5, alpha=4.0, num_threads=1)
    reference.item_factors = model.item_factors
    reference.user_factors = np.zeros((1, 6), dtype=np.float32)
    expected = reference.recalculate_user(0, history)

    assert model.user_factor(history) == pytest.approx(expected, rel=1e-4, abs=1e-5)


def test_training_is_reproducible_with_a_seed() -> None:
    data = random_data()
    one = ALSRecommender(factors=4, iterations=3, random_state=9, num_threads=1).fit(data)
    two = ALSRecommender(factors=4, iterations=3, random_state=9, num_threads=1).fit(data)
    assert np.array_equal(one.item_factors, two.item_factors)


def test_similar_items_by_factor_cosine() -> None:
    # Two blocks of titles watched by two disjoint audiences.
    users = [f"a{u}" for u in range(10) for _ in range(3)] + [f"b{u}" for u in range(10) for _ in range(3)]
    items = ["x1", "x2", "x3"] * 10 + ["y1", "y2", "y3"] * 10
    model = ALSRecommender(factors=2, regularization=0.1, alpha=10.0, num_threads=1).fit(
        Interactions.from_arrays(users, items)
    )
    assert {item for item, _ in model.similar_items("x1", k=2)} == {"x2", "x3"}


def test_empty_history_scores_zero() -> None:
    model = ALSRecommender(factors=3, iterations=2, num_threads=1).fit(random_data())
    assert not model.score_history(model.data.empty_history()).any()
    assert model.explain(model.data.empty_history(), 0) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factors": 0}, "factors must be at least 1"),
        ({"regularization": 0.0}, "regularization must be positive"),
        ({"alpha": -1.0}, "alpha must be positive"),
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ALSRecommender(**kwargs)
