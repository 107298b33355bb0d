"""Discovery actions warn first when the channel masked a card number or password (message metadata), and
mask themselves what arrived unmasked, so no flow sees or echoes it. The support side is in
tests/unit/actions_support/test_masked_by_channel.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from driver import Conversation, executor_sender, load_domain
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import Engine

from actions.secret_warning import (
    CARD_WARNING,
    PASSWORD_WARNING,
    REDACTED_KEY,
    is_warning,
    masked_kinds,
    secrets_in_message,
    warning_for,
)
from actions.services import Services, use_services

MASKED_CARD_TEXT = "my card number is [card number removed, ending 1111], a comedy please"
CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


@pytest.fixture
def chat(executor: ActionExecutor, world_engine: Engine) -> Iterator[Conversation]:
    use_services(Services(world_engine))
    yield Conversation(executor_sender(executor), load_domain(), metadata={"region": "US"})
    use_services(None)


def test_kinds_come_from_the_metadata_and_unknown_or_malformed_entries_are_ignored() -> None:
    assert masked_kinds({REDACTED_KEY: ["password", "card_number"]}) == ("card_number", "password")
    assert masked_kinds({REDACTED_KEY: ["ssn", 3]}) == ()
    assert masked_kinds({REDACTED_KEY: "card_number"}) == ()  # a string is not a list of kinds
    assert masked_kinds(["card_number"]) == ()
    assert masked_kinds(None) == ()
    assert secrets_in_message(f"card {CARD}", {}) == ("card_number",)  # unmasked text still counts
    assert secrets_in_message("my password is [password removed]", {}) == ()  # masked text is clean


def test_warning_texts() -> None:
    assert warning_for(["card_number"]) == CARD_WARNING
    assert warning_for(["password", "card_number"]) == f"{CARD_WARNING} {PASSWORD_WARNING}"
    assert warning_for([]) is None
    assert CARD_WARNING.startswith("For your safety I removed the card number from your message.")
    assert "secure link" in CARD_WARNING
    assert is_warning(CARD_WARNING) and is_warning(PASSWORD_WARNING) and not is_warning("Here are 3 picks")


def test_flagged_message_gets_the_warning_before_the_recommendation(chat: Conversation) -> None:
    chat.metadata[REDACTED_KEY] = ["card_number"]
    result = chat.say("action_recommend", MASKED_CARD_TEXT, "request_recommendation", (("genre", "comedy"),))
    assert result.responses[0]["text"] == CARD_WARNING
    assert len(result.responses) == 2 and result.cards  # the recommendation still follows


def test_unflagged_message_gets_no_warning(chat: Conversation) -> None:
    result = chat.say("action_recommend", "a comedy please", "request_recommendation", (("genre", "comedy"),))
    assert not any(is_warning(r.get("text")) for r in result.responses)


def test_unmasked_secret_is_warned_about_and_never_echoed_or_logged(
    chat: Conversation, caplog: pytest.LogCaptureFixture
) -> None:
    # A message that reached the action server without passing our channels (e.g. Rasa's HTTP API).
    with caplog.at_level(logging.DEBUG):
        result = chat.say(
            "action_title_info", f"tell me about {CARD} and password: Hunter2-Secret!", "ask_title_info"
        )
    assert result.responses[0]["text"] == f"{CARD_WARNING} {PASSWORD_WARNING}"
    for secret in (CARD, CARD.replace(" ", ""), "Hunter2-Secret"):
        assert secret not in str(result.responses) and secret not in str(result.events)
        assert secret not in caplog.text
    assert "held card_number, password; warned the user" in caplog.text


def test_fallback_question_also_starts_with_the_warning(chat: Conversation) -> None:
    chat.metadata[REDACTED_KEY] = ["password"]
    result = chat.say(
        "action_default_ask_affirmation",
        "my password is [password removed]",
        "nlu_fallback",
        intent_ranking=[{"name": "nlu_fallback", "confidence": 0.4}, {"name": "help", "confidence": 0.2}],
    )
    assert result.responses[0]["text"] == PASSWORD_WARNING
    assert len(result.responses) == 2


def test_warning_survives_a_failing_flow(executor: ActionExecutor) -> None:
    from accountdb.engine import make_engine

    down = make_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/marquee", connect_args={"connect_timeout": 2}
    )
    use_services(Services(down))
    try:
        chat = Conversation(
            executor_sender(executor), load_domain(), metadata={REDACTED_KEY: ["card_number"]}
        )
        result = chat.say("action_recommend", MASKED_CARD_TEXT, "request_recommendation")
        assert result.responses[0]["text"] == CARD_WARNING
        assert len(result.responses) == 2  # then the trouble reply
    finally:
        use_services(None)
        down.dispose()
