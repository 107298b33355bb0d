"""Credits and discounts waiting for a subscription's next invoices, and what they take off a charge.

Rounding favours the subscriber, as in plan-change proration: a discount's share is rounded up to the
cent (30% off 15.49 takes off 4.65, leaving 10.84). Credits come off whole, up to the amount due; what is
left of a credit waits for the following invoice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accountdb.models import AdjustmentKind, BillingAdjustment


@dataclass(frozen=True)
class ChargeBreakdown:
    list_price_cents: int
    discount_percent: int | None
    discount_cents: int
    credit_applied_cents: int
    amount_cents: int


def pending_adjustments(session: Session, subscription_id: int) -> list[BillingAdjustment]:
    return list(
        session.scalars(
            select(BillingAdjustment)
            .where(
                BillingAdjustment.subscription_id == subscription_id, BillingAdjustment.consumed_at.is_(None)
            )
            .order_by(BillingAdjustment.id)
        )
    )


def active_discount(adjustments: list[BillingAdjustment]) -> BillingAdjustment | None:
    discounts = [a for a in adjustments if a.kind == AdjustmentKind.DISCOUNT and a.cycles_remaining > 0]
    return max(discounts, key=lambda a: a.percent_off or 0, default=None)


def next_invoice_breakdown(
    session: Session, subscription_id: int, list_price_cents: int, currency: str
) -> ChargeBreakdown:
    adjustments = pending_adjustments(session, subscription_id)
    discount = active_discount(adjustments)
    percent = discount.percent_off if discount is not None else None
    discount_cents = -(-list_price_cents * percent // 100) if percent else 0  # ceiling division
    due = list_price_cents - discount_cents
    credit = sum(
        a.amount_cents or 0 for a in adjustments if a.kind == AdjustmentKind.CREDIT and a.currency == currency
    )
    applied = min(credit, due)
    return ChargeBreakdown(list_price_cents, percent, discount_cents, applied, due - applied)
