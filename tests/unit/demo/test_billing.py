"""Billing histories: monthly invoices, failed and retried payments, subscription states."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import numpy as np
import pytest

from accountdb.demo.billing import (
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    PLAN_PRICES,
    SUBSCRIPTION_COLUMNS,
    Billing,
    BillingGenerator,
    add_months,
)
from accountdb.demo.geography import REGIONS
from accountdb.demo.subscribers import Subscribers, generate_subscribers

AS_OF = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def history() -> tuple[Subscribers, Billing]:
    subscribers = generate_subscribers(np.random.default_rng(4), 2_000, AS_OF)
    billing = BillingGenerator(subscribers, AS_OF).generate(np.random.default_rng(5), range(2_000))
    return subscribers, billing


def _records(rows: list[tuple], columns: tuple[str, ...]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def test_add_months_keeps_the_day() -> None:
    assert add_months(dt.date(2025, 11, 28), 3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 1, 15), 12) == dt.date(2026, 1, 15)


def test_every_currency_has_three_prices() -> None:
    assert {region.currency for region in REGIONS} == set(PLAN_PRICES)
    for prices in PLAN_PRICES.values():
        assert prices[0] < prices[1] < prices[2]


def test_one_subscription_per_account_with_a_realistic_status_mix(
    history: tuple[Subscribers, Billing],
) -> None:
    subscribers, billing = history
    subscriptions = _records(billing.subscriptions, SUBSCRIPTION_COLUMNS)
    assert [s["account_id"] for s in subscriptions] == list(range(1, subscribers.account_count + 1))
    statuses = Counter(s["status"] for s in subscriptions)
    assert statuses["active"] > 0.7 * len(subscriptions)
    assert statuses["past_due"] and statuses["paused"] and statuses["cancelled"]
    assert subscriptions[0]["status"] == "active" and subscriptions[0]["plan_id"] == 3
    for s in subscriptions:
        assert s["current_period_end"] > s["current_period_start"]
        if s["status"] == "cancelled":
            assert s["cancelled_at"] is not None and s["next_billing_date"] is None
        if s["status"] == "paused":
            assert s["paused_until"] > AS_OF
        if s["cancel_at_period_end"]:
            assert s["status"] == "active" and s["next_billing_date"] is None
    assert any(s["cancel_at_period_end"] for s in subscriptions)


def test_invoices_are_monthly_and_priced_in_the_account_currency(
    history: tuple[Subscribers, Billing],
) -> None:
    subscribers, billing = history
    invoices = _records(billing.invoices, INVOICE_COLUMNS)
    assert len({i["number"] for i in invoices}) == len(invoices)
    by_account: dict[int, list[dict]] = defaultdict(list)
    for invoice in invoices:
        by_account[invoice["account_id"]].append(invoice)
    for account_id, own in by_account.items():
        currency = REGIONS[int(subscribers.account_region[account_id - 1])].currency
        for earlier, later in zip(own, own[1:], strict=False):
            assert later["period_start"] == earlier["period_end"], "no gaps, no overlaps"
        for invoice in own:
            assert invoice["currency"] == currency and invoice["amount_cents"] in PLAN_PRICES[currency]
            assert invoice["issued_at"].tzinfo is not None
            assert invoice["period_start"] <= AS_OF
    assert len(invoices) / subscribers.account_count > 6, "years of history, not one bill each"


def test_failed_payments_have_reasons_and_some_retries_succeed(history: tuple[Subscribers, Billing]) -> None:
    _, billing = history
    payments = _records(billing.payments, PAYMENT_COLUMNS)
    invoices = {i["id"]: i for i in _records(billing.invoices, INVOICE_COLUMNS)}
    attempts: dict[int, list[dict]] = defaultdict(list)
    for payment in payments:
        assert (payment["status"] == "failed") == (payment["failure_reason"] is not None)
        attempts[payment["invoice_id"]].append(payment)
    assert set(attempts) == set(invoices), "every invoice was charged at least once"
    reasons = Counter(p["failure_reason"] for p in payments if p["failure_reason"])
    assert {"card_declined", "insufficient_funds", "expired_card"} <= set(reasons)
    retried = [
        tries
        for tries in attempts.values()
        if tries[0]["status"] == "failed" and tries[-1]["status"] == "succeeded"
    ]
    assert retried
    for tries in attempts.values():
        times = [t["attempted_at"] for t in tries]
        assert times == sorted(times)
        status = invoices[tries[0]["invoice_id"]]["status"]
        succeeded = any(t["status"] == "succeeded" for t in tries)
        assert succeeded == (status in ("paid", "refunded"))
    subscriptions = _records(billing.subscriptions, SUBSCRIPTION_COLUMNS)
    past_due = {s["account_id"] for s in subscriptions if s["status"] == "past_due"}
    open_accounts = {i["account_id"] for i in invoices.values() if i["status"] == "open"}
    assert open_accounts == past_due


def test_cards_keep_only_brand_last4_and_expiry(history: tuple[Subscribers, Billing]) -> None:
    _, billing = history
    defaults = Counter()
    for _id, account_id, brand, last4, month, year, is_default in billing.payment_methods:
        assert brand in {"visa", "mastercard", "amex", "discover", "jcb"}
        assert len(last4) == 4 and last4.isdigit() and 1 <= month <= 12 and year >= AS_OF.year
        defaults[account_id] += is_default
    assert set(defaults.values()) == {1}
