"""A small account world for the support actions' tests, built with the ORM on a migrated database.

Each account is in the state one flow needs: Alice (active Standard plan, two devices both streaming, a
kids profile, paid invoices), Bob (charged twice for one month), Carol (a failed payment, past due), Dave
(paused), Erin (cancellation pending), Frank (on Basic, locked after wrong passwords). Billing periods are
placed around today, because the services prorate and date against the real date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from accountdb.engine import session_scope
from accountdb.models import (
    Account,
    Device,
    DeviceSession,
    Invoice,
    Payment,
    PaymentMethod,
    Plan,
    Profile,
    Subscription,
    utcnow,
)


@dataclass(frozen=True)
class World:
    alice: int
    alice_profile: int
    alice_kids: int
    alice_tv: int
    alice_phone: int
    bob: int
    bob_profile: int
    carol: int
    carol_profile: int
    dave: int
    dave_profile: int
    erin: int
    erin_profile: int
    frank: int
    frank_profile: int


def _account(session, email: str, name: str, **extra) -> tuple[Account, Profile]:  # noqa: ANN001
    account = Account(email=email, name=name, country="US", **extra)
    session.add(account)
    session.flush()
    profile = Profile(account_id=account.id, name=name)
    session.add(profile)
    session.flush()
    return account, profile


def _subscription(session, account: Account, plan: Plan, start: date, **extra) -> Subscription:  # noqa: ANN001
    end = start + timedelta(days=30)
    subscription = Subscription(
        account_id=account.id,
        plan_id=plan.id,
        current_period_start=start,
        current_period_end=end,
        next_billing_date=extra.pop("next_billing_date", end),
        **extra,
    )
    session.add(subscription)
    session.flush()
    return subscription


def _paid_invoice(session, account, subscription, card, number, start, amount, paid_at, status="paid"):  # noqa: ANN001
    invoice = Invoice(
        account_id=account.id, subscription_id=subscription.id, number=number, amount_cents=amount,
        currency="USD", period_start=start, period_end=start + timedelta(days=30), issued_at=paid_at, status=status,
    )  # fmt: skip
    session.add(invoice)
    session.flush()
    return invoice


def build_world(engine: Engine) -> World:
    today = date.today()
    now = utcnow()
    start = today - timedelta(days=10)
    with session_scope(engine) as session:
        basic = Plan(code="basic", name="Basic", monthly_price_cents=999, currency="USD", screens=1, resolution="720p", downloads_devices=1)  # fmt: skip
        standard = Plan(code="standard", name="Standard", monthly_price_cents=1549, currency="USD", screens=2, resolution="1080p", downloads_devices=2)  # fmt: skip
        premium = Plan(code="premium", name="Premium", monthly_price_cents=2299, currency="USD", screens=4, resolution="4K", downloads_devices=6)  # fmt: skip
        session.add_all([basic, standard, premium])
        session.flush()

        alice, alice_profile = _account(session, "alice.smith@example.com", "Alice")
        kids = Profile(account_id=alice.id, name="Kids", is_kids=True, maturity_limit=5)
        session.add(kids)
        alice_sub = _subscription(session, alice, standard, start)
        alice_card = PaymentMethod(account_id=alice.id, brand="visa", last4="4242", exp_month=1, exp_year=2030, is_default=True)  # fmt: skip
        session.add(alice_card)
        session.flush()
        for months_ago in (2, 1, 0):
            issued = now - timedelta(days=10 + 30 * months_ago)
            invoice = _paid_invoice(
                session, alice, alice_sub, alice_card, f"INV-A-{months_ago}", start - timedelta(days=30 * months_ago), 1549, issued
            )  # fmt: skip
            session.add(Payment(invoice_id=invoice.id, payment_method_id=alice_card.id, amount_cents=1549, currency="USD", attempted_at=issued, status="succeeded"))  # fmt: skip
        tv = Device(account_id=alice.id, name="Living room TV", kind="tv", platform="tvOS", last_seen_at=now)
        phone = Device(
            account_id=alice.id, name="Alice's iPhone", kind="mobile", platform="iOS", last_seen_at=now
        )
        session.add_all([tv, phone])
        session.flush()
        session.add_all(
            [
                DeviceSession(device_id=tv.id, profile_id=alice_profile.id, started_at=now - timedelta(hours=1), ip_country="US"),
                DeviceSession(device_id=phone.id, profile_id=kids.id, started_at=now - timedelta(minutes=20), ip_country="FR"),
            ]
        )  # fmt: skip

        bob, bob_profile = _account(session, "bob@example.org", "Bob")
        bob_sub = _subscription(session, bob, standard, start)
        bob_card = PaymentMethod(account_id=bob.id, brand="mastercard", last4="5454", exp_month=3, exp_year=2031, is_default=True)  # fmt: skip
        session.add(bob_card)
        session.flush()
        invoice = _paid_invoice(
            session, bob, bob_sub, bob_card, "INV-B-1", start, 1549, now - timedelta(days=10)
        )
        for hours in (0, 3):
            session.add(Payment(invoice_id=invoice.id, payment_method_id=bob_card.id, amount_cents=1549, currency="USD", attempted_at=now - timedelta(days=10) + timedelta(hours=hours), status="succeeded"))  # fmt: skip
        session.add(Device(account_id=bob.id, name="Bob's TV", kind="tv", last_seen_at=now))

        carol, carol_profile = _account(session, "carol@example.net", "Carol")
        carol_sub = _subscription(session, carol, standard, start, status="past_due", next_billing_date=today + timedelta(days=3))  # fmt: skip
        carol_card = PaymentMethod(account_id=carol.id, brand="visa", last4="0002", exp_month=1, exp_year=2030, is_default=True)  # fmt: skip
        session.add(carol_card)
        session.flush()
        invoice = _paid_invoice(session, carol, carol_sub, carol_card, "INV-C-1", start, 1549, now - timedelta(days=10), status="open")  # fmt: skip
        session.add(Payment(invoice_id=invoice.id, payment_method_id=carol_card.id, amount_cents=1549, currency="USD", attempted_at=now - timedelta(days=10), status="failed", failure_reason="insufficient_funds"))  # fmt: skip

        dave, dave_profile = _account(session, "dave@example.com", "Dave")
        _subscription(session, dave, standard, start - timedelta(days=60), status="paused", paused_until=today + timedelta(days=20), next_billing_date=today + timedelta(days=20))  # fmt: skip

        erin, erin_profile = _account(session, "erin@example.com", "Erin")
        _subscription(session, erin, standard, start, cancel_at_period_end=True, next_billing_date=None)

        frank, frank_profile = _account(
            session, "frank@example.com", "Frank", status="locked", failed_login_count=6
        )
        _subscription(session, frank, basic, start)
        session.flush()
        return World(
            alice.id, alice_profile.id, kids.id, tv.id, phone.id, bob.id, bob_profile.id, carol.id, carol_profile.id,
            dave.id, dave_profile.id, erin.id, erin_profile.id, frank.id, frank_profile.id,
        )  # fmt: skip
