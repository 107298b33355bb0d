"""Pure rules of the support services: proration arithmetic, month arithmetic, masking, actors, codecs."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from accountdb.services.account_security import mask_email
from accountdb.services.actor import Actor
from accountdb.services.errors import AccessDenied, InvalidRequest
from accountdb.services.idempotency import from_record, to_record
from accountdb.services.plans import prorate
from accountdb.services.pricing import format_amount
from accountdb.services.subscription import add_months


def test_upgrade_proration_rounds_the_charge_down():
    # 750 cents more a month, 22 of 31 days left: 532.26 -> 532
    result = prorate(1549, 2299, date(2026, 12, 1), date(2027, 1, 1), date(2026, 12, 10))
    assert (result.period_days, result.remaining_days, result.amount_cents) == (31, 22, 532)


def test_downgrade_proration_rounds_the_credit_up():
    result = prorate(2299, 1549, date(2026, 12, 1), date(2027, 1, 1), date(2026, 12, 10))
    assert result.amount_cents == -533


def test_proration_at_the_edges_of_the_period():
    assert prorate(999, 2299, date(2026, 2, 1), date(2026, 3, 1), date(2026, 2, 1)).amount_cents == 1300
    assert prorate(999, 2299, date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 1)).amount_cents == 0
    with pytest.raises(InvalidRequest):
        prorate(999, 2299, date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 1))


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_mask_email():
    assert mask_email("jane.doe@example.com") == "j***@e***.com"
    assert mask_email("a@b.co.uk") == "a***@b***.uk"


def test_format_amount():
    assert format_amount(1549, "USD") == "15.49 USD"
    assert format_amount(-533, "EUR") == "-5.33 EUR"
    assert format_amount(1490, "JPY") == "1490 JPY"


def test_actor_access_rules():
    subscriber = Actor.subscriber(7, "conv-1", profile_id=3)
    assert subscriber.account_id == 7
    subscriber.require_access(7)
    with pytest.raises(AccessDenied):
        subscriber.require_access(8)
    Actor.agent("ana", "conv-1").require_access(8)


@pytest.mark.parametrize("who", ["subscriber:abc", "subscriber:0", "admin:root", "agent:", "agent:Ana Smith"])
def test_malformed_actors_are_refused(who):
    with pytest.raises(InvalidRequest):
        Actor(who, "conv-1")


def test_actor_needs_a_conversation():
    with pytest.raises(InvalidRequest):
        Actor.subscriber(1, "")


@dataclass(frozen=True)
class _Result:
    when: datetime
    day: date | None
    names: tuple[str, ...]
    count: int


def test_results_survive_the_stored_record():
    original = _Result(datetime(2026, 11, 30, 9, tzinfo=UTC), date(2026, 12, 1), ("a", "b"), 3)
    assert from_record(_Result, to_record(original)) == original
