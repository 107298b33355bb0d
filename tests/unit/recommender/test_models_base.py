"""The shared base: top-k selection, recommend(), unknown users and saved states."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.dataset import Interactions
from recommender.models.base import NotFittedError, load_model, model_from_state, registered_models, top_k
from recommender.models.item_knn import ItemKNNRecommender


def test_top_k_orders_best_first_and_breaks_ties_by_index() -> None:
    scores = np.array([0.5, 2.0, -np.inf, 2.0, 1.0, np.nan], dtype=np.float32)
    assert top_k(scores, 3).tolist() == [1, 3, 4]
    assert top_k(scores, 10).tolist() == [1, 3, 4, 0]
    assert top_k(scores, 0).tolist() == []
    assert top_k(np.full(3, -np.inf), 2).tolist() == []


def test_top_k_agrees_with_a_full_sort() -> None:
    scores = np.random.default_rng(1).random(5000).astype(np.float32)
    assert top_k(scores, 20).tolist() == np.argsort(-scores, kind="stable")[:20].tolist()


def test_unfitted_model_says_what_to_do() -> None:
    with pytest.raises(NotFittedError, match="not fitted; call fit"):
        ItemKNNRecommender().recommend("u1")


def test_unknown_user_is_scored_as_an_empty_history() -> None:
    data = Interactions.from_arrays(["u1", "u1"], ["a", "b"])
    model = ItemKNNRecommender().fit(data)
    assert not model.score_user("stranger").any()
    assert model.score_user("u1").any()


def test_saved_state_holds_arrays_only(tmp_path) -> None:
    data = Interactions.from_arrays(["u1", "u1", "u2"], ["a", "b", "a"])
    model = ItemKNNRecommender(weighting="cosine", neighbours=7).fit(data)
    path = tmp_path / "model.npz"
    model.save(path)

    with np.load(path, allow_pickle=False) as archive:
        assert all(archive[key].dtype != object for key in archive.files)
    loaded = load_model(path)
    assert isinstance(loaded, ItemKNNRecommender) and loaded.params == model.params


def test_unknown_model_name_in_a_state_is_rejected() -> None:
    data = Interactions.from_arrays(["u1"], ["a"])
    state = ItemKNNRecommender().fit(data).get_state()
    state["name"] = np.array("nonexistent_model")
    with pytest.raises(ValueError, match="unknown model 'nonexistent_model'"):
        model_from_state(state)


def test_models_register_under_their_module_names() -> None:
    import recommender.models.als  # noqa: F401
    import recommender.models.content  # noqa: F401
    import recommender.models.ease  # noqa: F401
    import recommender.models.popularity  # noqa: F401
    import recommender.models.user_knn  # noqa: F401

    names = registered_models()
    for name in ("popularity", "user_knn", "item_knn", "ease", "als", "content"):
        assert names[name].__module__ == f"recommender.models.{name}"
