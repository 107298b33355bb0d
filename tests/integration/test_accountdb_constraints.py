"""The schema's rules hold in the database itself, on SQLite and PostgreSQL alike."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DataError, IntegrityError

from accountdb import maturity
from accountdb.engine import session_scope
from accountdb.models import (
    Account,
    AuditLogEntry,
    Genre,
    Invoice,
    Payment,
    PaymentMethod,
    Plan,
    Profile,
    Rating,
    Subscription,
    SupportTicket,
    Title,
    ViewingEvent,
)
from accountdb.security import verify_secret


@pytest.fixture
def household(migrated_engine):
    """One account with an adult profile, a plan and a title; returns their ids."""
    with session_scope(migrated_engine) as session:
        account = Account(email="Ana.Lima@Example.COM ", name="Ana Lima", country="br", language="pt-BR")
        profile = Profile(account=account, name="Ana")
        plan = Plan(
            code="standard",
            name="Standard",
            monthly_price_cents=1549,
            currency="USD",
            screens=2,
            resolution="1080p",
        )
        title = Title(kind="movie", name="The Long Night", runtime_minutes=104)
        title.set_maturity_rating("TV-MA")
        title.genres.append(Genre(name="Thriller"))
        session.add_all([account, plan, title])
        session.flush()
        return {"account": account.id, "profile": profile.id, "plan": plan.id, "title": title.id}


def _rejected(engine, *rows, match=None):
    """Assert that adding `rows` in one unit of work is refused by the database, and nothing is kept."""
    with pytest.raises(IntegrityError, match=match), session_scope(engine) as session:
        session.add_all(rows)


def test_email_is_stored_lowercased_and_unique_regardless_of_case(migrated_engine, household):
    with session_scope(migrated_engine) as session:
        assert session.get(Account, household["account"]).email == "ana.lima@example.com"
        assert session.get(Account, household["account"]).country == "BR"
    _rejected(migrated_engine, Account(email="ANA.LIMA@example.com", name="Impostor", country="BR"))


def test_raw_sql_cannot_bypass_email_and_country_rules(migrated_engine):
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    for email, country in [("Upper@Example.com", "US"), ("no-at-sign", "US"), ("ok@example.com", "us")]:
        with pytest.raises(IntegrityError), migrated_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO accounts (email, name, country, language, marketing_consent, created_at, "
                    "status, failed_login_count) VALUES (:email, 'x', :country, 'en', false, :now, 'active', 0)"
                ),
                {"email": email, "country": country, "now": now},
            )


def test_one_rating_per_profile_and_title(migrated_engine, household):
    with session_scope(migrated_engine) as session:
        session.add(Rating(profile_id=household["profile"], title_id=household["title"], value="up"))
    _rejected(
        migrated_engine, Rating(profile_id=household["profile"], title_id=household["title"], value="love")
    )
    _rejected(
        migrated_engine, Rating(profile_id=household["profile"], title_id=household["title"], value="meh")
    )


@pytest.mark.parametrize("last4", ["123", "12345", "12a4", "abcd", "    "])
def test_card_last4_must_be_four_digits(migrated_engine, household, last4):
    card = PaymentMethod(
        account_id=household["account"], brand="visa", last4=last4, exp_month=4, exp_year=2029
    )
    # PostgreSQL refuses a fifth character by the column length before the CHECK runs; both are refusals.
    with pytest.raises((IntegrityError, DataError)), session_scope(migrated_engine) as session:
        session.add(card)


def test_card_with_four_digits_and_valid_expiry_is_kept(migrated_engine, household):
    with session_scope(migrated_engine) as session:
        session.add(
            PaymentMethod(
                account_id=household["account"], brand="visa", last4="0042", exp_month=12, exp_year=2029
            )
        )
    _rejected(
        migrated_engine,
        PaymentMethod(
            account_id=household["account"], brand="visa", last4="4242", exp_month=13, exp_year=2029
        ),
    )


def test_only_one_default_card_per_account(migrated_engine, household):
    def card(last4):
        return PaymentMethod(
            account_id=household["account"],
            brand="mastercard",
            last4=last4,
            exp_month=1,
            exp_year=2030,
            is_default=True,
        )

    with session_scope(migrated_engine) as session:
        session.add(card("1111"))
    _rejected(migrated_engine, card("2222"))


def test_pin_is_stored_hashed_and_verifiable(migrated_engine, household):
    with session_scope(migrated_engine) as session:
        session.get(Profile, household["profile"]).set_pin("4821")
    with migrated_engine.connect() as connection:
        stored = connection.execute(
            text("SELECT pin_hash FROM profiles WHERE id = :id"), {"id": household["profile"]}
        ).scalar_one()
    assert "4821" not in stored and stored.startswith("scrypt$")
    assert verify_secret("4821", stored)
    with session_scope(migrated_engine) as session:
        profile = session.get(Profile, household["profile"])
        assert profile.check_pin("4821") and not profile.check_pin("1234")


def test_clear_text_pin_cannot_be_written(migrated_engine, household):
    with pytest.raises(IntegrityError, match="pin_hash"), migrated_engine.begin() as connection:
        connection.execute(
            text("UPDATE profiles SET pin_hash = '4821' WHERE id = :id"), {"id": household["profile"]}
        )


def test_kids_profiles_get_the_kids_ceiling_and_cannot_exceed_it(migrated_engine, household):
    with session_scope(migrated_engine) as session:
        kid = Profile(account_id=household["account"], name="Bia", is_kids=True)
        session.add(kid)
        session.flush()
        assert kid.maturity_limit == maturity.KIDS_MAX_RANK
        title = session.get(Title, household["title"])
        assert not kid.may_watch(title)
    adult_limit_kid = Profile(
        account_id=household["account"], name="Caio", is_kids=True, maturity_limit=maturity.rank("TV-MA")
    )
    _rejected(migrated_engine, adult_limit_kid, match="kids_maturity_limit")


def test_deleting_an_account_cascades_to_its_profiles_and_their_activity(migrated_engine, household):
    with session_scope(migrated_engine) as session:
        session.add_all(
            [
                Rating(profile_id=household["profile"], title_id=household["title"], value="up"),
                ViewingEvent(
                    profile_id=household["profile"], title_id=household["title"], minutes_watched=30
                ),
                SupportTicket(
                    reference="MQ-7F3K2",
                    account_id=household["account"],
                    category="billing",
                    subject="Refund",
                ),
            ]
        )
    with session_scope(migrated_engine) as session:
        # A bulk delete goes straight to the database, so this checks ON DELETE, not ORM cascades.
        session.execute(delete(Account).where(Account.id == household["account"]))
    with session_scope(migrated_engine) as session:
        assert session.scalar(select(func.count()).select_from(Profile)) == 0
        assert session.scalar(select(func.count()).select_from(Rating)) == 0
        assert session.scalar(select(func.count()).select_from(ViewingEvent)) == 0
        # Tickets outlive the account; the catalog is untouched.
        assert session.scalars(select(SupportTicket.account_id)).all() == [None]
        assert session.get(Title, household["title"]) is not None


def test_a_plan_in_use_cannot_be_deleted(migrated_engine, household):
    with session_scope(migrated_engine) as session:
        session.add(
            Subscription(
                account_id=household["account"],
                plan_id=household["plan"],
                current_period_start=date(2026, 11, 1),
                current_period_end=date(2026, 12, 1),
                next_billing_date=date(2026, 12, 1),
            )
        )
    with pytest.raises(IntegrityError), session_scope(migrated_engine) as session:
        session.execute(delete(Plan).where(Plan.id == household["plan"]))


def test_an_account_has_at_most_one_live_subscription(migrated_engine, household):
    def subscription(status):
        return Subscription(
            account_id=household["account"],
            plan_id=household["plan"],
            status=status,
            current_period_start=date(2026, 11, 1),
            current_period_end=date(2026, 12, 1),
        )

    with session_scope(migrated_engine) as session:
        session.add_all([subscription("cancelled"), subscription("cancelled"), subscription("active")])
    _rejected(migrated_engine, subscription("past_due"))
    _rejected(migrated_engine, subscription("trialing"))


def test_failed_payment_needs_a_known_reason_and_removing_the_card_keeps_history(migrated_engine, household):
    with session_scope(migrated_engine) as session:
        card = PaymentMethod(
            account_id=household["account"], brand="visa", last4="4242", exp_month=4, exp_year=2029
        )
        invoice = Invoice(
            account_id=household["account"],
            number="INV-2026-000001",
            amount_cents=1549,
            currency="USD",
            period_start=date(2026, 11, 1),
            period_end=date(2026, 12, 1),
            status="failed",
        )
        invoice.payments.append(
            Payment(
                payment_method=card,
                amount_cents=1549,
                currency="USD",
                status="failed",
                failure_reason="insufficient_funds",
            )
        )
        session.add_all([card, invoice])
        session.flush()
        invoice_id, card_id = invoice.id, card.id

    def payment(status, reason):
        return Payment(
            invoice_id=invoice_id, amount_cents=1549, currency="USD", status=status, failure_reason=reason
        )

    _rejected(migrated_engine, payment("failed", None))
    _rejected(migrated_engine, payment("failed", "bad_luck"))
    _rejected(migrated_engine, payment("succeeded", "card_declined"))

    with session_scope(migrated_engine) as session:
        session.execute(delete(PaymentMethod).where(PaymentMethod.id == card_id))
    with session_scope(migrated_engine) as session:
        kept = session.scalars(select(Payment)).one()
        assert (kept.payment_method_id, kept.failure_reason) == (None, "insufficient_funds")


def test_title_duration_must_fit_its_kind(migrated_engine):
    _rejected(migrated_engine, Title(kind="movie", name="Odd", seasons=2))
    _rejected(migrated_engine, Title(kind="series", name="Odder", runtime_minutes=50))
    _rejected(migrated_engine, Title(kind="short", name="Oddest"))


def test_session_scope_rollback_leaves_no_partial_work(migrated_engine, household):
    with pytest.raises(IntegrityError), session_scope(migrated_engine) as session:
        session.add(AuditLogEntry(actor="system", action="import.batch", details={"rows": 2}))
        session.add(Rating(profile_id=household["profile"], title_id=household["title"], value="up"))
        session.add(Rating(profile_id=household["profile"], title_id=household["title"], value="down"))
    with session_scope(migrated_engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditLogEntry)) == 0
        assert session.scalar(select(func.count()).select_from(Rating)) == 0


def test_timestamps_and_json_round_trip(migrated_engine, household):
    at = datetime(2026, 11, 30, 8, 15, 0, tzinfo=UTC)
    with session_scope(migrated_engine) as session:
        session.add(
            AuditLogEntry(
                at=at, actor="agent:ana", action="plan.change", details={"from": "basic", "to": "premium"}
            )
        )
    with session_scope(migrated_engine) as session:
        entry = session.scalars(select(AuditLogEntry)).one()
        assert entry.at == at and entry.at.tzinfo is not None
        assert entry.details == {"from": "basic", "to": "premium"}
        assert session.get(Account, household["account"]).created_at.tzinfo is not None
