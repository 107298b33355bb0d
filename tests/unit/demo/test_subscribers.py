"""Demo accounts and profiles: the well-known demo subscriber, realistic households, tastes, PINs."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from accountdb import maturity, security
from accountdb.demo.genres import GENRE_INDEX, KIDS_GENRES, NICHE_GENRES
from accountdb.demo.hashes import DEMO_PASSWORD, DEMO_PINS, demo_hashes, deterministic_hash
from accountdb.demo.subscribers import DEMO_EMAIL, Subscribers, generate_subscribers, kids_limit_for_age

AS_OF = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def subscribers() -> Subscribers:
    return generate_subscribers(np.random.default_rng(3), 1_500, AS_OF)


def test_the_demo_subscriber_is_always_account_one(subscribers: Subscribers) -> None:
    other = generate_subscribers(np.random.default_rng(99), 10, AS_OF)
    for world in (subscribers, other):
        assert world.account_email[0] == DEMO_EMAIL
        assert world.account_region[0] == 0 and world.account_language[0] == "en"
        profiles = np.flatnonzero(world.profile_account == 0)
        assert [world.profile_name[p] for p in profiles] == ["Jordan", "Mia"]
        adult, kid = profiles
        assert not world.profile_is_kids[adult] and world.profile_limit[adult] == maturity.ADULT_RANK
        assert world.profile_is_kids[kid] and world.profile_limit[kid] == maturity.MATURITY_SCALE["TV-Y7"]


def test_kids_limits_follow_age() -> None:
    assert kids_limit_for_age(5) == maturity.MATURITY_SCALE["TV-Y"]
    assert kids_limit_for_age(8) == maturity.MATURITY_SCALE["TV-Y7"]
    assert kids_limit_for_age(11) == maturity.KIDS_MAX_RANK


def test_emails_are_unique_plausible_and_undeliverable(subscribers: Subscribers) -> None:
    emails = subscribers.account_email
    assert len(set(emails)) == len(emails)
    for email in emails:
        assert re.fullmatch(r"[a-z0-9._]+@[a-z]+\.example", email), email
    assert len({email.split("@")[0] for email in emails}) > len(emails) * 0.95


def test_households_have_one_to_five_profiles_with_distinct_names(subscribers: Subscribers) -> None:
    counts = subscribers.account_profiles
    assert counts.min() >= 1 and counts.max() <= 5
    assert 2.0 < counts.mean() < 3.2
    for account in range(subscribers.account_count):
        names = [subscribers.profile_name[p] for p in np.flatnonzero(subscribers.profile_account == account)]
        assert len(set(names)) == len(names) and all(0 < len(name) <= 50 for name in names)
    assert (subscribers.profile_created >= subscribers.account_created[subscribers.profile_account]).all()
    assert (subscribers.account_created < np.datetime64(AS_OF, "s")).all()


def test_kids_profiles_have_kids_limits_and_kids_tastes(subscribers: Subscribers) -> None:
    kids = subscribers.profile_is_kids
    assert 0.05 < kids.mean() < 0.3
    assert (subscribers.profile_limit[kids] <= maturity.KIDS_MAX_RANK).all()
    assert (subscribers.profile_limit[~kids] == maturity.ADULT_RANK).all()
    allowed = [GENRE_INDEX[g] for g in (*KIDS_GENRES, "adventure", "comedy")]
    taste_outside = np.delete(subscribers.taste_genres[kids], allowed, axis=1)
    assert np.allclose(taste_outside, 0.0)


def test_tastes_are_concentrated_and_some_are_niche(subscribers: Subscribers) -> None:
    tastes = subscribers.taste_genres
    assert np.allclose(tastes.sum(axis=1), 1.0, atol=1e-4)
    top_three = np.sort(tastes, axis=1)[:, -3:].sum(axis=1)
    assert np.median(top_three) > 0.6, "most people care about a handful of genres"
    niche = tastes[:, [GENRE_INDEX[g] for g in NICHE_GENRES]].max(axis=1) > 0.6
    assert 0.02 < niche.mean() < 0.15


def test_some_adult_profiles_have_pins_from_the_demo_set(subscribers: Subscribers) -> None:
    pins = [pin for pin in subscribers.profile_pin if pin is not None]
    assert pins and set(pins) <= set(DEMO_PINS)
    assert all(
        pin is None
        for pin, kids in zip(subscribers.profile_pin, subscribers.profile_is_kids, strict=True)
        if kids
    )


def test_demo_hashes_verify_and_are_deterministic_per_seed() -> None:
    password, pins = demo_hashes(4)
    assert security.verify_secret(DEMO_PASSWORD, password)
    assert not security.verify_secret("wrong-password", password)
    assert security.verify_secret("1234", pins["1234"]) and not security.verify_secret("1235", pins["1234"])
    assert deterministic_hash("1234", 4) == pins["1234"]
    assert deterministic_hash("1234", 5) != pins["1234"]
