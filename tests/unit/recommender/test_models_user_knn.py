"""User kNN: neighbours' titles, never oneself, and explanations by neighbour."""

from __future__ import annotations

import pytest

from recommender.dataset import Interactions
from recommender.models.user_knn import UserKNNRecommender


def viewers() -> Interactions:
    # ann and bob share two titles with cat; dan shares nothing with anyone.
    rows = {
        "ann": ["heist", "chase", "vault"],
        "bob": ["heist", "chase", "getaway"],
        "cat": ["heist", "chase"],
        "dan": ["ballet"],
    }
    users = [u for u, titles in rows.items() for _ in titles]
    items = [t for titles in rows.values() for t in titles]
    return Interactions.from_arrays(users, items)


def test_recommends_what_the_nearest_viewers_watched() -> None:
    model = UserKNNRecommender(neighbours=2).fit(viewers())
    recommended = dict(model.recommend("cat", k=3))

    # cos(cat, ann) = cos(cat, bob) = 2 / (sqrt(2) sqrt(3)).
    similarity = 2 / (2**0.5 * 3**0.5)
    assert set(recommended) >= {"vault", "getaway"}
    assert recommended["vault"] == pytest.approx(similarity)
    assert recommended.get("ballet", 0.0) == 0.0


def test_a_viewer_is_not_their_own_neighbour() -> None:
    model = UserKNNRecommender(neighbours=1).fit(viewers())
    index = model.data.item_index
    # ann's own row would be her nearest neighbour (cosine 1) and score her "vault" 1; her nearest other viewer
    # is cat (2 / sqrt(6), against bob's 2 / 3), who never watched vault.
    scores = model.score_user("ann")
    assert scores[index["vault"]] == 0
    assert scores[index["heist"]] == pytest.approx(2 / 6**0.5)
    [contribution] = model.explain_user("ann", index["heist"])
    assert (contribution.kind, contribution.source) == ("user", "cat")
    # As an anonymous history, the same titles do find ann's training row.
    assert model.score_history(model.data.user_row("ann"))[index["vault"]] == pytest.approx(1.0)


def test_explanations_name_the_neighbours() -> None:
    model = UserKNNRecommender(neighbours=3).fit(viewers())
    history = model.data.history_row(["heist", "chase"])
    contributions = model.explain(history, model.data.item_index["vault"], top=5)

    assert [(c.kind, c.source) for c in contributions] == [("user", "ann")]
    assert contributions[0].weight == pytest.approx(
        model.score_history(history)[model.data.item_index["vault"]]
    )


def test_similar_items_by_co_viewing() -> None:
    model = UserKNNRecommender().fit(viewers())
    similar = dict(model.similar_items("vault", k=5))
    assert set(similar) == {"heist", "chase"}
    assert model.similar_items("ballet") == []


def test_empty_history_scores_nothing() -> None:
    model = UserKNNRecommender().fit(viewers())
    assert not model.score_history(model.data.empty_history()).any()
    assert model.explain(model.data.empty_history(), 0) == []
