"""Viewing activity generator: who watches what, when, how much, and how they rate it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest

from accountdb.demo.catalog import Catalog, generate_catalog
from accountdb.demo.devices import Devices, generate_devices
from accountdb.demo.genres import GENRE_INDEX
from accountdb.demo.scales import HISTORY_DAYS
from accountdb.demo.subscribers import Subscribers, generate_subscribers
from accountdb.demo.viewing import MISSING_QUERIES, Activity, ActivityModel, _sample_without_replacement

AS_OF = dt.date(2026, 11, 30)


@dataclass
class World:
    catalog: Catalog
    subscribers: Subscribers
    devices: Devices
    activity: Activity


def _activity(seed: int) -> World:
    catalog = generate_catalog(np.random.default_rng([seed, 1]), 400, AS_OF)
    subscribers = generate_subscribers(np.random.default_rng([seed, 2]), 160, AS_OF)
    devices = generate_devices(np.random.default_rng([seed, 3]), subscribers, AS_OF)
    model = ActivityModel(catalog, subscribers, devices, AS_OF)
    activity = model.generate(np.random.default_rng([seed, 4]), np.arange(subscribers.profile_count), 50.0)
    return World(catalog, subscribers, devices, activity)


@pytest.fixture(scope="module")
def world() -> World:
    return _activity(21)


def test_generation_is_deterministic() -> None:
    first, again = _activity(8).activity, _activity(8).activity
    assert np.array_equal(first.event_title, again.event_title)
    assert np.array_equal(first.event_started, again.event_started)
    assert first.rating_value == again.rating_value and first.search_query == again.search_query


def test_volume_is_about_the_requested_events_per_profile(world: World) -> None:
    per_profile = len(world.activity.event_profile) / world.subscribers.profile_count
    assert 35 < per_profile < 70


def test_profiles_only_watch_what_their_region_and_maturity_limit_allow(world: World) -> None:
    activity, subscribers, catalog = world.activity, world.subscribers, world.catalog
    region = subscribers.profile_region()[activity.event_profile]
    assert catalog.available[activity.event_title, region].all()
    limit = subscribers.profile_limit[activity.event_profile]
    assert (catalog.maturity_rank[activity.event_title] <= limit).all()
    kids_events = subscribers.profile_is_kids[activity.event_profile]
    assert kids_events.any()
    assert catalog.is_kids[activity.event_title[kids_events]].mean() > 0.8


def test_events_happen_after_the_title_and_profile_existed_and_before_today(world: World) -> None:
    activity, subscribers, catalog = world.activity, world.subscribers, world.catalog
    started = activity.event_started
    assert (started < np.datetime64(AS_OF, "s")).all()
    assert (started >= np.datetime64(AS_OF, "s") - np.timedelta64((HISTORY_DAYS + 1) * 86400, "s")).all()
    assert (started >= subscribers.profile_created[activity.event_profile]).all()
    assert (started.astype("datetime64[D]") >= catalog.date_added[activity.event_title]).all()
    evening = (started.astype("datetime64[h]").astype(np.int64) % 24 >= 18).mean()
    assert evening > 0.5, "most viewing starts in the evening"


def test_series_are_binged_episode_by_episode(world: World) -> None:
    activity, catalog = world.activity, world.catalog
    series = catalog.is_series[activity.event_title]
    assert (activity.event_season[~series] == 0).all() and (activity.event_season[series] >= 1).all()
    assert (activity.event_season[series] <= catalog.seasons[activity.event_title[series]]).all()
    assert (activity.event_episode[series] <= catalog.episodes_per_season[activity.event_title[series]]).all()
    # Several consecutive episodes of the same show on the same evening.
    day = activity.event_started.astype("datetime64[D]")
    same_sitting = (
        series[1:]
        & (activity.event_profile[1:] == activity.event_profile[:-1])
        & (activity.event_title[1:] == activity.event_title[:-1])
        & (day[1:] == day[:-1])
    )
    assert same_sitting.sum() > 100
    # ... and the same show again on a later evening.
    later = (activity.event_title[1:] == activity.event_title[:-1]) & (day[1:] > day[:-1])
    assert later.sum() > 50


def _genre_taste(world: World, profiles: np.ndarray, titles: np.ndarray) -> np.ndarray:
    """How much each profile likes the primary genre of each title (its hidden taste weight)."""
    primary = np.array([GENRE_INDEX[genres[0]] for genres in world.catalog.genres])
    return world.subscribers.taste_genres[profiles, primary[titles]]


def test_people_finish_what_suits_their_taste(world: World) -> None:
    activity = world.activity
    movie = world.catalog.seasons[activity.event_title] == 0
    taste = _genre_taste(world, activity.event_profile[movie], activity.event_title[movie])
    completed = activity.event_completed[movie]
    low, high = np.quantile(taste, [0.25, 0.75])
    assert completed[taste >= high].mean() > completed[taste <= low].mean() + 0.1
    assert 0.6 < activity.event_completed.mean() < 0.97
    minutes = activity.event_minutes
    assert (minutes >= 1).all()


def test_thumbs_agree_with_taste(world: World) -> None:
    activity = world.activity
    values = np.array(activity.rating_value)
    assert set(values) == {"love", "up", "down"}
    taste = _genre_taste(world, activity.rating_profile, activity.rating_title)
    assert taste[values == "love"].mean() > taste[values == "up"].mean() > taste[values == "down"].mean()
    watched = set(zip(activity.event_profile.tolist(), activity.event_title.tolist(), strict=True))
    rated = list(zip(activity.rating_profile.tolist(), activity.rating_title.tolist(), strict=True))
    assert len(set(rated)) == len(rated) and set(rated) <= watched


def test_my_list_holds_unwatched_titles(world: World) -> None:
    activity = world.activity
    saved = list(zip(activity.list_profile.tolist(), activity.list_title.tolist(), strict=True))
    watched = set(zip(activity.event_profile.tolist(), activity.event_title.tolist(), strict=True))
    assert saved and len(set(saved)) == len(saved) and not set(saved) & watched


def test_searches_and_devices_and_sessions(world: World) -> None:
    activity, devices, subscribers = world.activity, world.devices, world.subscribers
    queries = activity.search_query
    assert len(queries) > subscribers.profile_count
    missing = np.array([query in MISSING_QUERIES for query in queries])
    assert missing.any() and (activity.search_results[missing] == 0).all()
    assert (activity.search_results[~missing] >= 1).all()
    device_account = devices.account[activity.event_device - 1]
    assert (device_account == subscribers.profile_account[activity.event_profile]).all()
    open_sessions = np.isnat(activity.session_ended)
    closed = ~open_sessions
    assert (activity.session_ended[closed] >= activity.session_started[closed]).all()
    assert open_sessions.sum() < subscribers.account_count * 0.1


def test_sampling_without_replacement_is_distinct_and_weighted() -> None:
    rng = np.random.default_rng(0)
    weight = np.array([[8.0, 4.0, 2.0, 1.0, 0.0, 1.0]] * 4000, dtype=np.float32)
    wanted = np.full(4000, 2)
    row, column, rank = _sample_without_replacement(rng, weight, wanted)
    assert len(row) == 8000 and set(rank.tolist()) == {0, 1}
    pairs = set(zip(row.tolist(), column.tolist(), strict=True))
    assert len(pairs) == len(row), "no title twice for one profile"
    assert 4 not in set(column.tolist()), "zero weight is never drawn"
    first = column[rank == 0]
    shares = np.bincount(first, minlength=6) / len(first)
    assert shares[0] == pytest.approx(8 / 16, abs=0.03) and shares[3] == pytest.approx(1 / 16, abs=0.02)
