"""Billing actions through rasa_sdk's ActionExecutor on the support world (SQLite): next charge, invoices,
charged twice (detected and escalated), payment failed, and the secure payment-method link."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from accountdb.engine import session_scope
from accountdb.models import AccountLink, AuditLogEntry, ServiceRequest, SupportTicket
from actions.support.texts import SIGN_IN_TEXT


def _count(engine, model, *where) -> int:  # noqa: ANN001
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_next_charge_states_amount_date_and_plan(chat, world, engine) -> None:  # noqa: ANN001
    result = chat(world.alice, world.alice_profile).say(
        "when is my next bill?", "ask_next_charge", action="action_next_charge"
    )
    assert re.search(r"Your next charge is 15\.49 USD on \w+ \d+, \d{4} for the Standard plan\.", result.text)
    assert result.events == []


def test_next_charge_for_past_due_paused_and_cancelling_accounts(chat, world, engine) -> None:  # noqa: ANN001
    carol = chat(world.carol, world.carol_profile).say(
        "next charge?", "ask_next_charge", action="action_next_charge"
    )
    assert "last payment failed" in carol.text and "15.49 USD" in carol.text
    assert carol.payloads == ["/payment_failed", "/update_payment_method"]
    dave = chat(world.dave, world.dave_profile).say(
        "next charge?", "ask_next_charge", action="action_next_charge"
    )
    assert "paused" in dave.text and "Billing restarts" in dave.text
    erin = chat(world.erin, world.erin_profile).say(
        "next charge?", "ask_next_charge", action="action_next_charge"
    )
    assert "no further charges" in erin.text


def test_invoice_history_lists_the_accounts_own_invoices_newest_first(chat, world, engine) -> None:  # noqa: ANN001
    result = chat(world.alice, world.alice_profile).say(
        "show my invoices", "ask_invoices", action="action_invoice_history"
    )
    numbers = re.findall(r"INV-[A-Z]-\d", result.text)
    assert numbers == ["INV-A-0", "INV-A-1", "INV-A-2"]
    assert "INV-B" not in result.text and "paid" in result.text


def test_real_duplicate_charge_is_escalated_once_with_context(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.bob, world.bob_profile)
    before = conversation.snapshot()
    first = conversation.say(
        "why was I charged twice??", "charged_twice", action="action_check_double_charge"
    )
    reference = re.search(r"ticket (MQ-[0-9A-Z]{6})", first.text).group(1)
    assert "charged 15.49 USD twice to your mastercard ending 5454" in first.text
    assert "within 24 hours" in first.text
    conversation.restore(before)  # Rasa retries the same turn (e.g. the action server timed out)
    again = conversation.say(
        "why was I charged twice??",
        "charged_twice",
        action="action_check_double_charge",
        message_id=first.message_id,
    )
    assert reference in again.text
    with session_scope(engine) as session:
        tickets = session.scalars(select(SupportTicket)).all()
        assert len(tickets) == 1
        ticket = tickets[0]
        assert (ticket.account_id, ticket.category, ticket.priority) == (world.bob, "billing", "normal")
        assert ticket.context["intents"] == ["charged_twice"]
        assert ticket.context["account"]["plan"] == "standard"
        assert ticket.context["details"]["invoices"] == ["INV-B-1", "INV-B-1"]
        assert "Subscriber: why was I charged twice??" in ticket.transcript_excerpt
        assert ticket.conversation_id == conversation.sender_id
    assert _count(engine, AuditLogEntry, AuditLogEntry.action == "support_ticket.create") == 1


def test_no_duplicate_means_no_ticket(chat, world, engine) -> None:  # noqa: ANN001
    result = chat(world.alice, world.alice_profile).say(
        "charged twice?", "charged_twice", action="action_check_double_charge"
    )
    assert "found no duplicate" in result.text and "each charge pays a different month" in result.text
    assert _count(engine, SupportTicket) == 0
    assert "/talk_to_agent" in result.payloads


def test_failed_payment_gives_reason_fix_and_retry_date(chat, world, engine) -> None:  # noqa: ANN001
    result = chat(world.carol, world.carol_profile).say(
        "my payment failed", "payment_failed", action="action_explain_failed_payment"
    )
    assert "did not have enough available funds" in result.text
    assert "visa ending 0002" in result.text and "We'll try again on" in result.text
    assert result.payloads == ["/update_payment_method"]
    fine = chat(world.alice, world.alice_profile).say(
        "did my payment fail?", "payment_failed", action="action_explain_failed_payment"
    )
    assert "None of your payments has failed" in fine.text


def test_payment_method_link_is_signed_single_and_retry_safe(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    before = conversation.snapshot()
    first = conversation.say(
        "I need to change my card", "update_payment_method", action="action_payment_method_link"
    )
    url = re.search(r"(http\S+/account/payment-method\?token=\S+)", first.text).group(1)
    conversation.restore(before)
    again = conversation.say(
        "I need to change my card",
        "update_payment_method",
        action="action_payment_method_link",
        message_id=first.message_id,
    )
    assert url in again.text
    assert _count(engine, AccountLink) == 1
    assert _count(engine, ServiceRequest, ServiceRequest.action == "payment_method.update_link") == 1
    assert "never need your card number" in first.text


def test_signed_out_users_get_please_sign_in_and_nothing_private(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat()
    for intent, action in (
        ("ask_next_charge", "action_next_charge"),
        ("ask_invoices", "action_invoice_history"),
        ("charged_twice", "action_check_double_charge"),
        ("payment_failed", "action_explain_failed_payment"),
        ("update_payment_method", "action_payment_method_link"),
    ):
        result = conversation.say("billing question", intent, action=action)
        assert result.text == SIGN_IN_TEXT
        assert "USD" not in result.text and "INV-" not in result.text
    assert _count(engine, AccountLink) == 0 and _count(engine, SupportTicket) == 0
