"""Card numbers and passwords typed into the chat, through the real Rasa server and action server: the user
is warned first, and neither Rasa's tracker, Rasa's log nor the action server's log ever holds the value."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from accountdb.engine import make_engine, session_scope
from accountdb.models import Account, Profile
from actions.identity import issue_token
from actions.secret_warning import CARD_WARNING, PASSWORD_WARNING, REDACTED_KEY, is_warning

pytestmark = pytest.mark.rasa

DEMO_EMAIL = "demo@marquee.example"
CARD_MESSAGE = "my card number is 4111 1111 1111 1111, why was I charged twice?"
PASSWORD_MESSAGE = "my password is Hunter2-Secret!"
CARD_VARIANTS = ("4111 1111 1111 1111", "4111111111111111", "4111-1111-1111-1111")
PASSWORD_VARIANTS = ("Hunter2-Secret", "hunter2-secret")
# Every form of every value this module types; none may appear in anything stored or logged.
ALL_VARIANTS = CARD_VARIANTS + PASSWORD_VARIANTS


def demo_token(stack) -> str:  # noqa: ANN001
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            account = session.scalars(select(Account).where(Account.email == DEMO_EMAIL)).one()
            profile = session.scalars(select(Profile).where(Profile.account_id == account.id)).first()
            assert profile is not None, "the demo account has no profile"
            return issue_token(account.id, profile.id, secret=stack.token_secret)
    finally:
        engine.dispose()


def tracker(stack, sender: str) -> dict[str, Any]:  # noqa: ANN001
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.rasa_token}, timeout=30
    )
    assert response.status_code == 200, response.text[:300]
    return response.json()


def digits_only(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
@pytest.mark.parametrize(
    ("message", "warning", "kind", "mask"),
    [
        (CARD_MESSAGE, CARD_WARNING, "card_number", "[card number removed, ending 1111]"),
        (PASSWORD_MESSAGE, PASSWORD_WARNING, "password", "[password removed]"),
    ],
    ids=["card", "password"],
)
def test_secret_is_warned_about_and_never_reaches_the_tracker(
    stack,  # noqa: ANN001
    sender: str,
    signed_in: bool,
    message: str,
    warning: str,
    kind: str,
    mask: str,
) -> None:
    metadata = {"marquee_token": demo_token(stack)} if signed_in else {}
    replies = stack.say(sender, message, metadata)
    texts = [reply.get("text") or "" for reply in replies]
    assert texts and texts[0] == warning, texts
    assert sum(map(is_warning, texts)) == 1, texts
    assert len(texts) >= 2, texts  # the turn's own answer follows the warning

    state = tracker(stack, sender)
    dumped = json.dumps(state)
    for variant in ALL_VARIANTS:
        assert variant not in dumped, variant
    [user] = [event for event in state["events"] if event.get("event") == "user"]
    assert mask in user["text"]
    assert digits_only("4111111111111111") not in digits_only(user["text"])
    assert user["metadata"][REDACTED_KEY] == [kind]
    assert state["latest_message"]["text"] == user["text"]


def test_the_logs_never_hold_the_values(stack, sender: str) -> None:  # noqa: ANN001
    # Both messages once more, in one conversation, then read what the servers wrote (at their default
    # levels; the channel's own DEBUG-level logging is checked in tests/unit/bot/test_channel_redaction.py).
    for message in (CARD_MESSAGE, PASSWORD_MESSAGE):
        assert is_warning(stack.say(sender, message)[0].get("text"))
    rasa_log = stack.actions_log.parent / "rasa.log"
    for log in (stack.actions_log, rasa_log):
        text = log.read_text()
        assert text, f"{log} is empty"
        for variant in ALL_VARIANTS:
            assert variant not in text, (log.name, variant)
