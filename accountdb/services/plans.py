"""Plans from the database, and changing plan with a proration preview the subscriber confirms.

Proration: a change takes effect today. For the days left in the current period the subscriber pays the
difference between the two plans' prices, pro rata:

    proration = (new price - old price) * remaining days / days in the period

computed in integer minor units (cents) and rounded down (floor). Rounding down favours the subscriber both
ways: an upgrade's charge is never rounded up, a downgrade's credit (a negative amount) is never rounded
towards zero. An upgrade's charge is billed now as its own invoice; a downgrade's credit comes off the next
invoices. The next regular charge is the new plan's full price on the usual date.

Applying needs the preview's confirmation id: it digests everything the preview promised, so if the
subscription changed in between (or the day did), the id no longer matches and a new preview is needed.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accountdb.models import (
    AdjustmentKind,
    BillingAdjustment,
    Invoice,
    InvoiceStatus,
    Plan,
    ServiceRequest,
    Subscription,
    SubscriptionStatus,
)
from accountdb.services import audit
from accountdb.services.actor import Actor
from accountdb.services.errors import Conflict, InvalidRequest, NotFound, PreviewOutdated
from accountdb.services.idempotency import apply_once
from accountdb.services.pricing import billing_currency, plan_price
from accountdb.services.records import account_for, live_subscription, require_live_subscription

logger = logging.getLogger(__name__)

CHANGE_PLAN_ACTION = "subscription.change_plan"


@dataclass(frozen=True)
class PlanOption:
    code: str
    name: str
    monthly_price_cents: int
    currency: str
    screens: int
    resolution: str
    downloads_devices: int
    current: bool


@dataclass(frozen=True)
class Proration:
    period_days: int
    remaining_days: int
    amount_cents: int  # > 0 charged now, < 0 credited to the next invoices


@dataclass(frozen=True)
class PlanChangePreview:
    from_plan: str
    to_plan: str
    currency: str
    old_price_cents: int
    new_price_cents: int
    effective_date: date
    period_start: date
    period_end: date
    period_days: int
    remaining_days: int
    proration_cents: int
    next_charge_date: date
    next_charge_cents: int
    confirmation_id: str


@dataclass(frozen=True)
class PlanChangeResult:
    subscription_id: int
    from_plan: str
    to_plan: str
    effective_date: date
    currency: str
    proration_cents: int
    invoice_number: str | None  # the upgrade's proration invoice
    credit_cents: int  # the downgrade's credit
    next_charge_date: date


def prorate(
    old_price_cents: int, new_price_cents: int, period_start: date, period_end: date, effective: date
) -> Proration:
    """The signed proration for changing price on `effective` within [period_start, period_end)."""
    period_days = (period_end - period_start).days
    if period_days <= 0:
        raise InvalidRequest(
            f"billing period {period_start} to {period_end} is empty; the subscription needs repair"
        )
    remaining_days = min(max((period_end - effective).days, 0), period_days)
    return Proration(
        period_days, remaining_days, (new_price_cents - old_price_cents) * remaining_days // period_days
    )


def compare_plans(
    session: Session, actor: Actor | None = None, account_id: int | None = None
) -> list[PlanOption]:
    """Active plans, cheapest first; priced in the account's currency and marking its plan when one is given."""
    plans = session.scalars(
        select(Plan).where(Plan.active.is_(True)).order_by(Plan.monthly_price_cents, Plan.id)
    ).all()
    if not plans:
        raise NotFound("no plans are on sale; add plans to the database (marquee seed creates them)")
    current_plan_id, currency = None, None
    if account_id is not None:
        if actor is None:
            raise InvalidRequest("comparing plans for an account needs the actor asking")
        account_for(session, actor, account_id)
        subscription = live_subscription(session, account_id)
        if subscription is not None:
            current_plan_id = subscription.plan_id
            currency = billing_currency(session, account_id, subscription.plan)
    options = []
    for plan in plans:
        price = plan_price(session, plan, currency or plan.currency)
        options.append(
            PlanOption(
                code=plan.code,
                name=plan.name,
                monthly_price_cents=price.amount_cents,
                currency=price.currency,
                screens=plan.screens,
                resolution=plan.resolution,
                downloads_devices=plan.downloads_devices,
                current=plan.id == current_plan_id,
            )
        )
    return options


def _target_plan(session: Session, plan_code: str) -> Plan:
    code = (plan_code or "").strip().lower()
    plan = session.scalar(select(Plan).where(Plan.code == code, Plan.active.is_(True)))
    if plan is None:
        known = ", ".join(
            session.scalars(select(Plan.code).where(Plan.active.is_(True)).order_by(Plan.monthly_price_cents))
        )
        raise InvalidRequest(f"there is no plan called {plan_code!r}; choose one of: {known}")
    return plan


