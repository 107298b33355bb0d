"""A small, fully known world for the web app tests: accounts with and without marketing consent,
plans, a few titles, support tickets and staff users of every role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, select

from accountdb import maturity
from accountdb.engine import session_scope
from accountdb.models import (
    Account,
    Plan,
    Profile,
    StaffUser,
    Subscription,
    SupportTicket,
    Title,
    TitleAvailability,
    ViewingEvent,
)
from webapp.auth import api_key_digest

ALICE_PASSWORD = "alice-password-123"
STAFF_PASSWORD = "staff-password-123"
MARKETER_API_KEY = "mq_test-marketer-key-0123456789abcdefghijklmnop"
AGENT_API_KEY = "mq_test-agent-key-0123456789abcdefghijklmnopqrs"
RETIRED_API_KEY = "mq_test-retired-key-0123456789abcdefghijklmnop"
PROFILE_PIN = "4321"
HOSTILE_TRANSCRIPT = "user: <script>alert('x')</script> my card is **** **** **** 1234"


@dataclass
class WebWorld:
    accounts: dict[str, int] = field(default_factory=dict)  # by email
    profiles: dict[str, int] = field(default_factory=dict)  # by "email/profile name"
    tickets: dict[str, int] = field(default_factory=dict)  # by reference
    titles: dict[str, int] = field(default_factory=dict)  # by name


def build_web_world(engine: Engine) -> WebWorld:
    world = WebWorld()
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        plans = {
            code: Plan(
                code=code,
                name=name,
                monthly_price_cents=price,
                currency="USD",
                screens=screens,
                resolution=res,
            )
            for code, name, price, screens, res in (
                ("basic", "Basic", 799, 1, "720p"),
                ("standard", "Standard", 1549, 2, "1080p"),
                ("premium", "Premium", 2299, 4, "4K"),
            )
        }
        session.add_all(plans.values())

        titles = {
            "Harbor Lights": ("movie", "PG-13", 5.0, ("US", "GB")),
            "Night Shift Diaries": ("series", "TV-MA", 4.0, ("US",)),
            "The Quiet Orchard": ("movie", "PG", 3.0, ("US", "GB", "IL")),
        }
        title_rows = {}
        for name, (kind, rating, popularity, regions) in titles.items():
            title = Title(
                kind=kind,
                name=name,
                release_year=2021,
                popularity=popularity,
                runtime_minutes=100 if kind == "movie" else None,
                seasons=2 if kind == "series" else None,
                description=f"{name}: a story.",
            )
            title.set_maturity_rating(rating)
            title.availability = [TitleAvailability(region=region) for region in regions]
            session.add(title)
            title_rows[name] = title

        def account(email: str, name: str, country: str, consent: bool, plan: str | None) -> Account:
            row = Account(email=email, name=name, country=country, marketing_consent=consent)
            session.add(row)
            if plan is not None:
                row.subscriptions.append(
                    Subscription(
                        plan=plans[plan],
                        status="active",
                        current_period_start=date(2026, 11, 1),
                        current_period_end=date(2026, 12, 1),
                        next_billing_date=date(2026, 12, 1),
                    )
                )
            return row

        alice = account("alice@example.com", "Alice Martin", "US", True, "standard")
        alice.set_password(ALICE_PASSWORD)
        alice.profiles = [
            Profile(name="Alice"),
            Profile(name="Kiddo", is_kids=True, maturity_limit=maturity.KIDS_MAX_RANK),
            Profile(name="Private"),
        ]
        alice.profiles[2].set_pin(PROFILE_PIN)
        bob = account("bob@example.com", "Bob Stone", "US", False, "premium")
        bob.set_password("bob-password-1234")
        bob.profiles = [Profile(name="Bob")]
        carla = account("carla@example.com", "Carla Reyes", "GB", True, "premium")
        carla.profiles = [Profile(name="Carla")]
        dan = account("dan@example.com", "Dan Cho", "US", True, None)
        dan.profiles = [Profile(name="Dan")]
        noa = account("noa@example.com", "נועה כהן", "IL", True, "basic")
        noa.profiles = [Profile(name="נועה")]
        session.flush()

        # Dan has watched everything offered in the US, so there is no {top_pick} left for him.
        for name in ("Harbor Lights", "Night Shift Diaries", "The Quiet Orchard"):
            session.add(
                ViewingEvent(profile_id=dan.profiles[0].id, title_id=title_rows[name].id, minutes_watched=90)
            )
        # Alice has watched the most popular title, so her top pick is the next one.
        session.add(
            ViewingEvent(
                profile_id=alice.profiles[0].id, title_id=title_rows["Harbor Lights"].id, minutes_watched=100
            )
        )

        for index, (reference, priority, status, category) in enumerate(
            (
                ("MQ-LOW01", "low", "open", "other"),
                ("MQ-URG01", "urgent", "open", "account"),
                ("MQ-NRM01", "normal", "open", "billing"),
                ("MQ-DONE1", "high", "solved", "playback"),
            )
        ):
            session.add(
                SupportTicket(
                    reference=reference,
                    account_id=alice.id,
                    category=category,
                    priority=priority,
                    status=status,
                    subject=f"{category} problem {reference}",
                    context={"plan": "standard", "recent_intents": ["ask_billing", "escalate"]},
                    transcript_excerpt=HOSTILE_TRANSCRIPT,
                    conversation_id=f"web-conv-{index}",
                    created_at=now - timedelta(hours=10 - index),
                )
            )

        for username, role, active, key in (
            ("ana", "agent", True, AGENT_API_KEY),
            ("ben", "agent", True, None),
            ("sue", "supervisor", True, None),
            ("mark", "marketer", True, MARKETER_API_KEY),
            ("retired", "marketer", False, RETIRED_API_KEY),
        ):
            staff = StaffUser(username=username, role=role, active=active, failed_login_count=0)
            staff.set_password(STAFF_PASSWORD)
            staff.api_key_sha256 = api_key_digest(key) if key else None
            session.add(staff)
        session.flush()

        for row in (alice, bob, carla, dan, noa):
            world.accounts[row.email] = row.id
            for profile in row.profiles:
                world.profiles[f"{row.email}/{profile.name}"] = profile.id
        for ticket in session.scalars(select(SupportTicket)):
            world.tickets[ticket.reference] = ticket.id
        for name, title in title_rows.items():
            world.titles[name] = title.id
    return world
