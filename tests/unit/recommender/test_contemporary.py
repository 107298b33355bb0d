"""Contemporary popularity: what was popular when the viewer was active, and "now" for fresh histories."""

import numpy as np
import pytest

from recommender.dataset import Interactions
from recommender.models.base import ScoringContext, load_model
from recommender.models.contemporary import ContemporaryPopularityRecommender

DAY = 86_400


def _two_eras():
    # Titles a* are watched in week 0, titles b* in week 20; viewer "early" is active in week 0 only.
    users, items, times = [], [], []
    for u in range(30):
        era_items, start = (["a1", "a2"], 0) if u < 15 else (["b1", "b2"], 140 * DAY)
        for item in era_items if u % 3 else era_items[:1]:
            users.append(f"v{u}")
            items.append(item)
            times.append(start + u * 3600)
    users += ["early", "late"]
    items += ["a1", "b1"]
    times += [2 * DAY, 141 * DAY]
    return Interactions.from_arrays(users, items, timestamps=times)


def test_a_viewer_gets_what_was_popular_in_their_own_time():
    data = _two_eras()
    model = ContemporaryPopularityRecommender().fit(data)
    early = model.score_user("early")
    late = model.score_user("late")
    a2, b2 = data.item_index["a2"], data.item_index["b2"]
    assert early[a2] > early[b2]
    assert late[b2] > late[a2]


def test_a_fresh_history_is_scored_as_trending_now_and_explained_so():
    data = _two_eras()
    model = ContemporaryPopularityRecommender().fit(data)
    scores = model.score_history(data.empty_history())
    assert scores[data.item_index["b1"]] > scores[data.item_index["a1"]]
    (part,) = model.explain(data.empty_history(), data.item_index["b1"])
    assert part.kind == "popularity" and part.source == "trending"
    assert part.weight == pytest.approx(scores[data.item_index["b1"]])


def test_state_round_trip_and_missing_timestamps_error(tmp_path):
    data = _two_eras()
    model = ContemporaryPopularityRecommender(period_days=3).fit(data)
    model.save(tmp_path / "m.npz")
    again = load_model(tmp_path / "m.npz")
    assert np.allclose(again.score_user("early"), model.score_user("early"))
    with pytest.raises(ValueError, match="timestamps"):
        ContemporaryPopularityRecommender().fit(Interactions.from_arrays(["u"], ["i"]))


def test_a_history_named_as_a_training_user_is_scored_in_their_own_time_and_explained_so():
    data = _two_eras()
    model = ContemporaryPopularityRecommender().fit(data)
    early_row = data.user_row("early")
    a2 = data.item_index["a2"]
    named = model.score_history(early_row, ScoringContext(user_id="early"))
    assert np.array_equal(named, model.score_user("early"))
    assert not np.array_equal(named, model.score_history(early_row))  # unnamed: the newest period
    (part,) = model.explain(early_row, a2, context=ScoringContext(user_id="early"))
    assert part.kind == "popularity" and part.source == "contemporary"
    assert part.weight == pytest.approx(named[a2])
    # A user the model never saw is scored as now.
    assert np.array_equal(
        model.score_history(early_row, ScoringContext(user_id="stranger")), model.score_history(early_row)
    )
