"""Every model honours the shared interface on data whose right answers are known.

Two disjoint taste clusters: "A" viewers watch action titles A1..A6, "B" viewers watch romance titles B1..B6.
A working model recommends A titles after A titles, folds fresh feedback into the very next score, explains
scores with contributions that add up to them, and survives a save/load round trip bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from recommender.dataset import Interactions, ItemMetadata
from recommender.models.als import ALSRecommender
from recommender.models.base import Recommender, ScoringContext, load_model, model_from_state
from recommender.models.content import ContentRecommender
from recommender.models.ease import EASERecommender
from recommender.models.item_knn import ItemKNNRecommender
from recommender.models.popularity import PopularityRecommender
from recommender.models.user_knn import UserKNNRecommender

A = [f"A{i}" for i in range(1, 7)]
B = [f"B{i}" for i in range(1, 7)]
CATALOG = [*A, *B, "NEW"]


def cluster_data() -> tuple[Interactions, ItemMetadata]:
    rng = np.random.default_rng(7)
    users, items, times = [], [], []
    for u in range(40):
        pool = A if u < 20 else B
        for item in rng.choice(pool, size=4, replace=False):
            users.append(f"u{u:02d}")
            items.append(str(item))
            times.append(1_700_000_000 + u * 3600)
    regions = {f"u{u:02d}": "US" if u % 2 else "GB" for u in range(40)}
    data = Interactions.from_arrays(users, items, timestamps=times, item_ids=CATALOG, user_regions=regions)
    records = [
        {
            "item_id": t,
            "title": f"Action {t}",
            "genres": ["action"],
            "description": "explosions, car chase, heist",
        }
        for t in A
    ]
    records += [
        {
            "item_id": t,
            "title": f"Love {t}",
            "genres": ["romance"],
            "description": "a love story and a wedding",
        }
        for t in B
    ]
    records.append(
        {"item_id": "NEW", "title": "Fresh", "genres": ["action"], "description": "a car chase heist"}
    )
    return data, ItemMetadata.from_records(records)


COLLABORATIVE: dict[str, Callable[[], Recommender]] = {
    "item_knn_bm25": lambda: ItemKNNRecommender(weighting="bm25", neighbours=20),
    "item_knn_cosine": lambda: ItemKNNRecommender(weighting="cosine", neighbours=20),
    "user_knn": lambda: UserKNNRecommender(neighbours=10),
    "ease": lambda: EASERecommender(regularization=5.0),
    "als": lambda: ALSRecommender(factors=2, regularization=0.1, alpha=10.0, iterations=10, num_threads=1),
    "content": lambda: ContentRecommender(encoder="tfidf", popularity_weight=0.05),
}
ALL = {
    **COLLABORATIVE,
    "popularity": PopularityRecommender,
    "trending": lambda: PopularityRecommender("trending"),
}


@pytest.fixture(scope="module")
def data() -> tuple[Interactions, ItemMetadata]:
    return cluster_data()


@pytest.fixture(scope="module")
def fitted(data: tuple[Interactions, ItemMetadata]) -> dict[str, Recommender]:
    return {name: make().fit(*data) for name, make in ALL.items()}


def score(model: Recommender, history, item: str) -> float:
    return float(model.score_history(history)[model.data.item_index[item]])


@pytest.mark.parametrize("name", COLLABORATIVE)
def test_action_history_gets_action_titles(name: str, fitted: dict[str, Recommender]) -> None:
    model = fitted[name]
    history = model.data.history_row(["A1", "A2"])
    recommended = [item for item, _ in model.recommend(history, k=3)]

    assert all(item.startswith("A") for item in recommended), recommended
    assert "A1" not in recommended and "A2" not in recommended


@pytest.mark.parametrize("name", COLLABORATIVE)
def test_similar_items_stay_in_the_cluster(name: str, fitted: dict[str, Recommender]) -> None:
    similar = [item for item, _ in fitted[name].similar_items("B1", k=3)]
    assert len(similar) == 3
    assert all(item.startswith("B") and item != "B1" for item in similar), similar


@pytest.mark.parametrize("name", COLLABORATIVE)
def test_thumbs_up_moves_the_next_scores_toward_its_neighbours(
    name: str, fitted: dict[str, Recommender]
) -> None:
    model = fitted[name]
    before = model.data.history_row(["A1", "A2"])
    after = model.data.history_row(["B1"], base=before)

    assert score(model, after, "B2") > score(model, before, "B2")
    # Relative to the action titles too: B2 gains on A3.
    gap_before = score(model, before, "B2") - score(model, before, "A3")
    assert score(model, after, "B2") - score(model, after, "A3") > gap_before


@pytest.mark.parametrize("name", COLLABORATIVE)
def test_thumbs_down_pushes_its_neighbours_down(name: str, fitted: dict[str, Recommender]) -> None:
    model = fitted[name]
    before = model.data.history_row(["A1", "A2", "B1"])
    after = model.data.history_row(["B1"], [-2.0], base=before)

    assert score(model, after, "B2") < score(model, before, "B2")


@pytest.mark.parametrize("name", ALL)
def test_explanations_add_up_to_the_score(name: str, fitted: dict[str, Recommender]) -> None:
    model = fitted[name]
    history = model.data.history_row(["A1", "A2", "B3"], [1.0, 2.0, -1.0])
    context = ScoringContext(region="US")
    for item in ("A3", "B2"):
        index = model.data.item_index[item]
        contributions = model.explain(history, index, top=1000, context=context)
        expected = float(model.score_history(history, context)[index])
        assert sum(c.weight for c in contributions) == pytest.approx(expected, rel=1e-4, abs=1e-6)
        assert all(c.kind in ("item", "user", "feature", "popularity") for c in contributions)
        weights = [abs(c.weight) for c in contributions]
        assert weights == sorted(weights, reverse=True)


def _by_source(parts: list) -> dict[tuple[str, str], float]:
    return {(c.kind, c.source): c.weight for c in parts}


@pytest.mark.parametrize("name", ALL)
def test_explaining_many_titles_at_once_explains_each_as_alone(
    name: str, fitted: dict[str, Recommender]
) -> None:
    # The ranking layer explains a whole list in one call; every title must get its own decomposition.
    model = fitted[name]
    history = model.data.history_row(["A1", "A2", "B3"], [1.0, 2.0, -1.0])
    context = ScoringContext(region="GB", preferences=("heist",))
    titles = [model.data.item_index[t] for t in ("B2", "A3", "NEW", "A4", "B2")]
    scores = model.score_history(history, context)
    together = model.explain_items(history, titles, top=1000, context=context)
    assert len(together) == len(titles)
    for index, parts in zip(titles, together, strict=True):
        assert _by_source(parts) == pytest.approx(
            _by_source(model.explain(history, index, top=1000, context=context)), rel=1e-5, abs=1e-9
        )
        assert sum(c.weight for c in parts) == pytest.approx(float(scores[index]), rel=1e-4, abs=1e-6)
    # the same title asked twice
    assert _by_source(together[0]) == pytest.approx(_by_source(together[-1]), rel=1e-5, abs=1e-9)
    assert model.explain_items(history, [], context=context) == []


@pytest.mark.parametrize("name", ["item_knn_bm25", "ease", "als"])
def test_top_contribution_is_the_history_title_that_caused_it(
    name: str, fitted: dict[str, Recommender]
) -> None:
    model = fitted[name]
    history = model.data.history_row(["A1", "B1"])
    contributions = model.explain(history, model.data.item_index["B2"], top=1)

    assert [(c.kind, c.source) for c in contributions] == [("item", "B1")]


@pytest.mark.parametrize("name", ALL)
def test_state_round_trip_reproduces_scores_exactly(
    name: str, fitted: dict[str, Recommender], tmp_path
) -> None:
    model = fitted[name]
    path = tmp_path / f"{name}.npz"
    model.save(path)
    loaded = load_model(path)
    rebuilt = model_from_state(model.get_state())

    assert type(loaded) is type(model) and loaded.params == model.params
    history = model.data.history_row(["A1", "B2"], [1.0, -1.0])
    context = ScoringContext(region="GB")
    for other in (loaded, rebuilt):
        assert np.array_equal(other.score_history(history, context), model.score_history(history, context))
        assert other.recommend("u03", k=5) == model.recommend("u03", k=5)


@pytest.mark.parametrize("name", ALL)
def test_recommend_excludes_seen_titles_and_answers_unknown_users(
    name: str, fitted: dict[str, Recommender]
) -> None:
    model = fitted[name]
    seen = {str(model.data.item_ids[i]) for i in model.data.user_row("u00").indices}
    recommended = model.recommend("u00", k=len(CATALOG))

    assert seen and not seen & {item for item, _ in recommended}
    assert len(recommended) == len(CATALOG) - len(seen)
    assert [s for _, s in recommended] == sorted((s for _, s in recommended), reverse=True)
    assert len(model.recommend("somebody-new", k=5)) == 5


@pytest.mark.parametrize("name", ALL)
def test_history_of_the_wrong_width_is_rejected(name: str, fitted: dict[str, Recommender]) -> None:
    with pytest.raises(ValueError, match=r"history must be 1 x 13"):
        fitted[name].score_history(np.ones((1, 5), dtype=np.float32))


@pytest.mark.parametrize("name", ALL)
def test_unknown_title_in_similar_items_is_a_clear_error(name: str, fitted: dict[str, Recommender]) -> None:
    with pytest.raises(KeyError, match="unknown title id 'nope'"):
        fitted[name].similar_items("nope")
