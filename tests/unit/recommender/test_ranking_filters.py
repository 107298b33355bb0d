"""Hard filters are never violated; soft constraints hold unless reported as relaxed, in the stated order."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recommender_world import CLUSTERS, LANGUAGES, MOODS, REGIONS

from recommender.constraints import RELAXATION_ORDER, Constraints, ProfileContext
from recommender.models.base import UnknownItemError
from recommender.ranking import Ranker


@pytest.fixture(scope="module")
def ranker(knn_model, world):
    return Ranker(knn_model, world.items)


def _title(world, item_id):
    return world.items[item_id]


profiles = st.builds(
    ProfileContext,
    region=st.sampled_from([None, *REGIONS, "FR"]),
    maturity_limit=st.one_of(st.none(), st.integers(0, 4)),
    seen_ids=st.frozensets(st.integers(0, 119).map(lambda i: f"t{i:04d}"), max_size=15),
    suggested_ids=st.frozensets(st.integers(0, 119).map(lambda i: f"t{i:04d}"), max_size=15),
)
constraint_sets = st.builds(
    Constraints,
    genres=st.lists(st.sampled_from(CLUSTERS), max_size=2).map(tuple),
    moods=st.lists(st.sampled_from(MOODS), max_size=1).map(tuple),
    exclude_genres=st.lists(st.sampled_from(CLUSTERS), max_size=1).map(tuple),
    kind=st.sampled_from([None, "movie", "series"]),
    max_runtime=st.one_of(st.none(), st.integers(30, 180)),
    year_min=st.one_of(st.none(), st.integers(1970, 2000)),
    year_max=st.one_of(st.none(), st.integers(2001, 2025)),
    languages=st.lists(st.sampled_from(LANGUAGES), max_size=2).map(tuple),
    exclude_ids=st.frozensets(st.integers(0, 119).map(lambda i: f"t{i:04d}"), max_size=5),
)


def _satisfies(title, name, c):
    genres = {g.lower() for g in title.genres}
    checks = {
        "year_range": lambda: (
            title.release_year is not None
            and (c.year_min is None or title.release_year >= c.year_min)
            and (c.year_max is None or title.release_year <= c.year_max)
        ),
        "max_runtime": lambda: title.runtime_minutes is not None and title.runtime_minutes <= c.max_runtime,
        "languages": lambda: title.language in c.languages,
        "moods": lambda: bool({m.lower() for m in title.moods} & set(c.moods)),
        "genres": lambda: bool(genres & set(c.genres)),
        "exclude_genres": lambda: not (genres & set(c.exclude_genres)),
        "kind": lambda: title.kind == c.kind,
    }
    return checks[name]()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    profile=profiles,
    constraints=constraint_sets,
    user=st.sampled_from(["u0000", "u0005", "u0042", "new-viewer"]),
    diversity=st.floats(0, 1),
    exploration=st.sampled_from([0.0, 0.1, 0.3]),
)
def test_hard_filters_are_never_violated_and_soft_ones_only_when_reported(
    ranker, world, profile, constraints, user, diversity, exploration
):
    result = ranker.recommend(user, 10, profile, constraints, diversity=diversity, exploration=exploration)
    history = world.interactions.user_row(user) if user in world.interactions.user_index else None
    watched = {world.interactions.item_ids[i] for i in history.indices} if history is not None else set()
    assert len(result.item_ids) == len(set(result.item_ids)) <= 10
    for item in result.items:
        title = _title(world, item.item_id)
        assert item.item_id not in watched
        assert item.item_id not in profile.seen_ids
        assert item.item_id not in profile.suggested_ids
        assert item.item_id not in constraints.exclude_ids
        if profile.maturity_limit is not None:
            assert title.maturity_rank <= profile.maturity_limit
        if title.regions:
            assert profile.region in title.regions
        for name in constraints.active():
            if name not in result.relaxed:
                assert _satisfies(title, name, constraints), (name, item.item_id)
        assert item.reason
    # Relaxation drops constraints in the stated order, only ones that were asked for.
    assert result.relaxed == [n for n in RELAXATION_ORDER if n in result.relaxed]
    assert set(result.relaxed) <= set(constraints.active())


def test_relaxation_drops_the_least_important_constraint_first_and_reports_it(ranker, world):
    # No title is both a series under 30 minutes: runtime (earlier in the order) is relaxed, kind is kept.
    assert not any(r["kind"] == "series" and r["runtime_minutes"] <= 21 for r in world.records)
    constraints = Constraints(kind="series", max_runtime=21, genres=("comedy",))
    result = ranker.recommend("u0001", 5, ProfileContext(region="US"), constraints)
    assert result.relaxed == ["max_runtime"]
    assert result.items
    for item in result.items:
        title = world.items[item.item_id]
        assert title.kind == "series" and "comedy" in {g.lower() for g in title.genres}


def test_constraints_that_fit_are_not_relaxed(ranker, world):
    result = ranker.recommend("u0001", 5, ProfileContext(region="US"), Constraints(genres=("comedy",)))
    assert result.relaxed == []
    assert all("comedy" in {g.lower() for g in world.items[i].genres} for i in result.item_ids)


def test_a_language_no_title_has_is_relaxed_and_one_that_exists_still_counts(ranker, world):
    nowhere = ranker.recommend("u0001", 5, ProfileContext(region="US"), Constraints(languages=("xx",)))
    assert nowhere.relaxed == ["languages"] and nowhere.items
    wanted = LANGUAGES[0]
    either = ranker.recommend("u0001", 5, ProfileContext(region="US"), Constraints(languages=("xx", wanted)))
    assert either.relaxed == [] and either.items
    assert all(world.items[i].language == wanted for i in either.item_ids)


def test_a_maturity_limit_below_every_title_returns_nothing_rather_than_breaking_it(ranker):
    result = ranker.recommend("u0001", 5, ProfileContext(region="US", maturity_limit=-1), Constraints())
    assert result.items == []


def test_unknown_user_is_a_cold_start_answered_by_regional_popularity(ranker, world):
    result = ranker.recommend("someone-new", 5, ProfileContext(region="GB"), Constraints())
    assert result.cold_start
    assert len(result.items) == 5
    assert all(c.kind == "popularity" for item in result.items for c in item.contributions)
    assert all("popular" in item.reason.lower() or "trending" in item.reason.lower() for item in result.items)


def test_empty_history_row_is_a_cold_start(ranker, world):
    empty = sp.csr_matrix((1, world.interactions.n_items), dtype=np.float32)
    assert ranker.recommend(empty, 5, ProfileContext(region="US")).cold_start


def test_more_like_an_unknown_title_names_it(ranker):
    with pytest.raises(UnknownItemError, match="no-such-title"):
        ranker.recommend("u0001", 5, constraints=Constraints(like_item="no-such-title"))


def test_more_like_x_recommends_titles_of_xs_cluster_and_says_so(ranker, world):
    result = ranker.recommend("u0001", 5, ProfileContext(region="US"), Constraints(like_item="t0002"))
    assert "t0002" not in result.item_ids
    clusters = [world.cluster_of_item[i] for i in result.item_ids]
    assert clusters.count(world.cluster_of_item["t0002"]) >= 4
    assert any("more like Title 2" in item.reason for item in result.items)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "podcast"}, "kind"),
        ({"year_min": 2010, "year_max": 2000}, "year range"),
        ({"max_runtime": 0}, "max_runtime"),
        ({"genres": "thriller"}, "list of strings"),
    ],
)
def test_invalid_constraints_are_rejected_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Constraints(**kwargs)
