"""Popularity: counts of distinct viewers who liked a title, globally, per region and with time decay."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.dataset import Interactions
from recommender.models.base import ScoringContext
from recommender.models.popularity import SECONDS_PER_DAY, PopularityRecommender

NOW = 1_700_000_000.0


def events(rows: list[tuple[str, str, float, float]], regions: dict[str, str] | None = None) -> Interactions:
    users, items, weights, times = zip(*rows, strict=True)
    return Interactions.from_arrays(users, items, weights, times, user_regions=regions)


def test_global_popularity_ranks_by_distinct_viewers() -> None:
    rows = [(f"u{i}", "hit", 1.0, NOW) for i in range(5)]
    rows += [(f"u{i}", "cult", 1.0, NOW) for i in range(2)]
    # One viewer rewatching many times is still one viewer; a thumbs-down is not popularity.
    rows += [("u0", "niche", 9.0, NOW), ("u1", "flop", -1.0, NOW), ("u2", "flop", -1.0, NOW)]
    model = PopularityRecommender().fit(events(rows))

    ranked = [item for item, _ in model.recommend(model.data.empty_history(), k=4)]
    assert ranked == ["hit", "cult", "niche", "flop"]
    shares = dict(model.recommend(model.data.empty_history(), k=4))
    assert shares["hit"] == pytest.approx(5 / 5) and shares["cult"] == pytest.approx(2 / 5)
    assert shares["flop"] == 0.0


def test_trending_decays_old_events() -> None:
    half_life = 7 * SECONDS_PER_DAY
    # "classic" has four viewers, all 28 days (4 half-lives) before the newest event; "new" has two, now.
    rows = [(f"old{i}", "classic", 1.0, NOW - 4 * half_life) for i in range(4)]
    rows += [("n1", "new", 1.0, NOW), ("n2", "new", 1.0, NOW)]
    data = events(rows)

    overall = PopularityRecommender("global").fit(data)
    trending = PopularityRecommender("trending", half_life_days=7).fit(data)

    assert overall.recommend("anyone", k=1)[0][0] == "classic"
    assert trending.recommend("anyone", k=1)[0][0] == "new"
    scores = trending.score_history(data.empty_history())
    index = data.item_index
    # 4 viewers * 2^-4 = 0.25 of a viewer, shared over 6 users.
    assert scores[index["classic"]] == pytest.approx(4 * 2**-4 / 6)
    assert scores[index["new"]] == pytest.approx(2 / 6)


def test_trending_needs_timestamps() -> None:
    data = Interactions.from_arrays(["u"], ["a"])
    with pytest.raises(ValueError, match="trending popularity needs event timestamps"):
        PopularityRecommender("trending").fit(data)


def test_popularity_differs_per_region_and_falls_back_to_global() -> None:
    rows, regions = [], {}
    for i in range(30):
        rows.append((f"de{i}", "krimi", 1.0, NOW))
        regions[f"de{i}"] = "DE"
    for i in range(40):
        rows.append((f"us{i}", "football", 1.0, NOW))
        regions[f"us{i}"] = "US"
    rows.append(("us0", "krimi", 1.0, NOW))
    model = PopularityRecommender(region_prior=5.0).fit(events(rows, regions))
    empty = model.data.empty_history()

    def top(region: str | None) -> str:
        return model.recommend(empty, k=1, context=ScoringContext(region=region))[0][0]

    assert top("DE") == "krimi"
    assert top("us") == "football"
    # An unknown region and no region both get global popularity: football has more viewers overall.
    assert top("FR") == "football" and top(None) == "football"
    de = model.score_region("DE")
    krimi = model.data.item_index["krimi"]
    global_share = 31 / 70
    assert de[krimi] == pytest.approx((30 + 5 * global_share) / (30 + 5))


def test_explanation_names_the_popularity_source() -> None:
    rows = [("a", "x", 1.0, NOW), ("b", "x", 1.0, NOW - 100), ("b", "y", 1.0, NOW)]
    model = PopularityRecommender("trending").fit(events(rows, {"a": "gb"}))
    history = model.data.empty_history()
    x = model.data.item_index["x"]

    [in_gb] = model.explain(history, x, context=ScoringContext(region="GB"))
    [anywhere] = model.explain(history, x)
    assert (in_gb.kind, in_gb.source) == ("popularity", "trending:GB")
    assert (anywhere.kind, anywhere.source) == ("popularity", "trending")
    assert in_gb.weight == pytest.approx(model.score_region("GB")[x])


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="mode must be"):
        PopularityRecommender("viral")
    with pytest.raises(ValueError, match="half_life_days must be positive"):
        PopularityRecommender("trending", half_life_days=0)


def test_history_does_not_change_popularity_scores() -> None:
    rows = [("a", "x", 1.0, NOW), ("b", "y", 1.0, NOW), ("c", "y", 1.0, NOW)]
    model = PopularityRecommender().fit(events(rows))
    assert np.array_equal(
        model.score_history(model.data.history_row(["x"])), model.score_history(model.data.empty_history())
    )
