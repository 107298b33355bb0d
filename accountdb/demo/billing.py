"""Plans, subscriptions, monthly invoices, payment attempts and cards of the demo world.

Histories are built month by month from each account's sign-up: most invoices are paid on the first
attempt, some only after a declined card is retried, and the recent past leaves subscriptions active,
past due (open invoice, failed attempts), paused or cancelled (voluntarily, or after payments kept
failing).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass, field

import numpy as np

from accountdb.demo.geography import REGIONS
from accountdb.demo.subscribers import Subscribers

# code, name, screens, resolution, download devices
PLANS: tuple[tuple[str, str, int, str, int], ...] = (
    ("basic", "Basic", 1, "720p", 1),
    ("standard", "Standard", 2, "1080p", 2),
    ("premium", "Premium", 4, "4K", 6),
)
# Monthly price per plan in minor units of each currency (JPY and KRW have none).
PLAN_PRICES: dict[str, tuple[int, int, int]] = {
    "USD": (999, 1549, 2299),
    "EUR": (899, 1399, 1999),
    "GBP": (699, 1099, 1799),
    "CAD": (1099, 1699, 2399),
    "AUD": (1099, 1899, 2599),
    "BRL": (2590, 4490, 5990),
    "MXN": (14900, 24900, 32900),
    "INR": (19900, 49900, 64900),
    "JPY": (890, 1490, 1980),
    "KRW": (9500, 13500, 17000),
}
# The plans table holds one price per plan; the catalogue price is the US one. Invoices carry the
# account's own currency and local price.
PLAN_TABLE_CURRENCY = "USD"
FAILURE_REASONS = (
    "card_declined",
    "insufficient_funds",
    "expired_card",
    "authentication_required",
    "processing_error",
)
FAILURE_WEIGHTS = (0.34, 0.34, 0.12, 0.1, 0.1)
_FAILURE_CUMULATIVE = tuple(itertools.accumulate(FAILURE_WEIGHTS))
CARD_BRANDS = ("visa", "mastercard", "amex", "discover", "jcb")
STATUS_SHARES = (("active", 0.80), ("past_due", 0.05), ("paused", 0.03), ("cancelled", 0.12))
_STATUS_CUMULATIVE = tuple(itertools.accumulate(share for _, share in STATUS_SHARES))
RETRY_SHARE = 0.05  # invoices whose first charge fails and a retry succeeds
REFUND_SHARE = 0.003


@dataclass
class Billing:
    """Rows for a block of accounts; ids are final (assigned from the counters passed in)."""

    subscriptions: list[tuple] = field(default_factory=list)
    payment_methods: list[tuple] = field(default_factory=list)
    invoices: list[tuple] = field(default_factory=list)
    payments: list[tuple] = field(default_factory=list)
    audit: list[tuple] = field(default_factory=list)  # (at, actor, action, entity_type, entity_id, details)


SUBSCRIPTION_COLUMNS = (
    "id", "account_id", "plan_id", "status", "current_period_start", "current_period_end", "next_billing_date",
    "cancel_at_period_end", "paused_until", "cancelled_at", "created_at",
)  # fmt: skip
PAYMENT_METHOD_COLUMNS = ("id", "account_id", "brand", "last4", "exp_month", "exp_year", "is_default")
INVOICE_COLUMNS = (
    "id", "account_id", "subscription_id", "number", "amount_cents", "currency", "period_start", "period_end",
    "issued_at", "status",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "id", "invoice_id", "payment_method_id", "amount_cents", "currency", "attempted_at", "status",
    "failure_reason", "idempotency_key",
)  # fmt: skip


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of month `months` later; callers keep the anchor day <= 28 so every month has it."""
    index = day.month - 1 + months
    return dt.date(day.year + index // 12, index % 12 + 1, day.day)


def _failure_reason(u: float) -> str:
    return FAILURE_REASONS[min(bisect.bisect_right(_FAILURE_CUMULATIVE, u), len(FAILURE_REASONS) - 1)]


def _at(day: dt.date, seconds: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(seconds=float(seconds))


class BillingGenerator:
    def __init__(self, subscribers: Subscribers, as_of: dt.date) -> None:
        self.subscribers = subscribers
        self.as_of = as_of
        self.next_invoice_id = 1
        self.next_payment_id = 1
        self.next_method_id = 1

    def generate(self, rng: np.random.Generator, accounts: range) -> Billing:
        out = Billing()
        for account in accounts:
            self._account(rng, account, out)
        return out

    def _account(self, rng: np.random.Generator, account: int, out: Billing) -> None:
        subs = self.subscribers
        account_id = account + 1
        region = REGIONS[int(subs.account_region[account])]
        currency = region.currency
        profiles = int(subs.account_profiles[account])
        tier_weights = ((0.5, 0.4, 0.1), (0.25, 0.55, 0.2), (0.1, 0.5, 0.4))[min(profiles, 3) - 1]
        tier_draw, status_draw = rng.random(2).tolist()
        tier = min(bisect.bisect_right(list(itertools.accumulate(tier_weights)), tier_draw), 2)
        status = STATUS_SHARES[
            min(bisect.bisect_right(_STATUS_CUMULATIVE, status_draw), len(STATUS_SHARES) - 1)
        ][0]
        if account == 0:  # the README's demo subscriber: a healthy Premium household
            tier, status = 2, "active"
        created = subs.account_created[account].astype(dt.datetime).replace(tzinfo=dt.UTC)
        anchor = dt.date(created.year, created.month, min(created.day, 28))

        methods = self._payment_methods(rng, account_id, region.code, out)
        default_method = methods[0]

        months_alive = (self.as_of.year - anchor.year) * 12 + self.as_of.month - anchor.month
        if self.as_of.day < anchor.day:
            months_alive -= 1
        periods = months_alive + 1  # the period containing as_of is already invoiced
        involuntary = False
        cancelled_at: dt.datetime | None = None
        paused_until: dt.date | None = None
        if status == "cancelled":
            periods = max(1, int(rng.integers(1, periods + 1)))
            involuntary = rng.random() < 0.3
        elif status == "paused":
            periods = max(1, periods - int(rng.integers(0, 2)))
            paused_until = self.as_of + dt.timedelta(days=int(rng.integers(10, 60)))
        # One in ten households moved up a tier at some point; earlier invoices carry the old price.
        upgrade_at = (
            int(rng.integers(1, periods)) if periods > 2 and tier > 0 and rng.random() < 0.1 else None
        )

        subscription_id = account_id
        last_status = "paid"
        # One row of uniforms per period, drawn at once: per-value generator calls dominate otherwise.
        draws = rng.random((periods, 8)).tolist()
        for period, u in enumerate(draws):
            start = add_months(anchor, period)
            end = add_months(anchor, period + 1)
            period_tier = tier - 1 if upgrade_at is not None and period < upgrade_at else tier
            amount = PLAN_PRICES[currency][period_tier]
            issued = _at(start, 3600 * 5 + int(u[0] * 3600))
            invoice_id = self.next_invoice_id
            self.next_invoice_id += 1
            final = period == periods - 1
            if final and status == "past_due":
                attempts, invoice_status = ["failed"] * (1 + int(u[1] * 3)), "open"
            elif final and status == "cancelled" and involuntary:
                attempts, invoice_status = ["failed"] * 3, "failed"
            elif u[2] < RETRY_SHARE:
                attempts, invoice_status = ["failed"] * (1 + int(u[1] * 2)) + ["succeeded"], "paid"
            else:
                attempts, invoice_status = ["succeeded"], "paid"
            if invoice_status == "paid" and u[3] < REFUND_SHARE:
                invoice_status = "refunded"
            last_status = invoice_status
            out.invoices.append(
                (invoice_id, account_id, subscription_id, f"INV-{issued.year}-{invoice_id:08d}", amount, currency,
                 start, end, issued, invoice_status)
            )  # fmt: skip
            attempt_time = issued + dt.timedelta(minutes=1 + int(u[4] * 49))
            for number, outcome in enumerate(attempts, start=1):
                reason = _failure_reason((u[5] + 0.37 * number) % 1.0) if outcome == "failed" else None
                # A retry after a failure often goes to the other card on file.
                method = methods[-1] if number > 1 and outcome == "succeeded" else default_method
                out.payments.append(
                    (self.next_payment_id, invoice_id, method, amount, currency, attempt_time, outcome, reason,
                     f"demo-inv{invoice_id}-try{number}")
                )  # fmt: skip
                self.next_payment_id += 1
                attempt_time += dt.timedelta(days=1 + int(u[6] * 3), minutes=int(u[7] * 300))
            if upgrade_at is not None and period == upgrade_at:
                out.audit.append((issued - dt.timedelta(days=3), f"subscriber:{account_id}", "subscription.change_plan",
                                  "subscription", str(subscription_id),
                                  {"from": PLANS[tier - 1][0], "to": PLANS[tier][0]}))  # fmt: skip

        current_start = add_months(anchor, periods - 1)
        current_end = add_months(anchor, periods)
        cancel_at_period_end = status == "active" and rng.random() < 0.05
        next_billing: dt.date | None = current_end
        if status == "cancelled":
            next_billing = None
            cancelled_at = _at(
                current_end if not involuntary else current_start + dt.timedelta(days=9), 3600 * 10
            )
            cancelled_at = min(cancelled_at, _at(self.as_of, 0) - dt.timedelta(hours=1))
            reason = "payment_failed" if involuntary or last_status == "failed" else "subscriber_request"
            out.audit.append((cancelled_at, "system" if involuntary else f"subscriber:{account_id}",
                              "subscription.cancel", "subscription", str(subscription_id), {"reason": reason}))  # fmt: skip
        elif status == "paused":
            next_billing = paused_until
            out.audit.append((_at(self.as_of - dt.timedelta(days=int(rng.integers(1, 20))), 3600 * 12),
                              f"subscriber:{account_id}", "subscription.pause", "subscription", str(subscription_id),
                              {"until": paused_until.isoformat()}))  # fmt: skip
        elif status == "past_due":
            next_billing = self.as_of + dt.timedelta(days=int(rng.integers(1, 4)))  # the next retry
        if cancel_at_period_end:
            next_billing = None
            out.audit.append((_at(self.as_of - dt.timedelta(days=int(rng.integers(1, 25))), 3600 * 20),
                              f"subscriber:{account_id}", "subscription.cancel_at_period_end", "subscription",
                              str(subscription_id), {"effective": current_end.isoformat()}))  # fmt: skip
        out.subscriptions.append(
            (subscription_id, account_id, tier + 1, status, current_start, current_end, next_billing,
             cancel_at_period_end, paused_until, cancelled_at, created)
        )  # fmt: skip

    def _payment_methods(
        self, rng: np.random.Generator, account_id: int, region: str, out: Billing
    ) -> list[int]:
        count = 1 if rng.random() < 0.82 else 2
        if account_id == 1:
            count = 1
        ids = []
        brand_weights = (
            np.array([0.5, 0.32, 0.1, 0.05, 0.03])
            if region != "JP"
            else np.array([0.35, 0.25, 0.08, 0.02, 0.3])
        )
        for position in range(count):
            brand = CARD_BRANDS[int(rng.choice(len(CARD_BRANDS), p=brand_weights / brand_weights.sum()))]
            last4 = f"{int(rng.integers(0, 10_000)):04d}"
            exp_year = self.as_of.year + int(rng.integers(0, 6))
            if account_id == 1:
                brand, last4, exp_year = "visa", "4242", self.as_of.year + 3
            method_id = self.next_method_id
            self.next_method_id += 1
            out.payment_methods.append(
                (method_id, account_id, brand, last4, int(rng.integers(1, 13)), exp_year, position == 0)
            )
            ids.append(method_id)
        return ids
