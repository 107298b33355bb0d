"""Cancel (with a retention offer that fits the reason), pause, resume, and undo a pending cancellation.

Cancellation takes effect at the end of the paid period (`cancel_at_period_end`); until then the
subscription keeps working and the cancellation can be undone. A pause also starts at the end of the paid
period: the subscriber keeps what they paid for, `paused_until` is set and billing restarts on that date;
the period-end job (`period_end`, `marquee jobs period-end`) moves the status to "paused" when the period
ends, and ends the cancellation and the pause on their days. Resuming a running pause starts a
new period today.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from accountdb.models import (
    AdjustmentKind,
    AuditLogEntry,
    BillingAdjustment,
    Plan,
    Subscription,
    SubscriptionStatus,
    utcnow,
)
from accountdb.services import audit
from accountdb.services.actor import Actor
from accountdb.services.errors import Conflict, InvalidRequest
from accountdb.services.idempotency import apply_once
from accountdb.services.pricing import billing_currency, plan_price
from accountdb.services.records import account_for, require_live_subscription
from accountdb.services.redaction import redact

logger = logging.getLogger(__name__)

MAX_NOTE_CHARS = 500
MAX_PAUSE_MONTHS = 3
RETENTION_DISCOUNT_PERCENT = 25
RETENTION_DISCOUNT_CYCLES = 3
# One retention discount per year and one pause per half-year, so the offers stay offers.
DISCOUNT_COOLDOWN = timedelta(days=365)
PAUSE_COOLDOWN = timedelta(days=180)


class CancellationReason(StrEnum):
    PRICE = "price"  # too expensive
    NOT_WATCHING = "not_watching"  # no time, not using it
    TEMPORARY = "temporary"  # travelling, moving, a break
    TECHNICAL = "technical"  # playback or app problems
    CONTENT = "content"  # nothing left to watch
    OTHER = "other"


class OfferKind(StrEnum):
    DOWNGRADE = "downgrade"
    DISCOUNT = "discount"
    PAUSE = "pause"
    SUPPORT = "support"
    NONE = "none"


@dataclass(frozen=True)
class RetentionOffer:
    reason: str
    kind: str
    message: str
    plan_code: str | None = None  # downgrade target
    plan_price_cents: int | None = None
    currency: str | None = None
    discount_percent: int | None = None
    discount_cycles: int | None = None
    pause_months: int | None = None


@dataclass(frozen=True)
class CancellationResult:
    subscription_id: int
    reason: str
    ends_on: date
    ended_now: bool  # nothing paid was left (e.g. a paused subscription), so it ended at once


@dataclass(frozen=True)
class SubscriptionState:
    subscription_id: int
    status: str
    cancel_at_period_end: bool
    current_period_end: date
    next_billing_date: date | None
    paused_until: date | None


@dataclass(frozen=True)
class DiscountResult:
    subscription_id: int
    percent_off: int
    cycles: int


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_reason(reason: str) -> CancellationReason:
    try:
        return CancellationReason((reason or "").strip().lower())
    except ValueError:
        known = ", ".join(r.value for r in CancellationReason)
        raise InvalidRequest(f"unknown cancellation reason {reason!r}; use one of: {known}") from None


def _state(subscription: Subscription) -> SubscriptionState:
    return SubscriptionState(
        subscription_id=subscription.id,
        status=subscription.status,
        cancel_at_period_end=subscription.cancel_at_period_end,
        current_period_end=subscription.current_period_end,
        next_billing_date=subscription.next_billing_date,
        paused_until=subscription.paused_until,
    )


def _recently(session: Session, subscription: Subscription, action: str, since: datetime) -> bool:
    return (
        session.scalar(
            select(AuditLogEntry.id)
            .where(
                AuditLogEntry.entity_type == "subscription",
                AuditLogEntry.entity_id == str(subscription.id),
                AuditLogEntry.action == action,
                AuditLogEntry.at >= since,
            )
            .limit(1)
        )
        is not None
    )


def _had_discount(session: Session, subscription: Subscription, since: datetime) -> bool:
    return (
        session.scalar(
            select(BillingAdjustment.id)
            .where(
                BillingAdjustment.subscription_id == subscription.id,
                BillingAdjustment.kind == AdjustmentKind.DISCOUNT,
                BillingAdjustment.created_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def _offer(
    session: Session, account_id: int, subscription: Subscription, reason: CancellationReason, now: datetime
) -> RetentionOffer:
    current = subscription.plan
    currency = billing_currency(session, account_id, current)
    current_price = plan_price(session, current, currency)
    cheaper = [
        (price, plan)
        for plan in session.scalars(select(Plan).where(Plan.active.is_(True), Plan.id != current.id))
        if (price := plan_price(session, plan, currency)).currency == current_price.currency
        and price.amount_cents < current_price.amount_cents
    ]
    # One step down keeps most of what they have: the dearest of the cheaper plans.
    step_down = max(cheaper, key=lambda pair: pair[0].amount_cents, default=None)
    may_pause = not _recently(session, subscription, "subscription.pause", now - PAUSE_COOLDOWN)
    may_discount = not _had_discount(session, subscription, now - DISCOUNT_COOLDOWN)

    def downgrade() -> RetentionOffer:
        price, plan = step_down
        return RetentionOffer(
            reason, OfferKind.DOWNGRADE, f"switch to {plan.name} for a lower monthly price instead of leaving",
            plan_code=plan.code, plan_price_cents=price.amount_cents, currency=price.currency,
        )  # fmt: skip

    def pause(months: int) -> RetentionOffer:
        return RetentionOffer(
            reason, OfferKind.PAUSE, f"pause for up to {months} month(s) at no charge instead of leaving",
            pause_months=months,
        )  # fmt: skip

    if reason == CancellationReason.PRICE:
        if step_down:
            return downgrade()
        if may_discount:
            return RetentionOffer(
                reason, OfferKind.DISCOUNT,
                f"{RETENTION_DISCOUNT_PERCENT}% off the next {RETENTION_DISCOUNT_CYCLES} monthly charges",
                discount_percent=RETENTION_DISCOUNT_PERCENT, discount_cycles=RETENTION_DISCOUNT_CYCLES,
            )  # fmt: skip
        if may_pause:
            return pause(1)
    elif reason == CancellationReason.NOT_WATCHING:
        if may_pause:
            return pause(1)
        if step_down:
            return downgrade()
    elif reason == CancellationReason.TEMPORARY:
        if may_pause:
            return pause(MAX_PAUSE_MONTHS)
    elif reason == CancellationReason.TECHNICAL:
        return RetentionOffer(reason, OfferKind.SUPPORT, "let a support specialist fix the problem first")
    elif reason == CancellationReason.CONTENT and step_down:
        return downgrade()
    return RetentionOffer(reason, OfferKind.NONE, "no offer; confirm the cancellation")


def retention_offer(
    session: Session, actor: Actor, account_id: int, reason: str, now: datetime | None = None
) -> RetentionOffer:
    """The offer to make before cancelling, chosen from the reason and the account's history."""
    parsed = parse_reason(reason)
    account_for(session, actor, account_id)
    subscription = require_live_subscription(session, account_id)
    return _offer(session, account_id, subscription, parsed, now or utcnow())


