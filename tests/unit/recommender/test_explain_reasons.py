"""Reason text is built from contributions: what they say changes the sentence, nothing is canned."""

import pytest

from recommender.explain import ReasonInputs, reason_text
from recommender.models.base import Contribution

TITLES = {"t1": "Heat", "t2": "Ronin", "t3": "Collateral"}
INPUTS = ReasonInputs(title_of=lambda i: TITLES.get(i, i))


def test_history_items_name_the_titles_watched_strongest_first():
    parts = [
        Contribution("item", "t2", 0.2),
        Contribution("item", "t1", 0.5),
        Contribution("item", "t3", 0.1),
    ]
    assert reason_text(parts, INPUTS) == "Because you watched Heat and Ronin"


def test_regional_trending_and_global_popularity_read_differently():
    assert reason_text([Contribution("popularity", "trending:GB", 0.3)], INPUTS) == (
        "Trending in your country right now"
    )
    assert reason_text([Contribution("popularity", "global", 0.3)], INPUTS) == "Popular on the service"
    assert reason_text([Contribution("popularity", "global:US", 0.3)], INPUTS) == "Popular in your country"
    assert reason_text([Contribution("popularity", "contemporary", 0.3)], INPUTS) == (
        "Popular around the times you watch"
    )


def test_the_two_strongest_kinds_are_told_and_matched_tags_are_added():
    parts = [
        Contribution("popularity", "global", 0.05),
        Contribution("item", "t1", 0.4),
        Contribution("user", "u9", 0.1),
        Contribution("user", "u8", 0.1),
    ]
    inputs = ReasonInputs(title_of=INPUTS.title_of, matched_tags=("thriller", "dark"))
    assert reason_text(parts, inputs) == (
        "Because you watched Heat; liked by 2 viewers with taste like yours; matches thriller, dark"
    )


def test_negative_contributions_are_never_told_as_reasons():
    parts = [Contribution("item", "t1", -0.9), Contribution("feature", "comedy", 0.2)]
    assert reason_text(parts, INPUTS) == "Matches comedy"


def test_more_like_x_is_said_when_x_is_the_source():
    inputs = ReasonInputs(title_of=INPUTS.title_of, like_item="t3")
    assert (
        reason_text([Contribution("item", "t3", 0.7)], inputs) == "Because you asked for more like Collateral"
    )


def test_exploration_items_are_marked():
    inputs = ReasonInputs(title_of=INPUTS.title_of, exploration=True)
    assert reason_text([Contribution("item", "t1", 0.1)], inputs) == (
        "Something less known for you: because you watched Heat"
    )


def test_nothing_to_explain_is_an_error_not_a_canned_sentence():
    with pytest.raises(ValueError, match="no positive contribution"):
        reason_text([Contribution("item", "t1", -0.3)], INPUTS)
