"""The support actions end to end on SQLite and PostgreSQL: rasa_sdk's executor, Rasa 3.6-shaped trackers,
the support world in a migrated database. Each change is applied exactly once under a retried confirmation
and audited; another account's token cannot apply it; secrets never reach what is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from rasa_sdk.executor import ActionExecutor
from sqlalchemy import Engine, func, select
from support_driver import Chat, load_domain
from support_world import World, build_world

from accountdb.engine import session_scope
from accountdb.models import AuditLogEntry, ServiceRequest, Subscription, SupportTicket
from actions.identity import issue_token
from actions.secret_warning import CARD_WARNING, PASSWORD_WARNING
from actions.services import Services, use_services

CARD = "5555 5555 5555 4444"


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


@pytest.fixture
def world(migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", "integration-secret-" + "z" * 30)
    world = build_world(migrated_engine)
    use_services(Services(migrated_engine))
    yield world
    use_services(None)


def _chat(executor: ActionExecutor, account: int, profile: int) -> Chat:
    return Chat(executor, load_domain(), metadata={"marquee_token": issue_token(account, profile)})


def _stored(engine: Engine) -> str:
    with session_scope(engine) as session:
        parts = [json.dumps(e.details) for e in session.scalars(select(AuditLogEntry))]
        parts += [json.dumps(r.result) for r in session.scalars(select(ServiceRequest))]
        for ticket in session.scalars(select(SupportTicket)):
            parts += [ticket.subject, ticket.transcript_excerpt, json.dumps(ticket.context)]
    return "\n".join(parts)


def _count(engine: Engine, action: str) -> int:
    with session_scope(engine) as session:
        return session.scalar(
            select(func.count()).select_from(AuditLogEntry).where(AuditLogEntry.action == action)
        )


def test_plan_change_applied_once_under_retry_and_audited(executor, migrated_engine, world) -> None:  # noqa: ANN001
    chat = _chat(executor, world.alice, world.alice_profile)
    chat.say("upgrade me to premium", "change_plan", {"plan": "premium"}, action="change_plan_form")
    before = chat.snapshot()
    first = chat.say("yes", "affirm")
    for _ in range(2):
        chat.restore(before)
        again = chat.say("yes", "affirm", message_id=first.message_id)
        assert "Done: you're on Premium" in again.text
    with session_scope(migrated_engine) as session:
        plan = (
            session.scalars(select(Subscription).where(Subscription.account_id == world.alice))
            .one()
            .plan.code
        )
    assert plan == "premium" and _count(migrated_engine, "subscription.change_plan") == 1
    # A later, new request in the same conversation is a new change with its own preview and id.
    chat.say("back to standard", "change_plan", {"plan": "standard"}, action="change_plan_form")
    chat.say("yes", "affirm")
    assert _count(migrated_engine, "subscription.change_plan") == 2


def test_another_accounts_token_cannot_confirm(executor, migrated_engine, world) -> None:  # noqa: ANN001
    chat = _chat(executor, world.bob, world.bob_profile)
    chat.say("cancel", "cancel_subscription", {"cancel_reason": "other"}, action="cancel_subscription_form")
    chat.metadata = {"marquee_token": issue_token(world.alice, world.alice_profile)}
    result = chat.say("yes", "affirm")
    assert "different account" in result.text
    assert _count(migrated_engine, "subscription.cancel_at_period_end") == 0


def test_takeover_and_secrets_in_the_transcript_are_masked(executor, migrated_engine, world) -> None:  # noqa: ANN001
    chat = _chat(executor, world.alice, world.alice_profile)
    warned = chat.say(
        f"someone is using my account, my card is {CARD} and password: s3cret!",
        "account_compromised",
        action="action_preview_secure_account",
    )
    assert warned.text.startswith(f"{CARD_WARNING} {PASSWORD_WARNING}")
    chat.say("yes", "affirm")
    stored = _stored(migrated_engine)
    assert "ending 4444" in stored  # the masked card is in the ticket's transcript
    assert CARD not in stored and CARD.replace(" ", "") not in stored and "s3cret" not in stored
    assert _count(migrated_engine, "account.takeover_response") == 1