def _preview(
    session: Session, account_id: int, subscription: Subscription, target: Plan, today: date
) -> PlanChangePreview:
    if target.id == subscription.plan_id:
        raise InvalidRequest(f"the account is already on the {target.name} plan; choose a different plan")
    if subscription.status == SubscriptionStatus.PAUSED:
        raise Conflict("the subscription is paused; resume it first, then change plan")
    if subscription.status == SubscriptionStatus.PAST_DUE:
        raise Conflict("the last payment failed; update the payment method and settle it, then change plan")
    if subscription.cancel_at_period_end:
        raise Conflict("the subscription is set to end; undo the cancellation first, then change plan")
    current = subscription.plan
    currency = billing_currency(session, account_id, current)
    old_price = plan_price(session, current, currency)
    new_price = plan_price(session, target, currency)
    if old_price.currency != new_price.currency:
        raise Conflict(
            f"the {current.name} and {target.name} plans have no prices in one currency; an agent must change this plan"
        )
    proration = prorate(
        old_price.amount_cents,
        new_price.amount_cents,
        subscription.current_period_start,
        subscription.current_period_end,
        today,
    )
    next_charge_date = subscription.next_billing_date or subscription.current_period_end
    # Counting the changes already applied makes a same-day A -> B -> A -> B a new confirmation each time,
    # instead of a replay of the first A -> B.
    changes_applied = session.scalar(
        select(func.count())
        .select_from(ServiceRequest)
        .where(ServiceRequest.account_id == account_id, ServiceRequest.action == CHANGE_PLAN_ACTION)
    )
    fields = (
        account_id, subscription.id, current.code, target.code, new_price.currency, old_price.amount_cents,
        new_price.amount_cents, today, subscription.current_period_start, subscription.current_period_end,
        proration.amount_cents, changes_applied,
    )  # fmt: skip
    confirmation_id = "pc-" + hashlib.sha256(repr(fields).encode()).hexdigest()[:24]
    return PlanChangePreview(
        from_plan=current.code,
        to_plan=target.code,
        currency=new_price.currency,
        old_price_cents=old_price.amount_cents,
        new_price_cents=new_price.amount_cents,
        effective_date=today,
        period_start=subscription.current_period_start,
        period_end=subscription.current_period_end,
        period_days=proration.period_days,
        remaining_days=proration.remaining_days,
        proration_cents=proration.amount_cents,
        next_charge_date=next_charge_date,
        next_charge_cents=new_price.amount_cents,
        confirmation_id=confirmation_id,
    )


def preview_plan_change(
    session: Session, actor: Actor, account_id: int, plan_code: str, today: date | None = None
) -> PlanChangePreview:
    account_for(session, actor, account_id)
    subscription = require_live_subscription(session, account_id)
    return _preview(
        session, account_id, subscription, _target_plan(session, plan_code), today or date.today()
    )


def change_plan(
    session: Session,
    actor: Actor,
    account_id: int,
    plan_code: str,
    confirmation_id: str,
    today: date | None = None,
) -> PlanChangeResult:
    """Apply the previewed change; `confirmation_id` is the preview's. A retried confirmation changes nothing."""
    account_for(session, actor, account_id)
    today = today or date.today()

    def apply() -> PlanChangeResult:
        subscription = require_live_subscription(session, account_id, for_update=True)
        target = _target_plan(session, plan_code)
        preview = _preview(session, account_id, subscription, target, today)
        if preview.confirmation_id != confirmation_id:
            raise PreviewOutdated(
                "the plan change no longer matches the preview that was confirmed (the subscription or the date "
                "changed); show a new preview and ask again"
            )
        subscription.plan_id = target.id
        invoice_number, credit = None, 0
        if preview.proration_cents > 0:
            invoice_number = f"INV-{today.year}-P{secrets.token_hex(4).upper()}"
            session.add(
                Invoice(
                    account_id=account_id,
                    subscription_id=subscription.id,
                    number=invoice_number,
                    amount_cents=preview.proration_cents,
                    currency=preview.currency,
                    period_start=today,
                    period_end=subscription.current_period_end,
                    status=InvoiceStatus.OPEN,
                )
            )
        elif preview.proration_cents < 0:
            credit = -preview.proration_cents
            session.add(
                BillingAdjustment(
                    subscription_id=subscription.id,
                    kind=AdjustmentKind.CREDIT,
                    amount_cents=credit,
                    currency=preview.currency,
                    reason=f"plan change {preview.from_plan} -> {preview.to_plan}",
                )
            )
        audit.record(
            session,
            actor,
            "subscription.change_plan",
            "subscription",
            subscription.id,
            {
                "from": preview.from_plan,
                "to": preview.to_plan,
                "effective": today.isoformat(),
                "proration_cents": preview.proration_cents,
                "currency": preview.currency,
                "invoice": invoice_number,
            },
        )
        logger.info(
            "subscription %s changed from %s to %s (proration %s %s)",
            subscription.id,
            preview.from_plan,
            preview.to_plan,
            preview.proration_cents,
            preview.currency,
        )
        return PlanChangeResult(
            subscription_id=subscription.id,
            from_plan=preview.from_plan,
            to_plan=preview.to_plan,
            effective_date=today,
            currency=preview.currency,
            proration_cents=preview.proration_cents,
            invoice_number=invoice_number,
            credit_cents=credit,
            next_charge_date=preview.next_charge_date,
        )

    return apply_once(
        session,
        actor,
        CHANGE_PLAN_ACTION,
        account_id,
        confirmation_id,
        {"account_id": account_id, "plan": (plan_code or "").strip().lower()},
        PlanChangeResult,
        apply,
    )
