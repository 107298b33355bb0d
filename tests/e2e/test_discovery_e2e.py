"""Discovery conversations over REST against the real Rasa server, action server and a seeded database.

Every suggested title is checked against the database: it exists, meets the stated constraints and the
profile's hard limits (maturity, region, not already watched), and is never repeated in a conversation.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from accountdb.engine import make_engine, session_scope
from accountdb.models import Account, Profile, Rating, Title, TitleAvailability, ViewingEvent
from actions.identity import issue_token

pytestmark = pytest.mark.rasa

DEMO_EMAIL = "demo@marquee.example"


@dataclass(frozen=True)
class Viewer:
    account_id: int
    profile_id: int
    region: str
    maturity_limit: int
    token: str

    @property
    def metadata(self) -> dict[str, str]:
        return {"marquee_token": self.token}


def viewer(stack, *, kids: bool) -> Viewer:
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            account = session.scalars(select(Account).where(Account.email == DEMO_EMAIL)).one()
            profile = session.scalars(
                select(Profile).where(Profile.account_id == account.id, Profile.is_kids == kids)
            ).first()
            assert profile is not None, f"the demo account has no {'kids' if kids else 'adult'} profile"
            token = issue_token(account.id, profile.id, secret=stack.token_secret)
            return Viewer(account.id, profile.id, account.country, profile.maturity_limit, token)
    finally:
        engine.dispose()


def cards_of(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cards = []
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "title_cards":
            cards.extend(custom["cards"])
    return cards


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


@dataclass(frozen=True)
class TitleFacts:
    id: int
    kind: str
    runtime_minutes: int | None
    maturity_rank: int
    genres: frozenset[str]
    available_in: frozenset[str]


def titles_by_id(stack, ids: list[int]) -> dict[int, TitleFacts]:
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            rows = session.scalars(select(Title).where(Title.id.in_(ids))).all()
            available = session.execute(
                select(TitleAvailability.title_id, TitleAvailability.region).where(
                    TitleAvailability.title_id.in_(ids), TitleAvailability.unavailable_reason.is_(None)
                )
            ).all()
            regions: dict[int, set[str]] = {}
            for title_id, region in available:
                regions.setdefault(title_id, set()).add(region)
            return {
                t.id: TitleFacts(
                    t.id,
                    t.kind,
                    t.runtime_minutes,
                    t.maturity_rank,
                    frozenset(g.name.lower() for g in t.genres),
                    frozenset(regions.get(t.id, ())),
                )
                for t in rows
            }
    finally:
        engine.dispose()


def watched_by(stack, profile_id: int) -> set[int]:
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            return set(
                session.scalars(select(ViewingEvent.title_id).where(ViewingEvent.profile_id == profile_id))
            )
    finally:
        engine.dispose()


def assert_suggestions_valid(stack, who: Viewer | None, cards: list[dict[str, Any]]) -> dict[int, TitleFacts]:
    assert cards, "the assistant suggested nothing"
    ids = [int(card["id"]) for card in cards]
    facts = titles_by_id(stack, ids)
    assert set(ids) <= set(facts), f"suggested ids missing from the catalog: {set(ids) - set(facts)}"
    if who is not None:
        seen = watched_by(stack, who.profile_id)
        for title in facts.values():
            assert title.maturity_rank <= who.maturity_limit, f"title {title.id} is above the profile's limit"
            assert who.region in title.available_in, f"title {title.id} is not available in {who.region}"
            assert title.id not in seen, f"title {title.id} was already watched"
    return facts


def test_anonymous_visitors_get_existing_titles(stack, sender):
    replies = stack.say(sender, "what should I watch tonight?")
    assert_suggestions_valid(stack, None, cards_of(replies))
    assert text_of(replies).strip()


def test_suggestions_come_from_the_fitted_hybrid_not_the_fallback(stack, sender):
    adult = viewer(stack, kids=False)
    assert_suggestions_valid(stack, adult, cards_of(stack.say(sender, "suggest something", adult.metadata)))
    log = stack.actions_log.read_text()
    assert "personal model: hybrid artifact" in log
    assert "built recommender models (hybrid, trending, popular)" in log
    assert "suggestions come from" not in log


def test_genre_and_runtime_constraints_hold_for_a_signed_in_profile(stack, sender):
    adult = viewer(stack, kids=False)
    replies = stack.say(sender, "a comedy movie under 2 hours", adult.metadata)
    facts = assert_suggestions_valid(stack, adult, cards_of(replies))
    for title in facts.values():
        assert "comedy" in title.genres, f"title {title.id} is not a comedy: {sorted(title.genres)}"
        assert title.kind == "movie"
        assert title.runtime_minutes is not None and title.runtime_minutes <= 120


def test_constraints_persist_and_titles_never_repeat_in_a_conversation(stack, sender):
    adult = viewer(stack, kids=False)
    suggested: list[int] = []
    for text in ["suggest a drama", "another one", "another one", "another", "something else"]:
        cards = cards_of(stack.say(sender, text, adult.metadata))
        facts = assert_suggestions_valid(stack, adult, cards)
        for title in facts.values():
            assert "drama" in title.genres, f"'{text}' dropped the drama constraint (title {title.id})"
        suggested.extend(int(card["id"]) for card in cards)
    assert len(suggested) == len(set(suggested)), "a title was suggested twice in one conversation"


@pytest.mark.parametrize(
    "text", ["something scary", "a violent horror movie for adults", "what's trending", "surprise me"]
)
def test_a_kids_profile_never_gets_titles_above_its_limit(stack, sender, text):
    kid = viewer(stack, kids=True)
    cards = cards_of(stack.say(sender, text, kid.metadata))
    if cards:
        assert_suggestions_valid(stack, kid, cards)


def test_out_of_scope_gets_an_honest_answer_and_no_titles(stack, sender):
    replies = stack.say(sender, "what's the weather in Paris tomorrow?")
    assert not cards_of(replies)
    assert "can't" in text_of(replies).lower() or "cannot" in text_of(replies).lower()


def test_feedback_is_stored_and_changes_the_next_suggestions(stack, sender):
    adult = viewer(stack, kids=False)
    first = cards_of(stack.say(sender, "recommend a thriller", adult.metadata))
    assert_suggestions_valid(stack, adult, first)
    before = watched_by(stack, adult.profile_id)
    replies = stack.say(sender, "I've seen that", adult.metadata)
    buttons = [button for reply in replies for button in reply.get("buttons", [])]
    if len(first) > 1:  # several were suggested: the bot asks which one, and the user taps the first
        assert buttons, f"'I've seen that' after {len(first)} titles asked nothing: {text_of(replies)}"
        replies = stack.say(sender, buttons[0]["payload"], adult.metadata)
    assert text_of(replies).strip()
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            marked = (
                set(
                    session.scalars(
                        select(ViewingEvent.title_id).where(ViewingEvent.profile_id == adult.profile_id)
                    )
                )
                - before
            )
            rated = set(session.scalars(select(Rating.title_id).where(Rating.profile_id == adult.profile_id)))
    finally:
        engine.dispose()
    first_ids = {int(card["id"]) for card in first}
    assert marked & first_ids or rated & first_ids, "'I've seen that' stored nothing for the suggested title"
    again = cards_of(stack.say(sender, "recommend a thriller", adult.metadata))
    assert not ({int(card["id"]) for card in again} & marked), "a title marked as watched came back"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x" * 10_000,
        "🍿🎬🎥🙂",
        "אני רוצה לראות סרט מצחיק",
        "'; DROP TABLE titles; --",
        "Robert'); SELECT * FROM accounts WHERE '1'='1",
    ],
    ids=["empty", "10k-chars", "emoji", "rtl", "sql-1", "sql-2"],
)
def test_odd_messages_get_a_sane_reply(stack, sender, text):
    replies = stack.say(sender, text)
    if text:
        assert text_of(replies).strip() or cards_of(replies), "no reply to an odd message"
    if cards_of(replies):
        assert_suggestions_valid(stack, None, cards_of(replies))


def test_the_http_api_needs_its_token(stack, sender):
    url = f"{stack.rasa_url}/conversations/{sender}/tracker"
    assert httpx.get(url, timeout=10).status_code in (401, 403)
    assert httpx.get(url, params={"token": "wrong"}, timeout=10).status_code in (401, 403)
    assert httpx.get(url, params={"token": stack.rasa_token}, timeout=10).status_code == 200


def test_with_the_action_server_down_the_bot_says_it_is_having_trouble(stack, sender):
    stack.stop_actions()
    try:
        replies = stack.say(sender, "what should I watch tonight?")
        assert "trouble" in text_of(replies).lower()
    finally:
        stack.start_actions()
    assert cards_of(stack.say(sender, "what should I watch tonight?")), "no recovery after the restart"


def test_marquee_chat_renders_a_conversation(stack):
    result = subprocess.run(
        [sys.executable, "-m", "marquee", "chat", "--profile", DEMO_EMAIL, "--rasa-url", stack.rasa_url],
        input="what should I watch tonight?\n/quit\n",
        capture_output=True,
        text=True,
        env=stack.env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "bot> " in result.stdout
    assert "(no reply)" not in result.stdout
