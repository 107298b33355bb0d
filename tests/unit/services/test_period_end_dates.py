"""Billing periods keep their day of month across short months; the job acts as "system:period-end"."""

from __future__ import annotations

from datetime import date

import pytest

from accountdb.services.actor import Actor
from accountdb.services.errors import InvalidRequest
from accountdb.services.period_end import job_actor, next_period_end, renewal_invoice_number


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15)),
        # The 31st, clamped in February, comes back in March.
        (date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)),
        (date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)),
        (date(2027, 12, 30), date(2028, 1, 30), date(2028, 2, 29)),  # leap year
        (date(2026, 11, 30), date(2026, 12, 30), date(2027, 1, 30)),  # year boundary
    ],
)
def test_next_period_end_keeps_the_billing_day(start, end, expected):
    assert next_period_end(start, end) == expected


def test_renewal_invoice_numbers_are_one_per_subscription_and_period_and_fit_the_column():
    number = renewal_invoice_number(123_456_789, date(2026, 11, 30))
    assert number == "INV-2026-R123456789-1130" and len(number) <= 32
    assert renewal_invoice_number(1, date(2026, 11, 30)) != renewal_invoice_number(11, date(2026, 1, 30))


def test_the_job_actor_reaches_every_account_and_names_its_run():
    actor = job_actor(date(2026, 11, 30))
    assert (actor.who, actor.conversation_id) == ("system:period-end", "period-end:2026-11-30")
    assert actor.is_system and not actor.is_agent and actor.account_id is None
    actor.require_access(42)  # no AccessDenied


@pytest.mark.parametrize("who", ["system:", "system:Period End", "robot:period-end"])
def test_malformed_job_actors_are_refused(who):
    with pytest.raises(InvalidRequest):
        Actor(who, "period-end:2026-11-30")


def test_a_job_cannot_act_as_a_profile():
    with pytest.raises(InvalidRequest, match="not as a profile"):
        Actor("system:period-end", "run-1", profile_id=3)
