"""A parental-control PIN typed into the chat, through the real Rasa server (with bot/channels.py) and the
real action server: it is asked with the password-field hint, hidden by the channel before Rasa sees it,
and still applied. It is in no tracker event, no log line of either server, no ticket, audit or service
row, and the profile's scrypt hash verifies it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from accountdb.engine import make_engine, session_scope
from accountdb.models import (
    Account,
    AuditLogEntry,
    EmailOutboxMessage,
    Profile,
    ServiceRequest,
    SupportTicket,
)
from accountdb.security import verify_secret
from actions.identity import issue_token
from actions.secret_warning import is_warning
from actions.support.pin_seal import PIN_PLACEHOLDER

pytestmark = pytest.mark.rasa

PIN = "7391"
# What the channel must never let through: the PIN, and the mistyped answer around it.
MISTYPED = "73915"
INPUT_HINT = {"type": "input_hint", "input": "secret", "slot": "parental_pin"}


@dataclass(frozen=True)
class Household:
    account_id: int
    kids_profile_id: int
    token: str


@pytest.fixture
def db(stack) -> Iterator[Engine]:  # noqa: ANN001
    engine = make_engine(stack.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def household(stack, db: Engine) -> Household:  # noqa: ANN001
    """A new account of its own (an adult and a kids profile), so the seeded world's profiles keep their PINs."""
    tag = uuid.uuid4().hex[:8]
    with session_scope(db) as session:
        account = Account(email=f"e2e-pin-{tag}@example.com", name=f"Pin {tag}", country="US")
        session.add(account)
        session.flush()
        adult = Profile(account_id=account.id, name="Parent")
        kids = Profile(account_id=account.id, name="Kids", is_kids=True)
        session.add_all([adult, kids])
        session.flush()
        ids = account.id, adult.id, kids.id
    return Household(ids[0], ids[2], issue_token(ids[0], ids[1], secret=stack.token_secret))


def say(stack, sender: str, household: Household, text: str) -> list[dict[str, Any]]:  # noqa: ANN001
    return stack.say(sender, text, {"marquee_token": household.token})


def shows(pin: str, text: str) -> bool:
    """The PIN as a value of its own, not four digits inside a longer number or hex id: the tracker is full
    of confidences such as 0.1096867173910141 and ids that hold any 4-digit string now and then."""
    return re.search(rf"(?<![0-9a-fA-F.]){pin}(?![0-9a-fA-F])", text) is not None


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def tracker(stack, sender: str) -> dict[str, Any]:  # noqa: ANN001
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.rasa_token}, timeout=30
    )
    assert response.status_code == 200, response.text[:300]
    return response.json()


def logs(stack) -> dict[Path, int]:  # noqa: ANN001
    """The two servers' logs and how long they are now, so a test reads only what it caused."""
    paths = (stack.actions_log, stack.actions_log.parent / "rasa.log")
    return {path: len(path.read_text()) for path in paths}


def stored_rows(db: Engine, household: Household) -> str:
    with session_scope(db) as session:
        rows: list[Any] = [
            [e.details, e.entity_id] for e in session.scalars(select(AuditLogEntry)) if e.details
        ]
        rows += [
            [t.subject, t.context, t.transcript_excerpt]
            for t in session.scalars(
                select(SupportTicket).where(SupportTicket.account_id == household.account_id)
            )
        ]
        rows += [[r.result, r.params_sha256] for r in session.scalars(select(ServiceRequest))]
        rows += [[m.subject, m.body] for m in session.scalars(select(EmailOutboxMessage))]
        return json.dumps(rows, default=str)


def pin_hash(db: Engine, household: Household) -> str | None:
    with session_scope(db) as session:
        return session.get_one(Profile, household.kids_profile_id).pin_hash


def test_a_pin_typed_at_the_pin_step_is_applied_and_stored_nowhere_in_clear(
    stack,  # noqa: ANN001
    db: Engine,
    household: Household,
    sender: str,
) -> None:
    before = logs(stack)
    say(stack, sender, household, "set parental controls")
    say(stack, sender, household, "Kids")
    asked = say(stack, sender, household, "TV-Y7")
    assert "Type a new 4-digit PIN" in texts(asked), texts(asked)
    assert INPUT_HINT in [reply.get("custom") for reply in asked], asked

    confirm = say(stack, sender, household, PIN)
    assert "set the new PIN you typed" in texts(confirm), texts(confirm)
    assert not any(is_warning(reply.get("text")) for reply in confirm)  # an answer, not a disclosure
    # A hand-over while the PIN waits sealed in the form: the ticket carries the form, not the PIN.
    escalated = say(stack, sender, household, "let me talk to a person")
    assert "MQ-" in texts(escalated), texts(escalated)
    done = say(stack, sender, household, "yes")
    assert "Kids's new PIN is set" in texts(done), texts(done)

    stored = pin_hash(db, household)
    assert stored is not None and stored.startswith("scrypt$") and verify_secret(PIN, stored)
    state = tracker(stack, sender)
    assert not shows(PIN, json.dumps(state))
    user_texts = [event.get("text") for event in state["events"] if event.get("event") == "user"]
    assert user_texts.count(PIN_PLACEHOLDER) == 1, user_texts
    assert state["slots"].get("parental_pin") is None
    for path, offset in before.items():
        assert not shows(PIN, path.read_text()[offset:]), f"the PIN is in {path.name}"
    assert not shows(PIN, stored_rows(db, household))
    with session_scope(db) as session:
        ticket = session.scalars(
            select(SupportTicket).where(SupportTicket.account_id == household.account_id)
        ).one()
        assert PIN_PLACEHOLDER in ticket.transcript_excerpt  # the hand-over shows where the PIN was typed


def test_a_mistyped_pin_is_asked_again_and_a_labelled_one_is_taken_without_a_warning(
    stack,  # noqa: ANN001
    db: Engine,
    household: Household,
    sender: str,
) -> None:
    before = logs(stack)
    say(stack, sender, household, "set parental controls")
    say(stack, sender, household, "Kids")
    say(stack, sender, household, "TV-Y7")
    again = say(stack, sender, household, MISTYPED)
    assert "exactly 4 digits" in texts(again), texts(again)
    confirm = say(stack, sender, household, f"my new pin is {PIN}")
    assert "set the new PIN you typed" in texts(confirm), texts(confirm)
    assert not any(is_warning(reply.get("text")) for reply in again + confirm)
    say(stack, sender, household, "yes")

    stored = pin_hash(db, household)
    assert stored is not None and verify_secret(PIN, stored)
    dumped = json.dumps(tracker(stack, sender))
    for path, offset in before.items():
        logged = path.read_text()[offset:]
        assert not shows(PIN, logged) and not shows(MISTYPED, logged), f"a PIN is in {path.name}"
    assert not shows(PIN, dumped) and not shows(MISTYPED, dumped)
