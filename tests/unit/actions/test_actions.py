"""The rasa-sdk actions, called through rasa_sdk's ActionExecutor with Rasa 3.6 webhook payloads, on a real
(SQLite) database holding the tiny world. Every suggested title is checked against the database's rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from driver import Conversation, Result, executor_sender, load_domain
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import Engine, func, select
from tiny_world import World

from accountdb import maturity
from accountdb.engine import make_engine, session_scope
from accountdb.models import MyListItem, Rating, Title, ViewingEvent
from actions.catalog_snapshot import load_snapshot
from actions.identity import issue_token
from actions.replies import TROUBLE_TEXT
from actions.services import Services, use_services

ADULT_ONLY = maturity.MATURITY_SCALE["NC-17"]


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


@pytest.fixture(scope="module")
def domain() -> dict:
    return load_domain()


@pytest.fixture
def live(world_engine: Engine) -> Iterator[Services]:
    services = Services(world_engine)
    use_services(services)
    yield services
    use_services(None)


@pytest.fixture
def talk(executor: ActionExecutor, domain: dict, live: Services, token_secret: str):  # noqa: ANN201
    """talk(account, profile) -> a new Conversation signed in as that profile (anonymous without ids)."""

    def start(
        account: int | None = None, profile: int | None = None, region: str | None = None
    ) -> Conversation:
        metadata = {}
        if account is not None and profile is not None:
            metadata["marquee_token"] = issue_token(account, profile)
        if region:
            metadata["region"] = region
        return Conversation(executor_sender(executor), domain, metadata=metadata)

    return start


def _check_cards(
    engine: Engine, result: Result, region: str, limit: int, forbidden: set[str] = frozenset()
) -> None:
    """Every card is a real title, watchable in the region, within the maturity limit, and allowed."""
    snapshot = load_snapshot(engine)
    assert result.cards, result.text
    for card in result.cards:
        facts = snapshot.get(card["id"])
        assert facts is not None, card
        assert card["title"] == facts.title and card["year"] == facts.year and card["type"] == facts.kind
        assert card["maturity"] == facts.maturity_rating
        assert facts.maturity_rank <= limit, (card, limit)
        assert facts.watchable_in(region), (card, region)
        assert card["id"] not in forbidden, card
        assert ("seasons" in card) == (facts.kind == "series")
        assert facts.title in result.text  # text-only channels get the same titles


def _watched(engine: Engine, profile_id: int) -> set[str]:
    with session_scope(engine) as session:
        ids = session.scalars(select(ViewingEvent.title_id).where(ViewingEvent.profile_id == profile_id))
        return {str(i) for i in ids}


def test_open_ask_anonymous_gets_popular_titles_in_its_region(talk, world_engine: Engine) -> None:  # noqa: ANN001
    chat = talk(region="KR")
    result = chat.say("action_recommend", "what should I watch tonight?", "request_recommendation")
    _check_cards(world_engine, result, "KR", limit=maturity.MATURITY_SCALE["TV-MA"])
    assert len(result.cards) == 3
    assert result.slots["last_suggestions"] == result.card_ids == result.slots["suggested_ids"]
    assert all(card["reason"] for card in result.cards)
    assert {"/refine_another", '/choose_option{"ordinal":"1"}'} <= {b["payload"] for b in result.buttons}


def test_signed_in_profile_gets_unwatched_titles_because_of_its_history(
    talk, world: World, world_engine: Engine
) -> None:  # noqa: ANN001
    chat = talk(world.adult_account, world.adult_profile)
    result = chat.say("action_recommend", "bored, suggest something", "request_recommendation")
    _check_cards(
        world_engine, result, "US", maturity.ADULT_RANK, forbidden=_watched(world_engine, world.adult_profile)
    )
    assert any("Because you watched" in card["reason"] for card in result.cards)


def test_constraints_combine_across_turns_and_titles_never_repeat(
    talk, world: World, world_engine: Engine
) -> None:  # noqa: ANN001
    chat = talk(world.german_account, world.german_profile)
    first = chat.say("action_recommend", "a comedy", "request_recommendation", (("genre", "comedy"),))
    second = chat.say(
        "action_recommend", "under 100 minutes", "request_recommendation", (("runtime", "100"),)
    )
    assert second.slots["genre"] == ["comedy"] and second.slots["max_runtime"] == 100.0
    snapshot = load_snapshot(world_engine)
    for card in second.cards:
        facts = snapshot.get(card["id"])
        assert "Comedy" in facts.genres and facts.kind == "movie" and facts.runtime_minutes <= 100
    _check_cards(world_engine, second, "DE", maturity.ADULT_RANK)
    shown = first.card_ids + second.card_ids
    while True:
        more = chat.say("action_recommend", "another one", "refine_another")
        if not more.cards:
            assert "run out" in more.text
            break
        _check_cards(world_engine, more, "DE", maturity.ADULT_RANK)
        shown += more.card_ids
    assert len(shown) == len(set(shown))  # never repeated within the conversation
    assert set(chat.slots["suggested_ids"]) == set(shown)


def test_region_rules_hide_unlicensed_and_coming_soon_titles(
    talk, world: World, world_engine: Engine
) -> None:  # noqa: ANN001
    chat = talk(world.german_account, world.german_profile)
    seen: list[str] = []
    for _ in range(12):
        result = chat.say("action_recommend", "another one", "refine_another")
        if not result.cards:
            break
        _check_cards(world_engine, result, "DE", maturity.ADULT_RANK)
        seen += result.card_ids
    assert world.id("Strange Signals") not in seen  # coming soon in Germany
    assert world.id("Wedding Crashers Club") not in seen  # not offered in Germany


def test_kids_profile_never_gets_a_title_above_its_limit(talk, world: World, world_engine: Engine) -> None:  # noqa: ANN001
    chat = talk(world.adult_account, world.kids_profile)
    turns = [
        (
            "action_recommend",
            "something scary, horror",
            "request_recommendation",
            (("genre", "horror"), ("mood", "scary")),
        ),
        ("action_recommend", "another one", "refine_another", ()),
        ("action_trending", "what's trending", "ask_trending", ()),
        ("action_trending", "what's new", "ask_new_releases", ()),
        (
            "action_similar_titles",
            "something like night terrors",
            "ask_similar",
            (("title", "night terrors"),),
        ),
    ]
    for action, text, intent, entities in turns:
        result = chat.say(action, text, intent, entities)
        for card in result.cards:
            assert maturity.rank(card["maturity"]) <= maturity.KIDS_MAX_RANK, (text, card)
    info = chat.say(
        "action_title_info", "what is Night Terrors about", "ask_title_info", (("title", "Night Terrors"),)
    )
    assert info.cards == [] and "isn't available on this profile" in info.text


def test_for_my_8_year_old_caps_an_adult_profile(talk, world: World, world_engine: Engine) -> None:  # noqa: ANN001
    chat = talk(world.adult_account, world.adult_profile)
    result = chat.say(
        "action_recommend", "something for my 8 year old", "request_recommendation", (("age", "8"),)
    )
    assert result.slots["kids_age"] == 8.0
    _check_cards(world_engine, result, "US", limit=maturity.MATURITY_SCALE["PG"])


def test_loved_it_is_stored_and_changes_the_next_suggestions(
    talk, world: World, world_engine: Engine
) -> None:  # noqa: ANN001
    chat = talk(world.german_account, world.german_profile)
    before = chat.say("action_recommend", "what should I watch", "request_recommendation")
    assert not any("Night Terrors" in card["reason"] for card in before.cards)
    chat.say(
        "action_title_info", "tell me about night terrors", "ask_title_info", (("title", "night terrors"),)
    )
    after = chat.say("action_feedback", "loved it", "feedback_positive")
    with session_scope(world_engine) as session:
        value = session.scalar(
            select(Rating.value).where(
                Rating.profile_id == world.german_profile, Rating.title_id == int(world.id("Night Terrors"))
            )
        )
    assert value == "love"
    assert "remember you loved Night Terrors" in after.text
    # Night Terrors' audience also watched Blood Moon (the only other horror title playable in Germany).
    assert after.cards[0]["id"] == world.id("Blood Moon") and "Night Terrors" in after.cards[0]["reason"]
    _check_cards(
        world_engine,
        after,
        "DE",
        maturity.ADULT_RANK,
        forbidden={world.id("Night Terrors")} | set(before.card_ids),
    )
    # A retried "loved it" (Rasa re-sends on timeouts) stores nothing new.
    chat.say("action_feedback", "loved it", "feedback_positive", (("title", world.id("Night Terrors")),))
    with session_scope(world_engine) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Rating).where(Rating.profile_id == world.german_profile)
            )
            == 1
        )


def test_watched_and_already_seen_store_viewing_state(talk, world: World, world_engine: Engine) -> None:  # noqa: ANN001
    chat = talk(world.german_account, world.german_profile)
    first = chat.say("action_recommend", "what should I watch", "request_recommendation")
    question = chat.say("action_recommend", "I've seen that", "already_seen")
    assert question.slots["pending_choices"] == first.card_ids  # three shown: which one?
    picked = chat.say("action_choose_option", "the second one", "choose_option", (("ordinal", "2"),))
    assert first.card_ids[1] in _watched(world_engine, world.german_profile)
    assert "marked" in picked.text and picked.slots["pending_choices"] is None
    assert not set(picked.card_ids) & set(first.card_ids)
    chat.say("action_title_info", "what about ocean tales", "ask_title_info", (("title", "ocean tales"),))
    done = chat.say("action_feedback", "watched it already", "feedback_watched")
    assert "you've watched Ocean Tales" in done.text
    assert world.id("Ocean Tales") in _watched(world_engine, world.german_profile)


def test_similar_titles_resolve_typos_and_ask_about_ambiguous_names(
    talk, world: World, world_engine: Engine
) -> None:  # noqa: ANN001
    chat = talk(world.adult_account, world.adult_profile)
    typo = chat.say(
        "action_similar_titles",
        "something like strange signal",
        "ask_similar",
        (("title", "strange signal"),),
    )
    assert typo.slots["focus_title_id"] == world.id("Strange Signals")
    assert world.id("Strange Signals") not in typo.card_ids
    _check_cards(
        world_engine, typo, "US", maturity.ADULT_RANK, forbidden=_watched(world_engine, world.adult_profile)
    )

    question = chat.say("action_similar_titles", "more like dune", "ask_similar", (("title", "dune"),))
    options = [world.id("Dune", 2021), world.id("Dune", 1984)]
    assert question.slots == {"pending_choices": options}
    assert [b["payload"] for b in question.buttons] == [f'/choose_option{{"title":"{i}"}}' for i in options]
    answer = chat.say(
        "action_choose_option", question.buttons[1]["payload"], "choose_option", (("title", options[1]),)
    )
    assert answer.slots["pending_choices"] is None and answer.slots["focus_title_id"] == options[1]
    assert "If you liked Dune (1984)" in answer.text


def test_title_info_answers_length_cast_rating_and_why_not_available(talk, world: World) -> None:  # noqa: ANN001
    chat = talk(world.german_account, world.german_profile)
    length = chat.say(
        "action_title_info", "how long is mars alone", "ask_title_info", (("title", "mars alone"),)
    )
    assert "141 minutes" in length.text and length.slots["focus_title_id"] == world.id("Mars Alone")
    cast = chat.say("action_title_info", "who's in it", "ask_title_info")
    assert "Matt Stone" in cast.text
    rating = chat.say("action_title_info", "is it any good", "ask_title_info")
    assert "rated PG-13" in rating.text
    soon = chat.say(
        "action_title_info",
        "can I watch strange signals here?",
        "ask_title_info",
        (("title", "strange signals"),),
    )
    assert "coming to Germany on September 1, 2026" in soon.text
    gone = chat.say(
        "action_title_info",
        "why can't I watch the haunting hour",
        "ask_title_info",
        (("title", "the haunting hour"),),
    )
    assert "license" in gone.text and "expired" in gone.text and "United States" in gone.text
    missing = chat.say(
        "action_title_info", "tell me about zzqx film", "ask_title_info", (("title", "zzqx film"),)
    )
    assert "couldn't find" in missing.text and missing.cards == []


def test_trending_new_and_popular_modes(talk, world: World, world_engine: Engine) -> None:  # noqa: ANN001
    chat = talk(region="DE")
    trending = chat.say("action_trending", "what's trending", "ask_trending")
    assert "Trending in Germany" in trending.text
    _check_cards(world_engine, trending, "DE", maturity.MATURITY_SCALE["TV-MA"])
    new = chat.say("action_trending", "anything new", "ask_new_releases")
    _check_cards(world_engine, new, "DE", maturity.MATURITY_SCALE["TV-MA"], forbidden=set(trending.card_ids))
    snapshot = load_snapshot(world_engine)
    added = [snapshot.get(i).date_added for i in new.card_ids]
    assert added == sorted(added, reverse=True)
    popular = chat.say("action_trending", "popular in my country", "ask_popular_local")
    assert "Most popular in Germany" in popular.text


def test_my_list_and_continue_watching(talk, world: World, world_engine: Engine) -> None:  # noqa: ANN001
    chat = talk(world.adult_account, world.adult_profile)
    chat.say("action_title_info", "tell me about time loop", "ask_title_info", (("title", "time loop"),))
    added = chat.say("action_add_to_list", "add it to my list", "add_to_list")
    again = chat.say("action_add_to_list", "add it to my list", "add_to_list")
    assert "Added Time Loop" in added.text and "already on My List" in again.text
    shown = chat.say("action_show_list", "show my list", "show_list")
    assert shown.card_ids == [world.id("Time Loop")]
    with session_scope(world_engine) as session:
        assert session.scalar(select(func.count()).select_from(MyListItem)) == 1
    progress = chat.say("action_continue_watching", "where was I", "continue_watching")
    assert progress.card_ids == [world.id("Office Hours")] and "season 2, episode 3" in progress.text


def test_anonymous_visitors_are_asked_to_sign_in_for_private_things(talk, world: World) -> None:  # noqa: ANN001
    chat = talk()
    for action, intent in (
        ("action_show_list", "show_list"),
        ("action_continue_watching", "continue_watching"),
    ):
        assert "Sign in" in chat.say(action, "...", intent).text
    forged = talk()
    forged.metadata["marquee_token"] = issue_token(world.adult_account, world.adult_profile, secret="f" * 40)
    assert "Sign in" in forged.say("action_show_list", "show my list", "show_list").text


def test_reset_clears_constraints_but_remembers_suggestions(talk, world: World) -> None:  # noqa: ANN001
    chat = talk(world.adult_account, world.adult_profile)
    first = chat.say(
        "action_recommend", "a funny movie", "request_recommendation", (("mood", "funny"), ("kind", "movie"))
    )
    reset = chat.say("action_reset_constraints", "start over", "stop")
    assert reset.slots["mood"] is None and reset.slots["kind"] is None and "suggested_ids" not in reset.slots
    assert chat.slots["suggested_ids"] == first.card_ids


def test_fallback_question_names_the_guessed_intent_with_its_entities(talk) -> None:  # noqa: ANN001
    chat = talk()
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "request_recommendation", "confidence": 0.25},
    ]
    result = chat.say(
        "action_default_ask_affirmation",
        "hmm comedy?",
        "nlu_fallback",
        (("genre", "comedy"),),
        intent_ranking=ranking,
    )
    assert "a suggestion of something to watch" in result.text
    assert [b["payload"] for b in result.buttons] == [
        '/request_recommendation{"genre":"comedy"}',
        "/out_of_scope",
    ]


@pytest.mark.parametrize(
    "text",
    ["", "a" * 10_000, "🍿🎬😱", "أريد فيلماً مضحكاً", "'; DROP TABLE titles; --", "\x00\x01 weird"],
)
def test_bad_input_gets_a_sane_reply(talk, world_engine: Engine, text: str) -> None:  # noqa: ANN001
    chat = talk()
    for action, intent in (
        ("action_recommend", "request_recommendation"),
        ("action_title_info", "ask_title_info"),
        ("action_similar_titles", "ask_similar"),
    ):
        result = chat.say(action, text, intent, (("title", text),) if action != "action_recommend" else ())
        assert result.text and TROUBLE_TEXT not in result.text
    with session_scope(world_engine) as session:
        assert session.scalar(select(func.count()).select_from(Title)) > 0


def test_database_unavailable_gives_trouble_reply_not_silence(executor: ActionExecutor, domain: dict) -> None:
    down = make_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/marquee", connect_args={"connect_timeout": 2}
    )
    use_services(Services(down))
    try:
        chat = Conversation(executor_sender(executor), domain)
        result = chat.say("action_recommend", "what should I watch", "request_recommendation")
        assert result.text == TROUBLE_TEXT and result.events == []
    finally:
        use_services(None)


def test_description_search_finds_the_title_with_the_real_encoder(
    talk, world: World, world_engine: Engine
) -> None:  # noqa: ANN001
    chat = talk(world.adult_account, world.kids_profile)
    result = chat.say("action_search_description", "the one about a chef in Paris", "search_description")
    assert result.card_ids[0] == world.id("Chef in Paris") and "That sounds like Chef in Paris" in result.text
    assert result.slots["focus_title_id"] == world.id("Chef in Paris")
    heist = chat.say(
        "action_search_description", "movie where thieves rob casinos in vegas", "search_description"
    )
    # Casino Heist is PG-13, above the kids profile's limit: it is never offered there.
    assert world.id("Casino Heist") not in heist.card_ids
    for card in heist.cards:
        assert maturity.rank(card["maturity"]) <= maturity.KIDS_MAX_RANK
