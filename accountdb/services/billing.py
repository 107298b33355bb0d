"""Billing answers: the next charge, invoice history, "charged twice", failed payments, and a secure link to
change the card (the assistant never asks for card numbers)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accountdb.models import (
    AccountLink,
    Invoice,
    InvoiceStatus,
    LinkPurpose,
    Payment,
    PaymentFailureReason,
    PaymentMethod,
    PaymentStatus,
    SubscriptionStatus,
    utcnow,
)
from accountdb.services import audit
from accountdb.services.actor import Actor
from accountdb.services.adjustments import next_invoice_breakdown
from accountdb.services.errors import InvalidRequest
from accountdb.services.idempotency import apply_once
from accountdb.services.links import issue_link, link_url
from accountdb.services.pricing import billing_currency, plan_price
from accountdb.services.records import account_for, live_subscription, require_live_subscription

logger = logging.getLogger(__name__)

MAX_INVOICES = 36
# Two successful charges of one amount for overlapping periods, this close together, are a duplicate.
DUPLICATE_WINDOW = timedelta(days=35)
CHARGE_LOOKBACK = timedelta(days=120)

# reason -> (what it means, what to do)
FAILURE_EXPLANATIONS: dict[str, tuple[str, str]] = {
    PaymentFailureReason.CARD_DECLINED: (
        "your bank declined the charge without giving us a reason",
        "call the number on the back of your card to allow the charge, or add a different card",
    ),
    PaymentFailureReason.INSUFFICIENT_FUNDS: (
        "the card did not have enough available funds or credit at the time of the charge",
        "make sure the amount is available before the next retry, or add a different card",
    ),
    PaymentFailureReason.EXPIRED_CARD: (
        "the card on file has expired",
        "add the new card's details (the new expiry date alone is often enough) on the secure payment page",
    ),
    PaymentFailureReason.AUTHENTICATION_REQUIRED: (
        "your bank asked for an extra security check (3-D Secure) that could not happen automatically",
        "open the secure payment page and approve the charge in your banking app when it asks",
    ),
    PaymentFailureReason.PROCESSING_ERROR: (
        "the payment network had a temporary error; nothing is wrong with your card",
        "nothing: we retry automatically; if it fails again, try a different card",
    ),
}


@dataclass(frozen=True)
class NextCharge:
    subscription_status: str
    plan_code: str
    plan_name: str
    charge_date: date | None  # None: no further charge (cancellation pending)
    amount_cents: int | None
    currency: str
    list_price_cents: int
    discount_percent: int | None
    credit_applied_cents: int
    ends_on: date | None  # set when the subscription ends at the period end
    explanation: str


@dataclass(frozen=True)
class InvoiceSummary:
    number: str
    period_start: date
    period_end: date
    amount_cents: int
    currency: str
    status: str
    issued_at: datetime
    paid_at: datetime | None


@dataclass(frozen=True)
class ChargeEvidence:
    payment_id: int
    invoice_number: str
    amount_cents: int
    currency: str
    charged_at: datetime
    period_start: date
    period_end: date
    invoice_status: str
    card: str | None  # "visa ending 4242"


@dataclass(frozen=True)
class DuplicateChargeReport:
    duplicate: bool
    # The duplicate charges when `duplicate`; otherwise the recent charges that were checked.
    charges: tuple[ChargeEvidence, ...]
    explanation: str


@dataclass(frozen=True)
class FailedPaymentExplanation:
    invoice_number: str
    amount_cents: int
    currency: str
    attempted_at: datetime
    reason: str
    cause: str
    fix: str
    card: str | None
    failed_attempts: int
    settled: bool  # a later attempt paid the invoice
    next_retry: date | None


@dataclass(frozen=True)
class PaymentMethodLink:
    url: str
    expires_at: datetime
    link_id: int


@dataclass(frozen=True)
class _IssuedLinkRecord:
    # What a replay needs to rebuild the same link; the token itself is never stored.
    link_id: int
    expires_at: datetime


def next_charge(session: Session, actor: Actor, account_id: int) -> NextCharge:
    account_for(session, actor, account_id)
    subscription = require_live_subscription(session, account_id)
    plan = subscription.plan
    currency = billing_currency(session, account_id, plan)
    price = plan_price(session, plan, currency)
    breakdown = next_invoice_breakdown(session, subscription.id, price.amount_cents, price.currency)
    charge_date = subscription.next_billing_date or subscription.current_period_end
    amount: int | None = breakdown.amount_cents
    currency = price.currency
    ends_on = None
    if subscription.cancel_at_period_end:
        charge_date, amount, ends_on = None, None, subscription.current_period_end
        explanation = f"no further charges: the subscription ends on {ends_on.isoformat()}"
    elif subscription.status == SubscriptionStatus.PAST_DUE:
        unpaid = _latest_invoice(session, account_id, InvoiceStatus.OPEN)
        if unpaid is not None:
            amount, currency = unpaid.amount_cents, unpaid.currency
        explanation = "the last payment failed; the unpaid invoice is retried on the charge date"
    elif subscription.status == SubscriptionStatus.PAUSED:
        explanation = "the subscription is paused; billing restarts when the pause ends"
    else:
        explanation = "the regular monthly charge"
    return NextCharge(
        subscription_status=subscription.status,
        plan_code=plan.code,
        plan_name=plan.name,
        charge_date=charge_date,
        amount_cents=amount,
        currency=currency,
        list_price_cents=price.amount_cents,
        discount_percent=breakdown.discount_percent,
        credit_applied_cents=breakdown.credit_applied_cents,
        ends_on=ends_on,
        explanation=explanation,
    )


def _latest_invoice(session: Session, account_id: int, status: str) -> Invoice | None:
    return session.scalar(
        select(Invoice)
        .where(Invoice.account_id == account_id, Invoice.status == status)
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        .limit(1)
    )


def invoice_history(session: Session, actor: Actor, account_id: int, limit: int = 12) -> list[InvoiceSummary]:
    """The latest invoices, newest first."""
    if not 1 <= limit <= MAX_INVOICES:
        raise InvalidRequest(f"ask for between 1 and {MAX_INVOICES} invoices")
    account_for(session, actor, account_id)
    invoices = session.scalars(
        select(Invoice)
        .where(Invoice.account_id == account_id)
        .options(selectinload(Invoice.payments))
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        .limit(limit)
    )
    return [
        InvoiceSummary(
            number=invoice.number,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            amount_cents=invoice.amount_cents,
            currency=invoice.currency,
            status=invoice.status,
            issued_at=invoice.issued_at,
            paid_at=max(
                (p.attempted_at for p in invoice.payments if p.status == PaymentStatus.SUCCEEDED),
                default=None,
            ),
        )
        for invoice in invoices
    ]


def _card(method: PaymentMethod | None) -> str | None:
    return f"{method.brand} ending {method.last4}" if method is not None else None


def _evidence(payment: Payment) -> ChargeEvidence:
    invoice = payment.invoice
    return ChargeEvidence(
        payment_id=payment.id,
        invoice_number=invoice.number,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        charged_at=payment.attempted_at,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        invoice_status=invoice.status,
        card=_card(payment.payment_method),
    )


def check_duplicate_charge(
    session: Session, actor: Actor, account_id: int, now: datetime | None = None
) -> DuplicateChargeReport:
    """Whether the account was really charged twice: two successful charges of the same amount for the same
    (or overlapping) service period within DUPLICATE_WINDOW, not already refunded."""
    account_for(session, actor, account_id)
    now = now or utcnow()
    payments = list(
        session.scalars(
            select(Payment)
            .join(Payment.invoice)
            .where(Invoice.account_id == account_id, Payment.attempted_at >= now - CHARGE_LOOKBACK)
            .options(selectinload(Payment.invoice), selectinload(Payment.payment_method))
            .order_by(Payment.attempted_at, Payment.id)
        )
    )
    charges = [p for p in payments if p.status == PaymentStatus.SUCCEEDED]
    for index, first in enumerate(charges):
        for second in charges[index + 1 :]:
            if _is_duplicate(first, second):
                logger.info(
                    "duplicate charge on account %s: payments %s and %s", account_id, first.id, second.id
                )
                return DuplicateChargeReport(
                    duplicate=True,
                    charges=(_evidence(first), _evidence(second)),
                    explanation=(
                        "two successful charges of the same amount for the same period: this is a real "
                        "duplicate, and one of them should be refunded"
                    ),
                )
    return DuplicateChargeReport(
        duplicate=False,
        charges=tuple(_evidence(p) for p in charges),
        explanation=_why_not_duplicate(payments),
    )


def _is_duplicate(first: Payment, second: Payment) -> bool:
    a, b = first.invoice, second.invoice
    if InvoiceStatus.REFUNDED in (a.status, b.status):
        return False  # already handled: one of the two was refunded
    same_money = (first.amount_cents, first.currency) == (second.amount_cents, second.currency)
    overlapping = a.id == b.id or (a.period_start < b.period_end and b.period_start < a.period_end)
    return same_money and overlapping and abs(second.attempted_at - first.attempted_at) <= DUPLICATE_WINDOW


def _why_not_duplicate(payments: list[Payment]) -> str:
    succeeded = [p for p in payments if p.status == PaymentStatus.SUCCEEDED]
    failed = [p for p in payments if p.status == PaymentStatus.FAILED]
    if failed and succeeded:
        return (
            "one attempt was declined and a later one went through; the declined attempt can show on a bank "
            "statement as a pending authorisation, which the bank releases within a few days"
        )
    if len({p.amount_cents for p in succeeded}) > 1:
        return (
            "the charges have different amounts: one is the monthly price, another a plan-change adjustment"
        )
    if len(succeeded) > 1:
        return "each charge pays a different month of the subscription"
    return "there is no second successful charge on this account recently"


def explain_failed_payment(
    session: Session, actor: Actor, account_id: int
) -> FailedPaymentExplanation | None:
    """The latest failed payment with its cause and fix; None when no payment ever failed."""
    account_for(session, actor, account_id)
    failed = session.scalar(
        select(Payment)
        .join(Payment.invoice)
        .where(Invoice.account_id == account_id, Payment.status == PaymentStatus.FAILED)
        .options(
            selectinload(Payment.invoice).selectinload(Invoice.payments), selectinload(Payment.payment_method)
        )
        .order_by(Payment.attempted_at.desc(), Payment.id.desc())
        .limit(1)
    )
    if failed is None:
        return None
    invoice = failed.invoice
    cause, fix = FAILURE_EXPLANATIONS[PaymentFailureReason(failed.failure_reason)]
    settled = invoice.status == InvoiceStatus.PAID
    subscription = live_subscription(session, account_id) if not settled else None
    return FailedPaymentExplanation(
        invoice_number=invoice.number,
        amount_cents=invoice.amount_cents,
        currency=invoice.currency,
        attempted_at=failed.attempted_at,
        reason=failed.failure_reason or "",
        cause=cause,
        fix=fix,
        card=_card(failed.payment_method),
        failed_attempts=sum(1 for p in invoice.payments if p.status == PaymentStatus.FAILED),
        settled=settled,
        next_retry=subscription.next_billing_date if subscription is not None else None,
    )


def payment_method_update_link(
    session: Session, actor: Actor, account_id: int, confirmation_id: str, now: datetime | None = None
) -> PaymentMethodLink:
    """A signed, expiring, single-use link to the page where the subscriber changes the card themselves."""
    account_for(session, actor, account_id)

    def issue() -> _IssuedLinkRecord:
        link = issue_link(session, account_id, LinkPurpose.PAYMENT_METHOD_UPDATE, actor.conversation_id, now)
        audit.record(
            session,
            actor,
            "payment_method.update_link_sent",
            "account",
            account_id,
            {"link_id": link.link_id, "expires_at": link.expires_at.isoformat()},
        )
        logger.info("payment-method link %s issued for account %s", link.link_id, account_id)
        return _IssuedLinkRecord(link.link_id, link.expires_at)

    issued = apply_once(
        session,
        actor,
        "payment_method.update_link",
        account_id,
        confirmation_id,
        {"account_id": account_id},
        _IssuedLinkRecord,
        issue,
    )
    row = session.get_one(AccountLink, issued.link_id)
    return PaymentMethodLink(url=link_url(row), expires_at=issued.expires_at, link_id=issued.link_id)
