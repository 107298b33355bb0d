"""Plan prices in the account's billing currency, and amounts in minor units shown the way people read them.

The plans row holds the catalogue price (one currency); `plan_prices` holds regional prices. An account is
billed in the currency of its invoices; a new account without invoices is billed in the catalogue currency.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accountdb.models import Invoice, Plan, PlanPrice

logger = logging.getLogger(__name__)

# ISO 4217 currencies without minor units: their "cents" are whole units.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "VND", "HUF"})


@dataclass(frozen=True)
class Price:
    amount_cents: int
    currency: str


def billing_currency(session: Session, account_id: int, plan: Plan) -> str:
    latest = session.scalar(
        select(Invoice.currency)
        .where(Invoice.account_id == account_id)
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        .limit(1)
    )
    return latest or plan.currency


def plan_price(session: Session, plan: Plan, currency: str) -> Price:
    """The plan's monthly price in `currency`; the catalogue price when no regional price is on file."""
    if currency == plan.currency:
        return Price(plan.monthly_price_cents, plan.currency)
    regional = session.get(PlanPrice, (plan.id, currency))
    if regional is not None:
        return Price(regional.monthly_price_cents, currency)
    logger.warning(
        "plan %s has no %s price in plan_prices; quoting the catalogue price in %s",
        plan.code,
        currency,
        plan.currency,
    )
    return Price(plan.monthly_price_cents, plan.currency)


def format_amount(amount_cents: int, currency: str) -> str:
    """ "15.49 USD", "1490 JPY", "-3.10 EUR"; the code rather than a symbol, which is ambiguous ($)."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{amount_cents} {currency}"
    sign = "-" if amount_cents < 0 else ""
    whole, cents = divmod(abs(amount_cents), 100)
    return f"{sign}{whole}.{cents:02d} {currency}"
