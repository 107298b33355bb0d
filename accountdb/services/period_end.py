"""Period-end processing: apply what falls due when a billing period ends, as of a given day.

The other services only schedule: a cancellation sets `cancel_at_period_end`, a pause sets `paused_until`
from the end of the paid period, and a period's invoice is issued when the period starts (billing is
prepaid: the demo world and `plans.change_plan` both bill a period at its start). This job applies them
when their date has come, one subscription at a time, each in its own transaction:

- a pending cancellation ends the subscription at the period end (status "cancelled", no further charge);
- a planned pause starts at the period end (status "paused"; nothing is billed while it lasts);
- a pause whose `paused_until` has come ends: a new period starts that day and its invoice is issued;
- any other active subscription whose period ended renews: the next period starts where the last one ended
  and its invoice is issued at the plan's price in the account's currency, less the pending retention
  discount and credits (`adjustments`), which this consumes.

Plan changes take effect at once (`plans.change_plan`); what reaches the period end is the downgrade's
credit, which the renewal invoice consumes. A past-due subscription is not renewed: its open invoice is
the payment collector's (dunning is not part of this repository); only a pending cancellation applies to it.

Idempotent: every step moves the subscription's dates past what made it due, so a second run for the same
day finds nothing to do, and renewal invoice numbers are derived from the subscription and the period, so
even a run racing another cannot bill one period twice (the UNIQUE number stops it). A run that missed
days catches up: each period that ended by `as_of` is applied in order, each with its own invoice.
Everything is audited with actor "system:period-end".
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accountdb.engine import make_sessionmaker
from accountdb.models import (
    AdjustmentKind,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
    utcnow,
)
from accountdb.services import audit
from accountdb.services.actor import Actor
from accountdb.services.adjustments import active_discount, next_invoice_breakdown, pending_adjustments
from accountdb.services.pricing import billing_currency, plan_price
from accountdb.services.subscription import add_months

logger = logging.getLogger(__name__)

JOB_NAME = "period-end"


class ChangeKind(StrEnum):
    CANCELLED = "cancelled"  # a pending cancellation took effect
    PAUSE_STARTED = "pause_started"
    PAUSE_ENDED = "pause_ended"  # a new period started, billed
    RENEWED = "renewed"  # the next period started, billed


@dataclass(frozen=True)
class PeriodEndChange:
    subscription_id: int
    account_id: int
    kind: str
    effective: date
    invoice_number: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    period_end: date | None = None  # of the period that started, for renewals and ended pauses

    def describe(self) -> str:
        """One log line: what happened to which subscription, when, and what it cost."""
        what = (
            f"subscription {self.subscription_id} (account {self.account_id}): {self.kind.replace('_', ' ')}"
        )
        what += f" on {self.effective.isoformat()}"
        if self.invoice_number is not None:
            what += (
                f", period to {self.period_end}, invoice {self.invoice_number} for {self.amount_cents} "
                f"{self.currency} (minor units)"
            )
        return what


@dataclass
class PeriodEndReport:
    as_of: date
    dry_run: bool
    subscriptions_due: int = 0
    changes: list[PeriodEndChange] = field(default_factory=list)
    # (subscription id, what went wrong); the subscription is left as it was.
    failures: list[tuple[int, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {kind.value: sum(1 for c in self.changes if c.kind == kind) for kind in ChangeKind}


def job_actor(as_of: date) -> Actor:
    # The run's day stands in for the conversation id, so the audit log groups one day's changes.
    return Actor.system(JOB_NAME, f"{JOB_NAME}:{as_of.isoformat()}")


def due_subscription_ids(session: Session, as_of: date) -> list[int]:
    """Subscriptions with something to apply on or before `as_of`, in id order."""
    period_over = Subscription.current_period_end <= as_of
    query = (
        select(Subscription.id)
        .where(
            or_(
                and_(Subscription.status == SubscriptionStatus.ACTIVE, period_over),
                and_(Subscription.status == SubscriptionStatus.PAST_DUE, period_over,
                     Subscription.cancel_at_period_end.is_(True)),
                and_(Subscription.status == SubscriptionStatus.PAUSED, Subscription.paused_until <= as_of),
            )
        )
        .order_by(Subscription.id)
    )  # fmt: skip
    return list(session.scalars(query))


def next_period_end(start: date, end: date) -> date:
    """The end of the period after [start, end), keeping the billing day of month.

    Periods are one calendar month. When the billing day does not exist in a month it is clamped (31 Jan ->
    28 Feb), and the next period goes back to it (-> 31 Mar): the day is the larger of the two ends' days,
    because two consecutive months are never both too short for it.
    """
    billing_day = max(start.day, end.day)
    following = add_months(date(end.year, end.month, 1), 1)
    return following.replace(day=min(billing_day, calendar.monthrange(following.year, following.month)[1]))


def renewal_invoice_number(subscription_id: int, period_start: date) -> str:
    """One number per subscription and period, so a period can be billed only once."""
    return f"INV-{period_start.year}-R{subscription_id}-{period_start:%m%d}"


def apply_due(session: Session, actor: Actor, subscription_id: int, as_of: date) -> list[PeriodEndChange]:
    """Apply everything due on or before `as_of` to one subscription (locked); the caller commits."""
    subscription = session.scalar(
        select(Subscription).where(Subscription.id == subscription_id).with_for_update()
    )
    if subscription is None:
        return []
    changes: list[PeriodEndChange] = []
    # Each step moves the dates forward or ends the subscription, so the loop ends.
    while True:
        if subscription.status == SubscriptionStatus.PAUSED:
            if subscription.paused_until is None or subscription.paused_until > as_of:
                break
            changes.append(_end_pause(session, actor, subscription))
            continue
        if subscription.status == SubscriptionStatus.CANCELLED or subscription.current_period_end > as_of:
            break
        if subscription.cancel_at_period_end:
            changes.append(_end_subscription(session, actor, subscription))
            break
        if subscription.status == SubscriptionStatus.PAST_DUE:
            break  # the open invoice is the payment collector's; nothing renews until it is settled
        if subscription.paused_until is not None:
            changes.append(_start_pause(session, actor, subscription))
            continue
        changes.append(_renew(session, actor, subscription))
    session.flush()
    return changes


def _end_subscription(session: Session, actor: Actor, subscription: Subscription) -> PeriodEndChange:
    ends_on = subscription.current_period_end
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.cancelled_at = datetime.combine(ends_on, time(), UTC)
    subscription.next_billing_date = None
    subscription.paused_until = None
    audit.record(
        session, actor, "subscription.ended", "subscription", subscription.id,
        {"effective": ends_on.isoformat(), "reason": "cancellation at period end"},
    )  # fmt: skip
    return PeriodEndChange(subscription.id, subscription.account_id, ChangeKind.CANCELLED, ends_on)


def _start_pause(session: Session, actor: Actor, subscription: Subscription) -> PeriodEndChange:
    starts_on, until = subscription.current_period_end, subscription.paused_until
    assert until is not None
    subscription.status = SubscriptionStatus.PAUSED
    subscription.next_billing_date = until
    audit.record(
        session, actor, "subscription.pause_started", "subscription", subscription.id,
        {"from": starts_on.isoformat(), "until": until.isoformat()},
    )  # fmt: skip
    return PeriodEndChange(subscription.id, subscription.account_id, ChangeKind.PAUSE_STARTED, starts_on)


def _end_pause(session: Session, actor: Actor, subscription: Subscription) -> PeriodEndChange:
    # Billing restarts on the day promised when the pause was set, even if this run comes later.
    start = subscription.paused_until
    assert start is not None
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.paused_until = None
    return _start_period(
        session, actor, subscription, start, add_months(start, 1), ChangeKind.PAUSE_ENDED,
        "subscription.pause_ended",
    )  # fmt: skip


def _renew(session: Session, actor: Actor, subscription: Subscription) -> PeriodEndChange:
    start = subscription.current_period_end
    end = next_period_end(subscription.current_period_start, start)
    return _start_period(session, actor, subscription, start, end, ChangeKind.RENEWED, "subscription.renewed")


def _start_period(
    session: Session,
    actor: Actor,
    subscription: Subscription,
    start: date,
    end: date,
    kind: ChangeKind,
    action: str,
) -> PeriodEndChange:
    subscription.current_period_start = start
    subscription.current_period_end = end
    subscription.next_billing_date = end
    invoice = _issue_invoice(session, subscription, start, end)
    audit.record(
        session, actor, action, "subscription", subscription.id,
        {"period_start": start.isoformat(), "period_end": end.isoformat(), "invoice": invoice.number,
         "amount_cents": invoice.amount_cents, "currency": invoice.currency},
    )  # fmt: skip
    return PeriodEndChange(
        subscription.id, subscription.account_id, kind, start, invoice.number, invoice.amount_cents,
        invoice.currency, end,
    )  # fmt: skip


def _issue_invoice(session: Session, subscription: Subscription, start: date, end: date) -> Invoice:
    """The period's invoice at the plan's price, less the discount and credits, which it uses up."""
    plan = subscription.plan
    price = plan_price(session, plan, billing_currency(session, subscription.account_id, plan))
    breakdown = next_invoice_breakdown(session, subscription.id, price.amount_cents, price.currency)
    _consume_adjustments(session, subscription.id, price.currency, breakdown.credit_applied_cents)
    invoice = Invoice(
        account_id=subscription.account_id,
        subscription_id=subscription.id,
        number=renewal_invoice_number(subscription.id, start),
        amount_cents=breakdown.amount_cents,
        currency=price.currency,
        period_start=start,
        period_end=end,
        issued_at=datetime.combine(start, time(), UTC),
        # Nothing to collect when credits cover it all; otherwise the payment collector charges it.
        status=InvoiceStatus.PAID if breakdown.amount_cents == 0 else InvoiceStatus.OPEN,
    )
    session.add(invoice)
    # Flushed now: the next period's invoice (a catch-up) reads this one's currency and the adjustments.
    session.flush()
    return invoice


def _consume_adjustments(session: Session, subscription_id: int, currency: str, credit_used: int) -> None:
    now = utcnow()
    adjustments = pending_adjustments(session, subscription_id)
    discount = active_discount(adjustments)
    if discount is not None:
        discount.cycles_remaining -= 1
        if discount.cycles_remaining == 0:
            discount.consumed_at = now
    for credit in adjustments:
        if credit_used == 0:
            break
        if credit.kind != AdjustmentKind.CREDIT or credit.currency != currency or not credit.amount_cents:
            continue
        used = min(credit.amount_cents, credit_used)
        credit_used -= used
        if used == credit.amount_cents:
            credit.consumed_at = now  # the amount stays as the record of what the credit was
        else:
            credit.amount_cents -= used  # the rest waits for the next invoice


def run_period_end(
    engine: Engine,
    as_of: date,
    *,
    dry_run: bool = False,
    on_progress: Callable[[int, list[PeriodEndChange]], None] | None = None,
    on_due: Callable[[int], None] | None = None,
) -> PeriodEndReport:
    """Apply everything due as of `as_of`, one transaction per subscription.

    A subscription that fails (e.g. a database error) is rolled back, reported in `failures` and skipped;
    the others go on. `dry_run` runs the same steps and rolls every transaction back, so it shows exactly
    what a real run would do. `on_due(n)` is told how many subscriptions are due before the work starts,
    `on_progress(subscription_id, changes)` after each one.
    """
    report = PeriodEndReport(as_of=as_of, dry_run=dry_run)
    actor = job_actor(as_of)
    # SQLite: take the write lock when the transaction starts, so a concurrent writer waits instead of failing.
    sessions = make_sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"))
    with make_sessionmaker(engine)() as session:
        due = due_subscription_ids(session, as_of)
    report.subscriptions_due = len(due)
    if on_due is not None:
        on_due(len(due))
    for subscription_id in due:
        changes: list[PeriodEndChange] = []
        with sessions() as session:
            try:
                changes = apply_due(session, actor, subscription_id, as_of)
                if dry_run:
                    session.rollback()
                else:
                    session.commit()
            except SQLAlchemyError as exc:
                session.rollback()
                problem = " ".join(str(getattr(exc, "orig", None) or exc).split())
                logger.error("subscription %s: period-end processing failed, left unchanged: %s",
                             subscription_id, problem)  # fmt: skip
                report.failures.append((subscription_id, problem))
        for change in changes:
            logger.info("%s%s", "[dry run] " if dry_run else "", change.describe())
        report.changes.extend(changes)
        if on_progress is not None:
            on_progress(subscription_id, changes)
    return report