def accept_retention_discount(
    session: Session, actor: Actor, account_id: int, confirmation_id: str, now: datetime | None = None
) -> DiscountResult:
    """Apply the price-reason discount offer (only when it is what `retention_offer` offers now)."""
    account_for(session, actor, account_id)
    now = now or utcnow()

    def apply() -> DiscountResult:
        subscription = require_live_subscription(session, account_id, for_update=True)
        offer = _offer(session, account_id, subscription, CancellationReason.PRICE, now)
        if (
            offer.kind != OfferKind.DISCOUNT
            or offer.discount_percent is None
            or offer.discount_cycles is None
        ):
            raise Conflict(
                "no discount is on offer for this subscription; make the offer retention_offer returns"
            )
        session.add(
            BillingAdjustment(
                subscription_id=subscription.id,
                kind=AdjustmentKind.DISCOUNT,
                percent_off=offer.discount_percent,
                cycles_remaining=offer.discount_cycles,
                reason="retention offer",
                created_at=now,
            )
        )
        audit.record(
            session, actor, "subscription.retention_discount", "subscription", subscription.id,
            {"percent_off": offer.discount_percent, "cycles": offer.discount_cycles},
        )  # fmt: skip
        logger.info("retention discount applied to subscription %s", subscription.id)
        return DiscountResult(subscription.id, offer.discount_percent, offer.discount_cycles)

    return apply_once(
        session, actor, "subscription.retention_discount", account_id, confirmation_id,
        {"account_id": account_id}, DiscountResult, apply,
    )  # fmt: skip


