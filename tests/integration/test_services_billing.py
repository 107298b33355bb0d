"""Billing, plan changes and subscription changes on real SQLite and PostgreSQL: each change applied once
under retried confirmations, audited, and never reaching another account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accountdb.engine import session_scope
from accountdb.models import (
    Account,
    AuditLogEntry,
    BillingAdjustment,
    Invoice,
    Payment,
    PaymentMethod,
    Plan,
    PlanPrice,
    ServiceRequest,
    Subscription,
)
from accountdb.services import billing, plans, subscription
from accountdb.services.actor import Actor
from accountdb.services.errors import AccessDenied, Conflict, PreviewOutdated
from accountdb.services.links import LinkRejected, redeem_link

TODAY = date(2026, 12, 10)
NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)


@dataclass
class World:
    alice: int  # Standard, USD
    bob: int  # Premium, EUR


def _account(session, email, plan, currency, price):
    account = Account(
        email=email, name=email.split("@")[0].title(), country="US" if currency == "USD" else "DE"
    )
    session.add(account)
    session.flush()
    sub = Subscription(
        account_id=account.id,
        plan_id=plan.id,
        status="active",
        current_period_start=date(2026, 12, 1),
        current_period_end=date(2027, 1, 1),
        next_billing_date=date(2027, 1, 1),
    )
    card = PaymentMethod(
        account_id=account.id, brand="visa", last4="4242", exp_month=5, exp_year=2029, is_default=True
    )
    session.add_all([sub, card])
    session.flush()
    for month in (11, 12):
        invoice = Invoice(
            account_id=account.id,
            subscription_id=sub.id,
            number=f"INV-2026-{account.id:04d}{month:02d}",
            amount_cents=price,
            currency=currency,
            period_start=date(2026, month, 1),
            period_end=date(2026 + month // 12, month % 12 + 1, 1),
            issued_at=datetime(2026, month, 1, 5, tzinfo=UTC),
            status="paid",
        )
        invoice.payments.append(
            Payment(
                payment_method_id=card.id,
                amount_cents=price,
                currency=currency,
                attempted_at=datetime(2026, month, 1, 5, 30, tzinfo=UTC),
                status="succeeded",
            )
        )
        session.add(invoice)
    return account.id


@pytest.fixture
def world(migrated_engine, monkeypatch) -> World:
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", "x" * 40)
    with session_scope(migrated_engine) as session:
        basic = Plan(
            code="basic",
            name="Basic",
            monthly_price_cents=999,
            currency="USD",
            screens=1,
            resolution="720p",
            downloads_devices=1,
        )
        standard = Plan(
            code="standard",
            name="Standard",
            monthly_price_cents=1549,
            currency="USD",
            screens=2,
            resolution="1080p",
            downloads_devices=2,
        )
        premium = Plan(code="premium", name="Premium", monthly_price_cents=2299, currency="USD", screens=4, resolution="4K", downloads_devices=6)  # fmt: skip
        session.add_all([basic, standard, premium])
        session.flush()
        session.add_all(
            [
                PlanPrice(plan_id=p.id, currency="EUR", monthly_price_cents=c)
                for p, c in ((basic, 899), (standard, 1399), (premium, 1999))
            ]
        )
        return World(
            alice=_account(session, "alice@example.com", standard, "USD", 1549),
            bob=_account(session, "bob@example.com", premium, "EUR", 1999),
        )


def _count(engine, model, *where) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _audit(engine, action):
    with session_scope(engine) as session:
        return session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == action)).all()


def test_next_charge_and_invoice_history_in_the_accounts_currency(migrated_engine, world):
    with session_scope(migrated_engine) as session:
        alice = billing.next_charge(session, Actor.subscriber(world.alice, "c1"), world.alice)
        bob = billing.next_charge(session, Actor.subscriber(world.bob, "c2"), world.bob)
        history = billing.invoice_history(session, Actor.subscriber(world.bob, "c2"), world.bob)
    assert (alice.charge_date, alice.amount_cents, alice.currency) == (date(2027, 1, 1), 1549, "USD")
    assert (bob.amount_cents, bob.currency, bob.plan_code) == (1999, "EUR", "premium")
    assert [invoice.period_start.month for invoice in history] == [12, 11]
    assert all(invoice.paid_at is not None and invoice.currency == "EUR" for invoice in history)


def test_reading_another_accounts_billing_is_refused(migrated_engine, world):
    alice = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        for call in (billing.next_charge, billing.invoice_history, billing.check_duplicate_charge):
            with pytest.raises(AccessDenied):
                call(session, alice, world.bob)
    # An agent helping Bob may read it.
    with session_scope(migrated_engine) as session:
        assert billing.next_charge(session, Actor.agent("ana", "c9"), world.bob).currency == "EUR"


def test_charged_twice_detects_a_real_duplicate_with_evidence(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        report = billing.check_duplicate_charge(session, actor, world.alice, now=NOW)
        assert not report.duplicate and len(report.charges) == 2
        assert "different month" in report.explanation
        december = session.scalar(select(Invoice).where(Invoice.number == f"INV-2026-{world.alice:04d}12"))
        session.add(
            Payment(invoice_id=december.id, amount_cents=1549, currency="USD", status="succeeded",
                    attempted_at=datetime(2026, 12, 1, 6, tzinfo=UTC))
        )  # fmt: skip
    with session_scope(migrated_engine) as session:
        report = billing.check_duplicate_charge(session, actor, world.alice, now=NOW)
    assert report.duplicate
    assert {c.invoice_number for c in report.charges} == {f"INV-2026-{world.alice:04d}12"}
    assert report.charges[0].card == "visa ending 4242"


def test_a_declined_attempt_then_success_is_not_a_duplicate(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        december = session.scalar(select(Invoice).where(Invoice.number == f"INV-2026-{world.alice:04d}12"))
        session.add(
            Payment(invoice_id=december.id, amount_cents=1549, currency="USD", status="failed",
                    failure_reason="expired_card", attempted_at=datetime(2026, 12, 1, 5, tzinfo=UTC))
        )  # fmt: skip
    with session_scope(migrated_engine) as session:
        report = billing.check_duplicate_charge(session, actor, world.alice, now=NOW)
        failure = billing.explain_failed_payment(session, actor, world.alice)
    assert not report.duplicate and "declined" in report.explanation
    assert failure.reason == "expired_card" and failure.settled and "expired" in failure.cause


def test_no_failed_payment_gives_none(migrated_engine, world):
    with session_scope(migrated_engine) as session:
        assert (
            billing.explain_failed_payment(session, Actor.subscriber(world.alice, "c1"), world.alice) is None
        )


def test_payment_link_is_issued_once_per_confirmation_and_works_once(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    links = []
    for _ in range(2):
        with session_scope(migrated_engine) as session:
            links.append(billing.payment_method_update_link(session, actor, world.alice, "turn-7", now=NOW))
    assert links[0] == links[1]
    assert links[0].url.startswith("http://localhost:8000/account/payment-method?token=")
    assert len(_audit(migrated_engine, "payment_method.update_link_sent")) == 1
    token = links[0].url.split("token=")[1].replace("%3D", "=")
    with session_scope(migrated_engine) as session:
        assert redeem_link(session, token, "payment_method_update", now=NOW) == world.alice
    with session_scope(migrated_engine) as session, pytest.raises(LinkRejected, match="already used"):
        redeem_link(session, token, "payment_method_update", now=NOW)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with session_scope(migrated_engine) as session, pytest.raises(LinkRejected, match="not valid"):
        redeem_link(session, forged, "payment_method_update", now=NOW)


def test_expired_link_is_refused(migrated_engine, world):
    with session_scope(migrated_engine) as session:
        link = billing.payment_method_update_link(
            session, Actor.subscriber(world.alice, "c1"), world.alice, "t", now=NOW
        )
    token = link.url.split("token=")[1]
    with session_scope(migrated_engine) as session, pytest.raises(LinkRejected, match="expired"):
        redeem_link(session, token, "payment_method_update", now=NOW + timedelta(hours=2))


def test_plan_comparison_uses_database_prices_and_marks_the_current_plan(migrated_engine, world):
    with session_scope(migrated_engine) as session:
        options = plans.compare_plans(session, Actor.subscriber(world.bob, "c2"), world.bob)
        public = plans.compare_plans(session)
    assert [(o.code, o.monthly_price_cents, o.currency, o.current) for o in options] == [
        ("basic", 899, "EUR", False), ("standard", 1399, "EUR", False), ("premium", 1999, "EUR", True),
    ]  # fmt: skip
    assert [(o.code, o.screens, o.resolution) for o in public][-1] == ("premium", 4, "4K")


def test_upgrade_preview_then_confirmation_applies_once(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        preview = plans.preview_plan_change(session, actor, world.alice, "Premium", today=TODAY)
    assert (preview.remaining_days, preview.period_days, preview.proration_cents) == (22, 31, 532)
    assert preview.effective_date == TODAY and preview.next_charge_cents == 2299
    results = []
    for _ in range(3):  # the confirmation retried twice
        with session_scope(migrated_engine) as session:
            results.append(
                plans.change_plan(
                    session, actor, world.alice, "premium", preview.confirmation_id, today=TODAY
                )
            )
    assert results[0] == results[1] == results[2]
    assert results[0].invoice_number and results[0].proration_cents == 532
    assert _count(migrated_engine, Invoice, Invoice.account_id == world.alice, Invoice.status == "open") == 1
    entries = _audit(migrated_engine, "subscription.change_plan")
    assert len(entries) == 1
    assert entries[0].actor == f"subscriber:{world.alice}" and entries[0].conversation_id == "c1"
    assert entries[0].details["from"] == "standard" and entries[0].details["to"] == "premium"
    assert _count(migrated_engine, ServiceRequest) == 1


def test_changing_back_and_forth_on_one_day_applies_every_change(migrated_engine, world):
    # The same from/to plans on the same day must still be a new change after the plan moved in between.
    actor = Actor.subscriber(world.alice, "c1")
    for target in ("premium", "standard", "premium"):
        with session_scope(migrated_engine) as session:
            preview = plans.preview_plan_change(session, actor, world.alice, target, today=TODAY)
        with session_scope(migrated_engine) as session:
            plans.change_plan(session, actor, world.alice, target, preview.confirmation_id, today=TODAY)
        with session_scope(migrated_engine) as session:
            current = session.scalars(
                select(Subscription).where(Subscription.account_id == world.alice)
            ).one()
            assert current.plan.code == target
    assert len(_audit(migrated_engine, "subscription.change_plan")) == 3


def test_downgrade_credits_the_next_invoices(migrated_engine, world):
    actor = Actor.subscriber(world.bob, "c2")
    with session_scope(migrated_engine) as session:
        preview = plans.preview_plan_change(session, actor, world.bob, "standard", today=TODAY)
        result = plans.change_plan(
            session, actor, world.bob, "standard", preview.confirmation_id, today=TODAY
        )
    # (1399 - 1999) * 22 / 31 = -425.8 -> a credit of 426 cents
    assert result.credit_cents == 426 and result.invoice_number is None
    with session_scope(migrated_engine) as session:
        credit = session.scalar(select(BillingAdjustment))
        charge = billing.next_charge(session, actor, world.bob)
    assert (credit.kind, credit.amount_cents, credit.currency) == ("credit", 426, "EUR")
    assert (charge.list_price_cents, charge.credit_applied_cents, charge.amount_cents) == (1399, 426, 973)


def test_a_stale_or_foreign_confirmation_changes_nothing(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        preview = plans.preview_plan_change(session, actor, world.alice, "premium", today=TODAY)
    with session_scope(migrated_engine) as session, pytest.raises(PreviewOutdated):
        plans.change_plan(
            session, actor, world.alice, "premium", preview.confirmation_id, today=TODAY + timedelta(days=1)
        )
    with session_scope(migrated_engine) as session, pytest.raises(AccessDenied):
        plans.change_plan(session, actor, world.bob, "basic", preview.confirmation_id, today=TODAY)
    with session_scope(migrated_engine) as session:
        plan_codes = {s.account_id: s.plan.code for s in session.scalars(select(Subscription))}
    assert plan_codes == {world.alice: "standard", world.bob: "premium"}
    assert _count(migrated_engine, AuditLogEntry) == 0 and _count(migrated_engine, ServiceRequest) == 0


def test_retention_offers_follow_reason_and_history(migrated_engine, world):
    alice = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        price = subscription.retention_offer(session, alice, world.alice, "price", now=NOW)
        idle = subscription.retention_offer(session, alice, world.alice, "not_watching", now=NOW)
        broken = subscription.retention_offer(session, alice, world.alice, "technical", now=NOW)
    assert (price.kind, price.plan_code, price.plan_price_cents) == ("downgrade", "basic", 999)
    assert (idle.kind, idle.pause_months) == ("pause", 1)
    assert broken.kind == "support"
    # On the cheapest plan the price offer is a discount, once a year.
    with session_scope(migrated_engine) as session:
        session.scalar(
            select(Subscription).where(Subscription.account_id == world.alice)
        ).plan_id = session.scalar(select(Plan.id).where(Plan.code == "basic"))
    with session_scope(migrated_engine) as session:
        offer = subscription.retention_offer(session, alice, world.alice, "price", now=NOW)
        assert (offer.kind, offer.discount_percent) == ("discount", 25)
        subscription.accept_retention_discount(session, alice, world.alice, "yes-1", now=NOW)
    with session_scope(migrated_engine) as session:
        subscription.accept_retention_discount(session, alice, world.alice, "yes-1", now=NOW)  # retried
        assert subscription.retention_offer(session, alice, world.alice, "price", now=NOW).kind == "pause"
        charge = billing.next_charge(session, alice, world.alice)
    assert (charge.discount_percent, charge.amount_cents) == (25, 749)  # 999 - ceil(249.75)
    assert _count(migrated_engine, BillingAdjustment) == 1


def test_cancel_at_period_end_once_then_undo(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    note = "too pricey. my card 4111 1111 1111 1111 is maxed'); DROP TABLE subscriptions;--"
    for _ in range(2):
        with session_scope(migrated_engine) as session:
            result = subscription.cancel(
                session, actor, world.alice, "price", "turn-12", note=note, today=TODAY
            )
    assert (result.ends_on, result.ended_now) == (date(2027, 1, 1), False)
    entries = _audit(migrated_engine, "subscription.cancel_at_period_end")
    assert len(entries) == 1
    stored_note = entries[0].details["note"]
    assert "4111 1111" not in stored_note and "ending 1111" in stored_note
    assert stored_note.endswith("is maxed'); DROP TABLE subscriptions;--")
    with session_scope(migrated_engine) as session:
        sub = session.scalar(select(Subscription).where(Subscription.account_id == world.alice))
        assert sub.cancel_at_period_end and sub.next_billing_date is None and sub.status == "active"
        assert billing.next_charge(session, actor, world.alice).charge_date is None
    with session_scope(migrated_engine) as session, pytest.raises(Conflict, match="already ends"):
        subscription.cancel(session, actor, world.alice, "price", "turn-13", today=TODAY)
    with session_scope(migrated_engine) as session:
        state = subscription.undo_cancellation(session, actor, world.alice, "turn-14")
    assert not state.cancel_at_period_end and state.next_billing_date == date(2027, 1, 1)


def test_cancelling_another_account_is_refused_and_leaves_it_alone(migrated_engine, world):
    with session_scope(migrated_engine) as session, pytest.raises(AccessDenied):
        subscription.cancel(
            session, Actor.subscriber(world.alice, "c1"), world.bob, "price", "turn-1", today=TODAY
        )
    with session_scope(migrated_engine) as session:
        assert not session.scalar(
            select(Subscription).where(Subscription.account_id == world.bob)
        ).cancel_at_period_end
    assert _count(migrated_engine, AuditLogEntry) == 0


def test_pause_from_the_period_end_and_resume(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    for _ in range(2):
        with session_scope(migrated_engine) as session:
            paused = subscription.pause(session, actor, world.alice, 2, "turn-3")
    assert (paused.status, paused.paused_until, paused.next_billing_date) == (
        "active",
        date(2027, 3, 1),
        date(2027, 3, 1),
    )
    assert len(_audit(migrated_engine, "subscription.pause")) == 1
    with session_scope(migrated_engine) as session:
        resumed = subscription.resume(session, actor, world.alice, "turn-4", today=TODAY)
    assert resumed.paused_until is None and resumed.next_billing_date == date(2027, 1, 1)
    # A running pause resumes into a new period billed today.
    with session_scope(migrated_engine) as session:
        sub = session.scalar(select(Subscription).where(Subscription.account_id == world.alice))
        sub.status, sub.paused_until = "paused", date(2027, 2, 1)
    with session_scope(migrated_engine) as session:
        resumed = subscription.resume(session, actor, world.alice, "turn-5", today=TODAY)
    assert (resumed.status, resumed.next_billing_date, resumed.current_period_end) == (
        "active",
        TODAY,
        date(2027, 1, 10),
    )


def test_one_confirmation_cannot_be_reused_for_a_different_request(migrated_engine, world):
    actor = Actor.subscriber(world.alice, "c1")
    with session_scope(migrated_engine) as session:
        subscription.pause(session, actor, world.alice, 1, "turn-3")
    with session_scope(migrated_engine) as session, pytest.raises(Conflict, match="different request"):
        subscription.pause(session, actor, world.alice, 3, "turn-3")


def test_past_due_account_sees_the_unpaid_invoice_and_why_it_failed(migrated_engine, world):
    actor = Actor.subscriber(world.bob, "c2")
    with session_scope(migrated_engine) as session:
        sub = session.scalar(select(Subscription).where(Subscription.account_id == world.bob))
        sub.status, sub.next_billing_date = "past_due", date(2026, 12, 12)
        invoice = Invoice(account_id=world.bob, subscription_id=sub.id, number="INV-2026-PASTDUE", amount_cents=1999,
                          currency="EUR", period_start=date(2026, 12, 1), period_end=date(2027, 1, 1),
                          issued_at=datetime(2026, 12, 2, tzinfo=UTC), status="open")  # fmt: skip
        invoice.payments.append(
            Payment(amount_cents=1999, currency="EUR", status="failed", failure_reason="insufficient_funds",
                    attempted_at=datetime(2026, 12, 2, 1, tzinfo=UTC))
        )  # fmt: skip
        session.add(invoice)
    with session_scope(migrated_engine) as session:
        charge = billing.next_charge(session, actor, world.bob)
        failure = billing.explain_failed_payment(session, actor, world.bob)
    assert (charge.charge_date, charge.amount_cents, charge.currency) == (date(2026, 12, 12), 1999, "EUR")
    assert "failed" in charge.explanation
    assert (failure.invoice_number, failure.settled, failure.next_retry) == (
        "INV-2026-PASTDUE",
        False,
        date(2026, 12, 12),
    )
    assert "funds" in failure.cause and failure.failed_attempts == 1
