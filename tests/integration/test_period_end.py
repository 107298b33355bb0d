"""Period-end processing on real SQLite and PostgreSQL: what the subscription services scheduled (a
cancellation, a pause, a downgrade's credit, a retention discount) takes effect when its day comes, once,
audited as "system:period-end", and `marquee jobs period-end` drives it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from accountdb.engine import session_scope
from accountdb.models import (
    Account,
    AuditLogEntry,
    BillingAdjustment,
    Invoice,
    Plan,
    PlanPrice,
    Subscription,
)
from accountdb.services import plans, subscription
from accountdb.services.actor import Actor
from accountdb.services.period_end import ChangeKind, run_period_end
from marquee.cli import main

# Scheduled on PERIOD_START + a few days; the periods end on PERIOD_END. All in the past, so the CLI accepts them.
PERIOD_START = date(2026, 4, 30)
PERIOD_END = date(2026, 5, 30)
SCHEDULED_ON = date(2026, 5, 10)


@dataclass
class World:
    renews: int  # Premium, USD, downgraded to Standard mid-period (credit), with a retention discount
    cancels: int  # cancellation pending
    pauses: int  # a 2-month pause planned
    past_due: int  # open invoice, not renewed
    euro: int  # billed in EUR
    not_due: int  # period ends later


def _subscription_of(session, account_id: int) -> Subscription:
    return session.scalars(
        select(Subscription).where(Subscription.account_id == account_id).order_by(Subscription.id.desc())
    ).first()


@pytest.fixture
def world(migrated_engine) -> World:
    with session_scope(migrated_engine) as session:
        standard = Plan(code="standard", name="Standard", monthly_price_cents=1549, currency="USD", screens=2, resolution="1080p")  # fmt: skip
        premium = Plan(code="premium", name="Premium", monthly_price_cents=2299, currency="USD", screens=4, resolution="4K")  # fmt: skip
        session.add_all([standard, premium])
        session.flush()
        session.add_all(
            [
                PlanPrice(plan_id=standard.id, currency="EUR", monthly_price_cents=1399),
                PlanPrice(plan_id=premium.id, currency="EUR", monthly_price_cents=1999),
            ]
        )
        ids = {}
        for name, plan, status, end, currency in (
            ("renews", premium, "active", PERIOD_END, "USD"),
            ("cancels", standard, "active", PERIOD_END, "USD"),
            ("pauses", standard, "active", PERIOD_END, "USD"),
            ("past_due", standard, "past_due", PERIOD_END, "USD"),
            ("euro", standard, "active", PERIOD_END, "EUR"),
            ("not_due", standard, "active", date(2026, 6, 15), "USD"),
        ):
            account = Account(email=f"{name.replace('_', '')}@example.com", name=name, country="US")
            session.add(account)
            session.flush()
            start = date(2026, 5, 15) if name == "not_due" else PERIOD_START
            sub = Subscription(account_id=account.id, plan_id=plan.id, status=status, current_period_start=start,
                               current_period_end=end, next_billing_date=end)  # fmt: skip
            session.add(sub)
            session.flush()
            price = 1399 if currency == "EUR" else (2299 if plan is premium else 1549)
            session.add(
                Invoice(account_id=account.id, subscription_id=sub.id, number=f"INV-2026-{account.id:08d}",
                        amount_cents=price, currency=currency, period_start=start, period_end=end,
                        issued_at=datetime.combine(start, datetime.min.time(), UTC),
                        status="open" if status == "past_due" else "paid")
            )  # fmt: skip
            ids[name] = account.id
        session.add(
            BillingAdjustment(subscription_id=_subscription_of(session, ids["renews"]).id, kind="discount",
                              percent_off=25, cycles_remaining=2, reason="retention offer")
        )  # fmt: skip
    # What the subscriber asked for, through the services the assistant uses.
    with session_scope(migrated_engine) as session:
        renews = Actor.subscriber(ids["renews"], "conv-renews")
        preview = plans.preview_plan_change(session, renews, ids["renews"], "standard", today=SCHEDULED_ON)
        plans.change_plan(
            session, renews, ids["renews"], "standard", preview.confirmation_id, today=SCHEDULED_ON
        )
        subscription.cancel(session, Actor.subscriber(ids["cancels"], "conv-cancels"), ids["cancels"], "price",
                            "cancel-1", today=SCHEDULED_ON)  # fmt: skip
        subscription.pause(
            session, Actor.subscriber(ids["pauses"], "conv-pauses"), ids["pauses"], 2, "pause-1"
        )
        subscription.cancel(session, Actor.subscriber(ids["past_due"], "conv-pd"), ids["past_due"], "other",
                            "cancel-pd", today=SCHEDULED_ON)  # fmt: skip
    return World(**ids)


def _state(engine) -> dict:
    """Every row the job may touch, as plain values."""
    with session_scope(engine) as session:
        return {
            "subscriptions": [
                (
                    s.id,
                    s.status,
                    s.current_period_start,
                    s.current_period_end,
                    s.next_billing_date,
                    s.paused_until,
                    s.cancelled_at,
                    s.plan_id,
                )
                for s in session.scalars(select(Subscription).order_by(Subscription.id))
            ],  # fmt: skip
            "invoices": [
                (i.number, i.amount_cents, i.currency, i.period_start, i.period_end, i.status)
                for i in session.scalars(select(Invoice).order_by(Invoice.id))
            ],
            "adjustments": [
                (a.id, a.amount_cents, a.cycles_remaining, a.consumed_at is not None)
                for a in session.scalars(select(BillingAdjustment).order_by(BillingAdjustment.id))
            ],
            "audit": session.scalar(select(AuditLogEntry.id).order_by(AuditLogEntry.id.desc()).limit(1)),
        }


def test_each_scheduled_change_takes_effect_when_its_period_ends(migrated_engine, world):
    day_before = run_period_end(migrated_engine, PERIOD_END.replace(day=29))
    assert day_before.subscriptions_due == 0 and day_before.changes == []

    report = run_period_end(migrated_engine, PERIOD_END)
    kinds = {change.account_id: change.kind for change in report.changes}
    assert kinds == {
        world.renews: ChangeKind.RENEWED,
        world.cancels: ChangeKind.CANCELLED,
        world.pauses: ChangeKind.PAUSE_STARTED,
        world.past_due: ChangeKind.CANCELLED,
        world.euro: ChangeKind.RENEWED,
    }
    assert report.failures == []
    with session_scope(migrated_engine) as session:
        renewed = _subscription_of(session, world.renews)
        # The billing day (30th) is kept; the downgrade made mid-period is the plan billed now.
        assert (renewed.status, renewed.current_period_start, renewed.current_period_end) == (
            "active", PERIOD_END, date(2026, 6, 30))  # fmt: skip
        assert renewed.next_billing_date == date(2026, 6, 30) and renewed.plan.code == "standard"
        invoice = session.scalar(
            select(Invoice).where(Invoice.account_id == world.renews, Invoice.period_start == PERIOD_END)
        )
        credit = session.scalar(
            select(BillingAdjustment).where(
                BillingAdjustment.subscription_id == renewed.id, BillingAdjustment.kind == "credit"
            )
        )
        # 15.49 less 25% (3.88, rounded up for the subscriber) = 11.61, all of it paid by the downgrade's
        # credit (7.50 * 20 / 30 = 5.00 of 2299 - 1549 over 20 of 30 days), so 6.61 is left to collect.
        proration_credit = (2299 - 1549) * 20 // 30
        assert (invoice.amount_cents, invoice.currency, invoice.status, invoice.period_end) == (
            1549 - 388 - proration_credit, "USD", "open", date(2026, 6, 30))  # fmt: skip
        assert credit.consumed_at is not None
        discount = session.scalar(
            select(BillingAdjustment).where(
                BillingAdjustment.subscription_id == renewed.id, BillingAdjustment.kind == "discount"
            )
        )
        assert discount.cycles_remaining == 1 and discount.consumed_at is None

        cancelled = _subscription_of(session, world.cancels)
        assert cancelled.status == "cancelled" and cancelled.next_billing_date is None
        assert cancelled.cancelled_at == datetime(2026, 5, 30, tzinfo=UTC)
        assert session.scalar(select(Invoice).where(Invoice.account_id == world.cancels,
                                                    Invoice.period_start == PERIOD_END)) is None  # fmt: skip
        assert _subscription_of(session, world.past_due).status == "cancelled"

        paused = _subscription_of(session, world.pauses)
        assert (paused.status, paused.paused_until, paused.next_billing_date) == (
            "paused", date(2026, 7, 30), date(2026, 7, 30))  # fmt: skip

        euro = session.scalar(
            select(Invoice).where(Invoice.account_id == world.euro, Invoice.period_start == PERIOD_END)
        )
        assert (euro.amount_cents, euro.currency) == (1399, "EUR")
        assert _subscription_of(session, world.not_due).current_period_end == date(2026, 6, 15)

        entries = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.actor == "system:period-end").order_by(AuditLogEntry.id)
        ).all()
        assert sorted(entry.action for entry in entries) == sorted(
            ["subscription.renewed", "subscription.renewed", "subscription.ended", "subscription.ended",
             "subscription.pause_started"]
        )  # fmt: skip
        assert {entry.conversation_id for entry in entries} == {"period-end:2026-05-30"}


def test_a_second_run_for_the_same_day_changes_nothing(migrated_engine, world):
    first = run_period_end(migrated_engine, PERIOD_END)
    assert len(first.changes) == 5
    after_first = _state(migrated_engine)
    second = run_period_end(migrated_engine, PERIOD_END)
    assert second.subscriptions_due == 0 and second.changes == [] and second.failures == []
    assert _state(migrated_engine) == after_first


def test_a_pause_ends_on_its_day_with_a_new_billed_period(migrated_engine, world):
    run_period_end(migrated_engine, PERIOD_END)
    day_before = run_period_end(migrated_engine, date(2026, 7, 29))
    assert world.pauses not in {change.account_id for change in day_before.changes}
    report = run_period_end(migrated_engine, date(2026, 7, 30))
    ended = [change for change in report.changes if change.account_id == world.pauses]
    assert [change.kind for change in ended] == [ChangeKind.PAUSE_ENDED]
    with session_scope(migrated_engine) as session:
        resumed = _subscription_of(session, world.pauses)
        assert (resumed.status, resumed.paused_until) == ("active", None)
        assert (resumed.current_period_start, resumed.current_period_end) == (
            date(2026, 7, 30),
            date(2026, 8, 30),
        )
        invoice = session.scalar(
            select(Invoice).where(
                Invoice.account_id == world.pauses, Invoice.period_start == date(2026, 7, 30)
            )
        )
        assert (invoice.amount_cents, invoice.status) == (1549, "open")
        # Nothing was billed while it was paused.
        assert (
            session.scalar(
                select(Invoice).where(Invoice.account_id == world.pauses, Invoice.period_start == PERIOD_END)
            )
            is None
        )


def test_a_late_run_catches_up_period_by_period(migrated_engine, world):
    report = run_period_end(migrated_engine, date(2026, 8, 31))
    euro = [change for change in report.changes if change.account_id == world.euro]
    assert [(c.kind, c.effective, c.period_end) for c in euro] == [
        (ChangeKind.RENEWED, date(2026, 5, 30), date(2026, 6, 30)),
        (ChangeKind.RENEWED, date(2026, 6, 30), date(2026, 7, 30)),
        (ChangeKind.RENEWED, date(2026, 7, 30), date(2026, 8, 30)),
        (ChangeKind.RENEWED, date(2026, 8, 30), date(2026, 9, 30)),
    ]
    assert len({c.invoice_number for c in euro}) == 4
    paused = [c.kind for c in report.changes if c.account_id == world.pauses]
    # The pause started and ended inside the missed days; billing restarted on the promised day.
    assert paused == [ChangeKind.PAUSE_STARTED, ChangeKind.PAUSE_ENDED, ChangeKind.RENEWED]
    with session_scope(migrated_engine) as session:
        discount = session.scalar(select(BillingAdjustment).where(BillingAdjustment.kind == "discount"))
        # Two discounted cycles, then used up; the later invoices are at the full price.
        assert discount.cycles_remaining == 0 and discount.consumed_at is not None
        amounts = session.scalars(
            select(Invoice.amount_cents)
            .where(Invoice.account_id == world.renews, Invoice.period_start > PERIOD_START)
            .order_by(Invoice.period_start)
        ).all()
        assert amounts[1:] == [1549 - 388, 1549, 1549]


def test_dry_run_reports_the_same_changes_and_changes_nothing(migrated_engine, world):
    before = _state(migrated_engine)
    dry = run_period_end(migrated_engine, PERIOD_END, dry_run=True)
    assert _state(migrated_engine) == before
    real = run_period_end(migrated_engine, PERIOD_END)
    assert dry.changes == real.changes


def test_the_command_applies_logs_each_change_and_summarises(migrated_engine, world, db_url, capsys, caplog):
    caplog.set_level("INFO", logger="accountdb.services.period_end")
    args = ["jobs", "period-end", "--as-of", PERIOD_END.isoformat(), "--database-url", db_url]
    assert main([*args, "--dry-run"]) == 0
    assert "5 change(s) would be applied" in capsys.readouterr().out
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "5 subscription(s) due, 5 change(s) applied" in out
    assert "2 cancellation(s) took effect, 1 pause(s) started, 0 pause(s) ended, 2 renewal(s)" in out
    logged = [r.getMessage() for r in caplog.records if r.name == "accountdb.services.period_end"]
    assert sum(message.startswith("[dry run] ") for message in logged) == 5
    real = [message for message in logged if not message.startswith("[dry run] ")]
    assert len(real) == 5 and sum("invoice INV-2026-R" in message for message in real) == 2
    assert main(args) == 0
    assert "0 subscription(s) due, 0 change(s) applied" in capsys.readouterr().out


def test_the_command_refuses_bad_input(sqlite_url, capsys):
    assert main(["jobs", "period-end", "--as-of", "2999-01-01", "--database-url", sqlite_url]) == 1
    assert "is after today" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["jobs", "period-end", "--as-of", "30/05/2026"])
    assert "is not a date; use YYYY-MM-DD" in capsys.readouterr().err
    # An empty (never migrated) database.
    assert main(["jobs", "period-end", "--database-url", sqlite_url]) == 1
    assert "Run `marquee migrate` first" in capsys.readouterr().err


def test_two_runs_at_once_apply_each_change_once(migrated_engine, world):
    reports = []
    runs = [
        threading.Thread(target=lambda: reports.append(run_period_end(migrated_engine, PERIOD_END)))
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    assert len(reports) == 2 and all(report.failures == [] for report in reports)
    # Whichever run got to a subscription first applied it; the other found nothing left to do.
    assert sum(len(report.changes) for report in reports) == 5
    with session_scope(migrated_engine) as session:
        renewals = session.scalars(select(Invoice.number).where(Invoice.period_start == PERIOD_END)).all()
        assert len(renewals) == len(set(renewals)) == 2
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditLogEntry)
                .where(AuditLogEntry.actor == "system:period-end")
            )
            == 5
        )