def cancel(
    session: Session,
    actor: Actor,
    account_id: int,
    reason: str,
    confirmation_id: str,
    note: str = "",
    today: date | None = None,
) -> CancellationResult:
    """Cancel at the end of the paid period, recording the reason (and the subscriber's words, redacted)."""
    parsed = parse_reason(reason)
    account_for(session, actor, account_id)
    today = today or date.today()
    clean_note = redact(note.strip())[:MAX_NOTE_CHARS]

    def apply() -> CancellationResult:
        subscription = require_live_subscription(session, account_id, for_update=True)
        if subscription.cancel_at_period_end:
            raise Conflict(
                f"the subscription already ends on {subscription.current_period_end.isoformat()}; "
                "nothing more to cancel (it can be undone instead)"
            )
        ended_now = (
            subscription.current_period_end <= today or subscription.status == SubscriptionStatus.PAUSED
        )
        if ended_now:
            subscription.status = SubscriptionStatus.CANCELLED
            subscription.cancelled_at = utcnow()
            ends_on = today
        else:
            subscription.cancel_at_period_end = True
            ends_on = subscription.current_period_end
        subscription.next_billing_date = None
        subscription.paused_until = None
        action = "subscription.cancel" if ended_now else "subscription.cancel_at_period_end"
        audit.record(
            session, actor, action, "subscription", subscription.id,
            {"effective": ends_on.isoformat(), "reason": parsed.value, "note": clean_note},
        )  # fmt: skip
        logger.info("subscription %s cancelled (%s), ends %s", subscription.id, parsed.value, ends_on)
        return CancellationResult(subscription.id, parsed.value, ends_on, ended_now)

    return apply_once(
        session, actor, "subscription.cancel", account_id, confirmation_id,
        {"account_id": account_id, "reason": parsed.value, "note": clean_note}, CancellationResult, apply,
    )  # fmt: skip


def undo_cancellation(
    session: Session, actor: Actor, account_id: int, confirmation_id: str
) -> SubscriptionState:
    account_for(session, actor, account_id)

    def apply() -> SubscriptionState:
        subscription = require_live_subscription(session, account_id, for_update=True)
        if not subscription.cancel_at_period_end:
            raise Conflict("no cancellation is pending on this subscription; nothing to undo")
        subscription.cancel_at_period_end = False
        subscription.next_billing_date = subscription.current_period_end
        audit.record(session, actor, "subscription.undo_cancel", "subscription", subscription.id, {})
        logger.info("pending cancellation of subscription %s undone", subscription.id)
        return _state(subscription)

    return apply_once(
        session, actor, "subscription.undo_cancel", account_id, confirmation_id, {"account_id": account_id},
        SubscriptionState, apply,
    )  # fmt: skip


def pause(
    session: Session, actor: Actor, account_id: int, months: int, confirmation_id: str
) -> SubscriptionState:
    """Pause from the end of the paid period for `months` (1 to MAX_PAUSE_MONTHS)."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_PAUSE_MONTHS:
        raise InvalidRequest(f"a pause lasts 1 to {MAX_PAUSE_MONTHS} months; choose a number in that range")
    account_for(session, actor, account_id)

    def apply() -> SubscriptionState:
        subscription = require_live_subscription(session, account_id, for_update=True)
        if subscription.paused_until is not None:
            raise Conflict(
                f"a pause until {subscription.paused_until.isoformat()} is already planned; resume first"
            )
        if subscription.status != SubscriptionStatus.ACTIVE:
            raise Conflict(f"a {subscription.status.replace('_', ' ')} subscription cannot be paused")
        if subscription.cancel_at_period_end:
            raise Conflict("the subscription is set to end; undo the cancellation first, then pause")
        subscription.paused_until = add_months(subscription.current_period_end, months)
        subscription.next_billing_date = subscription.paused_until
        audit.record(
            session, actor, "subscription.pause", "subscription", subscription.id,
            {"from": subscription.current_period_end.isoformat(), "until": subscription.paused_until.isoformat()},
        )  # fmt: skip
        logger.info("subscription %s paused until %s", subscription.id, subscription.paused_until)
        return _state(subscription)

    return apply_once(
        session, actor, "subscription.pause", account_id, confirmation_id, {"account_id": account_id, "months": months},
        SubscriptionState, apply,
    )  # fmt: skip


def resume(
    session: Session, actor: Actor, account_id: int, confirmation_id: str, today: date | None = None
) -> SubscriptionState:
    """End a running pause (a new period starts today and is billed today) or drop a planned one."""
    account_for(session, actor, account_id)
    today = today or date.today()

    def apply() -> SubscriptionState:
        subscription = require_live_subscription(session, account_id, for_update=True)
        if subscription.status == SubscriptionStatus.PAUSED:
            subscription.status = SubscriptionStatus.ACTIVE
            subscription.current_period_start = today
            subscription.current_period_end = add_months(today, 1)
            subscription.next_billing_date = today
        elif subscription.paused_until is not None:
            subscription.next_billing_date = subscription.current_period_end
        else:
            raise Conflict("the subscription is not paused and no pause is planned; nothing to resume")
        subscription.paused_until = None
        audit.record(
            session, actor, "subscription.resume", "subscription", subscription.id, {"on": today.isoformat()}
        )
        logger.info("subscription %s resumed", subscription.id)
        return _state(subscription)

    return apply_once(
        session, actor, "subscription.resume", account_id, confirmation_id, {"account_id": account_id},
        SubscriptionState, apply,
    )  # fmt: skip
