"""Viewers from tokens, and the writes a profile makes: feedback, My List; reads: list, continue watching."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select
from tiny_world import World

from accountdb import maturity
from accountdb.engine import session_scope
from accountdb.models import MyListItem, Rating, ViewingEvent
from actions.activity import FeedbackKind, add_to_list, continue_watching, my_list, record_feedback
from actions.identity import Identity
from actions.viewers import ANONYMOUS_MATURITY_LIMIT, WEIGHT_DOWN, WEIGHT_LOVE, load_viewer


def test_signed_in_viewer_has_region_limit_and_history(world_engine: Engine, world: World) -> None:
    viewer = load_viewer(world_engine, Identity(world.adult_account, world.adult_profile, "DE"))
    assert viewer.signed_in and viewer.profile_name == "Ada"
    assert viewer.region == "US"  # the account's country wins over a client's hint
    assert viewer.maturity_limit == maturity.ADULT_RANK and not viewer.is_kids
    assert viewer.history[world.id("Laugh Factory")] == WEIGHT_LOVE
    assert viewer.watched == {world.id("Laugh Factory"), world.id("Big Day Out"), world.id("Office Hours")}


def test_kids_profile_carries_its_limit(world_engine: Engine, world: World) -> None:
    viewer = load_viewer(world_engine, Identity(world.adult_account, world.kids_profile, "US"))
    assert viewer.is_kids and viewer.maturity_limit == maturity.KIDS_MAX_RANK
    assert viewer.history == {}


def test_anonymous_viewer_uses_region_hint_and_no_history(world_engine: Engine) -> None:
    viewer = load_viewer(world_engine, Identity(None, None, "KR"))
    assert not viewer.signed_in and viewer.region == "KR" and viewer.history == {}
    assert viewer.maturity_limit == ANONYMOUS_MATURITY_LIMIT < maturity.ADULT_RANK


@pytest.mark.parametrize(
    "identity",
    [
        lambda w: Identity(w.german_account, w.adult_profile, "US"),  # someone else's profile
        lambda w: Identity(w.adult_account, 999_999, "US"),  # no such profile
        lambda w: Identity(w.locked_account, w.locked_profile, "US"),  # locked account
    ],
)
def test_tokens_that_do_not_check_out_are_anonymous(world_engine: Engine, world: World, identity) -> None:  # noqa: ANN001
    viewer = load_viewer(world_engine, identity(world))
    assert not viewer.signed_in and viewer.history == {}


def _ratings(engine: Engine, profile_id: int, title_id: str) -> list[str]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(Rating.value).where(Rating.profile_id == profile_id, Rating.title_id == int(title_id))
            )
        )


def test_feedback_upserts_one_rating_and_is_idempotent(world_engine: Engine, world: World) -> None:
    title = world.id("Mars Alone")
    assert record_feedback(world_engine, world.adult_profile, title, FeedbackKind.LOVE).changed
    assert not record_feedback(world_engine, world.adult_profile, title, FeedbackKind.LOVE).changed
    assert _ratings(world_engine, world.adult_profile, title) == ["love"]
    assert record_feedback(world_engine, world.adult_profile, title, FeedbackKind.DOWN).changed
    assert _ratings(world_engine, world.adult_profile, title) == ["down"]
    viewer = load_viewer(world_engine, Identity(world.adult_account, world.adult_profile, "US"))
    assert viewer.history[title] == WEIGHT_DOWN and title in viewer.disliked


def test_concurrent_retries_store_one_rating(world_engine: Engine, world: World) -> None:
    title = world.id("Time Loop")
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda _: record_feedback(world_engine, world.adult_profile, title, FeedbackKind.UP), range(8)
            )
        )
    assert _ratings(world_engine, world.adult_profile, title) == ["up"]


def test_watched_is_stored_once_and_excluded_afterwards(world_engine: Engine, world: World) -> None:
    title = world.id("Casino Heist")
    assert record_feedback(world_engine, world.adult_profile, title, FeedbackKind.WATCHED).changed
    assert not record_feedback(world_engine, world.adult_profile, title, FeedbackKind.WATCHED).changed
    with session_scope(world_engine) as session:
        events = session.scalars(
            select(ViewingEvent).where(
                ViewingEvent.profile_id == world.adult_profile, ViewingEvent.title_id == int(title)
            )
        ).all()
        assert len(events) == 1 and events[0].completed and events[0].minutes_watched == 116
    viewer = load_viewer(world_engine, Identity(world.adult_account, world.adult_profile, "US"))
    assert title in viewer.watched


def test_feedback_on_a_missing_title_changes_nothing(world_engine: Engine, world: World) -> None:
    with pytest.raises(LookupError, match="does not exist"):
        record_feedback(world_engine, world.adult_profile, "999999", FeedbackKind.UP)
    with session_scope(world_engine) as session:
        assert session.scalar(select(func.count()).select_from(Rating)) == 1  # only Ada's seeded rating


def test_my_list_is_idempotent_and_newest_first(world_engine: Engine, world: World) -> None:
    first, second = world.id("Dune", 1984), world.id("Ocean Tales")
    assert add_to_list(world_engine, world.adult_profile, first)
    assert add_to_list(world_engine, world.adult_profile, second)
    assert not add_to_list(world_engine, world.adult_profile, first)
    assert my_list(world_engine, world.adult_profile) == [second, first]
    with session_scope(world_engine) as session:
        assert session.scalar(select(func.count()).select_from(MyListItem)) == 2
    with pytest.raises(LookupError):
        add_to_list(world_engine, world.adult_profile, "999999")
    assert my_list(world_engine, world.kids_profile) == []


def test_continue_watching_lists_unfinished_titles_with_position(world_engine: Engine, world: World) -> None:
    progress = continue_watching(world_engine, world.adult_profile)
    assert [(p.title_id, p.season, p.episode, p.minutes_watched) for p in progress] == [
        (world.id("Office Hours"), 2, 3, 14)
    ]
    record_feedback(world_engine, world.adult_profile, world.id("Office Hours"), FeedbackKind.WATCHED)
    assert continue_watching(world_engine, world.adult_profile) == []
