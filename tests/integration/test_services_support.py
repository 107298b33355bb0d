"""Account security, streams, parental controls and tickets on real SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, inspect, select

from accountdb.engine import session_scope
from accountdb.models import (
    Account,
    AccountLink,
    AuditLogEntry,
    Device,
    DeviceSession,
    EmailOutboxMessage,
    Plan,
    Profile,
    ServiceRequest,
    Subscription,
    SupportTicket,
)
from accountdb.services import account_security, parental, tickets
from accountdb.services.actor import Actor
from accountdb.services.errors import AccessDenied, InvalidRequest, NotFound
from accountdb.services.links import LinkRejected
from accountdb.services.tickets import ConversationContext, Turn

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)
CARD = "4111 1111 1111 1111"
INJECTION = "Robert'); DROP TABLE support_tickets;-- <script>alert(1)</script>"


@dataclass
class World:
    alice: int
    adult: int
    kids: int
    tv: int
    phone: int
    bob: int
    bob_profile: int


@pytest.fixture
def world(migrated_engine, monkeypatch) -> World:
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", "y" * 40)
    with session_scope(migrated_engine) as session:
        plan = Plan(code="standard", name="Standard", monthly_price_cents=1549, currency="USD", screens=2, resolution="1080p", downloads_devices=2)  # fmt: skip
        alice = Account(
            email="alice.smith@example.com", name="Alice", country="US", status="locked", failed_login_count=5
        )
        alice.set_password("old-password-1")
        bob = Account(email="bob@example.org", name="Bob", country="US")
        session.add_all([plan, alice, bob])
        session.flush()
        adult, kids = (
            Profile(account_id=alice.id, name="Alice"),
            Profile(account_id=alice.id, name="Kids", is_kids=True),
        )
        bob_profile = Profile(account_id=bob.id, name="Bob")
        tv = Device(account_id=alice.id, name="Living room TV", kind="tv", platform="tvOS", last_seen_at=NOW)
        phone = Device(
            account_id=alice.id, name="Alice's iPhone", kind="mobile", platform="iOS", last_seen_at=NOW
        )
        bob_tv = Device(account_id=bob.id, name="Bob's TV", kind="tv")
        session.add_all([adult, kids, bob_profile, tv, phone, bob_tv])
        session.flush()
        for account in (alice, bob):
            session.add(
                Subscription(account_id=account.id, plan_id=plan.id, current_period_start=date(2026, 12, 1),
                             current_period_end=date(2027, 1, 1), next_billing_date=date(2027, 1, 1))
            )  # fmt: skip
        session.add_all(
            [
                DeviceSession(device_id=tv.id, profile_id=adult.id, started_at=NOW, ip_country="US"),
                DeviceSession(device_id=phone.id, profile_id=kids.id, started_at=NOW, ip_country="FR"),
                DeviceSession(device_id=bob_tv.id, profile_id=bob_profile.id, started_at=NOW),
            ]
        )
        return World(alice.id, adult.id, kids.id, tv.id, phone.id, bob.id, bob_profile.id)


def _count(engine, model, *where) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _everything_stored(engine) -> str:
    """Every text the services wrote: audit, tickets, applied requests, e-mails."""
    with session_scope(engine) as session:
        parts = [json.dumps(e.details) for e in session.scalars(select(AuditLogEntry))]
        parts += [json.dumps(r.result) for r in session.scalars(select(ServiceRequest))]
        for ticket in session.scalars(select(SupportTicket)):
            parts += [ticket.subject, ticket.transcript_excerpt, json.dumps(ticket.context)]
        return "\n".join(parts)


def test_locked_account_is_explained_and_a_reset_link_unlocks_it(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        lock = account_security.explain_lock(session, actor, world.alice)
    assert lock.locked and "5 wrong password" in lock.reason
    for _ in range(2):
        with session_scope(migrated_engine) as session:
            sent = account_security.send_password_reset(session, actor, world.alice, "turn-2", now=NOW)
    assert sent.masked_email == "a***@e***.com"
    with session_scope(migrated_engine) as session:
        emails = session.scalars(select(EmailOutboxMessage)).all()
        assert len(emails) == 1 and emails[0].to_address == "alice.smith@example.com"
        token = re.search(r"token=(\S+)", emails[0].body).group(1)
    with session_scope(migrated_engine) as session, pytest.raises(InvalidRequest):
        account_security.complete_password_reset(session, token, "short", now=NOW)
    with session_scope(migrated_engine) as session:
        assert (
            account_security.complete_password_reset(session, token, "a new long password", now=NOW)
            == world.alice
        )
    with session_scope(migrated_engine) as session:
        alice = session.get(Account, world.alice)
        assert alice.status == "active" and alice.failed_login_count == 0
        assert alice.check_password("a new long password") and not alice.check_password("old-password-1")
        assert not any(d.signed_in for d in alice.devices)
    with session_scope(migrated_engine) as session, pytest.raises(LinkRejected):
        account_security.complete_password_reset(session, token, "another long password", now=NOW)


def test_takeover_response_secures_the_account_once(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1", profile_id=world.adult)
    context = ConversationContext(
        intents=("greet", "report_account_takeover"),
        slots={"suspicious_device": "Alice's iPhone"},
        transcript=(
            Turn("subscriber", "someone in France is watching on my account"),
            Turn("assistant", "I'll secure it"),
        ),
    )
    receipts = []
    for _ in range(2):
        with session_scope(migrated_engine) as session:
            receipts.append(
                account_security.report_account_takeover(
                    session, actor, world.alice, context, "turn-9", now=NOW
                )
            )
    assert receipts[0] == receipts[1]
    assert (receipts[0].devices_signed_out, receipts[0].streams_ended) == (2, 2)
    assert receipts[0].expected_response == "within 1 hour"
    with session_scope(migrated_engine) as session:
        ticket = session.scalar(select(SupportTicket))
        assert (ticket.priority, ticket.category, ticket.reference) == (
            "urgent",
            "security",
            receipts[0].ticket_reference,
        )
        assert ticket.context["account"]["plan"] == "standard" and ticket.profile_id == world.adult
        assert ticket.context["intents"] == ["greet", "report_account_takeover"]
        assert session.get(Account, world.alice).password_hash is None
        bob_streams = session.scalars(
            select(DeviceSession).join(Device).where(Device.account_id == world.bob)
        ).all()
        assert all(s.ended_at is None for s in bob_streams)  # the other household is untouched
    assert _count(migrated_engine, SupportTicket) == 1 and _count(migrated_engine, EmailOutboxMessage) == 1
    assert _count(migrated_engine, AuditLogEntry, AuditLogEntry.action == "account.takeover_response") == 1


def test_stream_limit_and_signing_out_one_device(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        usage = account_security.stream_usage(session, actor, world.alice)
        devices = account_security.list_devices(session, actor, world.alice)
    assert (usage.screens, usage.active, usage.at_limit) == (2, 2, True)
    assert {s.profile_name for s in usage.streams} == {"Alice", "Kids"}
    assert all(d.streaming_now for d in devices)
    with session_scope(migrated_engine) as session:
        result = account_security.sign_out_device(session, actor, world.alice, world.phone, "turn-4", now=NOW)
    assert (result.devices_signed_out, result.streams_ended) == (1, 1)
    with session_scope(migrated_engine) as session:
        usage = account_security.stream_usage(session, actor, world.alice)
        assert (usage.active, usage.at_limit) == (1, False)
        bob_device = session.scalar(select(Device.id).where(Device.account_id == world.bob))
    # Another household's device is "not found", whoever asks with Alice's account.
    with session_scope(migrated_engine) as session, pytest.raises(NotFound):
        account_security.sign_out_device(session, actor, world.alice, bob_device, "turn-5", now=NOW)
    with session_scope(migrated_engine) as session, pytest.raises(AccessDenied):
        account_security.sign_out_all_devices(session, actor, world.bob, "turn-6", now=NOW)
    with session_scope(migrated_engine) as session:
        assert session.get(Device, bob_device).signed_in


def test_parental_controls_hash_the_pin_and_never_store_or_return_it(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1", profile_id=world.adult)
    with session_scope(migrated_engine) as session:
        controls = parental.set_maturity_limit(session, actor, world.alice, world.kids, "tv-y7", "turn-1")
        pin_controls = parental.set_profile_pin(session, actor, world.alice, world.kids, "8264", "turn-2")
    assert (controls.maturity_limit, controls.maturity_rank) == ("TV-Y7", 1)
    assert pin_controls.pin_set and "8264" not in repr(pin_controls)
    with session_scope(migrated_engine) as session:
        kids = session.get(Profile, world.kids)
        assert kids.pin_hash.startswith("scrypt$") and kids.check_pin("8264") and not kids.check_pin("0000")
    assert "8264" not in _everything_stored(migrated_engine)
    with session_scope(migrated_engine) as session:
        parental.set_profile_pin(
            session, actor, world.alice, world.kids, "1111", "turn-2"
        )  # retried: first wins
        assert session.get(Profile, world.kids).check_pin("8264")
    with session_scope(migrated_engine) as session, pytest.raises(InvalidRequest, match="kids profile"):
        parental.set_maturity_limit(session, actor, world.alice, world.kids, "R", "turn-3")
    with session_scope(migrated_engine) as session, pytest.raises(InvalidRequest, match="4 digits"):
        parental.set_profile_pin(session, actor, world.alice, world.adult, "12ab", "turn-4")
    from_kids = Actor.subscriber(world.alice, "c1", profile_id=world.kids)
    with session_scope(migrated_engine) as session, pytest.raises(AccessDenied, match="kids profile"):
        parental.remove_profile_pin(session, from_kids, world.alice, world.kids, "turn-5")
    with session_scope(migrated_engine) as session, pytest.raises(NotFound):
        parental.set_maturity_limit(session, actor, world.alice, world.bob_profile, "G", "turn-6")
    assert _count(migrated_engine, AuditLogEntry, AuditLogEntry.action.like("profile.%")) == 2


def test_ticket_carries_context_masked_and_injection_text_verbatim(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    context = ConversationContext(
        intents=("ask_refund",),
        slots={"reason": INJECTION, "card": CARD},
        transcript=(
            Turn("subscriber", f"I paid with {CARD} and my password is hunter22"),
            Turn("assistant", "Please never share card numbers here."),
            Turn("subscriber", INJECTION),
        ),
    )
    receipts = []
    for _ in range(2):
        with session_scope(migrated_engine) as session:
            receipts.append(
                tickets.open_ticket(
                    session,
                    actor,
                    world.alice,
                    "billing",
                    f"Charged twice {INJECTION}",
                    context,
                    "turn-8",
                    now=NOW,
                )
            )
    assert receipts[0] == receipts[1]
    assert re.fullmatch(r"MQ-[0-9A-HJKMNP-TV-Z]{6}", receipts[0].reference)
    assert receipts[0].expected_response == "within 24 hours" and receipts[0].priority == "normal"
    with session_scope(migrated_engine) as session:
        ticket = session.scalar(select(SupportTicket))
        assert ticket.subject == f"Charged twice {INJECTION}"[:200]
        assert ticket.context["slots"]["reason"] == INJECTION
        assert ticket.transcript_excerpt.splitlines()[-1] == f"Subscriber: {INJECTION}"
    stored = _everything_stored(migrated_engine)
    assert CARD not in stored and "hunter22" not in stored and "ending 1111" in stored
    assert "support_tickets" in inspect(migrated_engine).get_table_names()
    assert _count(migrated_engine, SupportTicket) == 1


def test_refund_request_is_a_ticket_for_one_of_the_accounts_invoices(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session, pytest.raises(NotFound, match="no invoice"):
        tickets.request_refund(session, actor, world.alice, "INV-0", "why", ConversationContext(), "t1")
    with session_scope(migrated_engine) as session, pytest.raises(AccessDenied):
        tickets.open_ticket(session, actor, world.bob, "legal", "GDPR request", ConversationContext(), "t2")
    with session_scope(migrated_engine) as session:
        receipt = tickets.open_ticket(
            session,
            Actor.agent("ana", "c7"),
            world.bob,
            "legal",
            "GDPR data request",
            ConversationContext(),
            "t3",
        )
    assert (receipt.category, receipt.priority, receipt.expected_response) == (
        "legal",
        "high",
        "within 4 hours",
    )


def test_concurrent_retries_of_one_confirmation_apply_once(migrated_engine, world):
    """Two workers handling the same retried confirmation at once: one change, one result."""
    actor = Actor.subscriber(world.alice, "c1")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            with session_scope(migrated_engine.execution_options(sqlite_begin="IMMEDIATE")) as session:
                results.append(
                    account_security.sign_out_all_devices(session, actor, world.alice, "turn-77", now=NOW)
                )
        except Exception as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(results) == 2 and results[0] == results[1]
    assert results[0].devices_signed_out == 2
    assert _count(migrated_engine, AuditLogEntry, AuditLogEntry.action == "account.sign_out_all") == 1
    assert _count(migrated_engine, AccountLink) == 0
