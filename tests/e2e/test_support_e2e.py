"""Customer-support conversations (issue 5) over REST against the real Rasa server, action server and database.

The contract is docs/support-dialogue.md. Each test signs in as a subscriber built for it in the stack's
database (an account in exactly the state the flow needs: a duplicate charge, a failed payment, a pause, a
pending cancellation, a locked account ...), talks to the bot the way a subscriber would (typed messages,
and the buttons the bot offered), and checks the replies against the database and the database against
what was agreed: a change happens only after a yes, exactly once, audited with who, what and which
conversation; tickets carry the context; secrets and odd input are stored masked and inert.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine, func, inspect, select

from accountdb import maturity
from accountdb.engine import make_engine, session_scope
from accountdb.models import (
    Account,
    AccountLink,
    AuditLogEntry,
    BillingAdjustment,
    Device,
    DeviceSession,
    EmailOutboxMessage,
    Invoice,
    Payment,
    PaymentMethod,
    Plan,
    PlanPrice,
    Profile,
    ServiceRequest,
    Subscription,
    SupportTicket,
    utcnow,
)
from accountdb.security import verify_secret
from accountdb.services.account_security import mask_email
from accountdb.services.subscription import add_months
from actions.identity import issue_token
from actions.secret_warning import CARD_WARNING, PASSWORD_WARNING, is_warning
from actions.support.texts import SIGN_IN_TEXT, STOPPED_TEXT, day, money

pytestmark = pytest.mark.rasa

ROOT = Path(__file__).resolve().parents[2]
TICKET_REFERENCE = re.compile(r"\bMQ-[0-9A-Z]{6}\b")
CARD = "4111 1111 1111 1111"
CARD_FORMS = (CARD, "4111111111111111", "4111-1111-1111-1111")
PASSWORD = "Hunter2-Secret"
SQL = "'; DROP TABLE support_tickets; --"
HTML = "<script>alert('x')</script><img src=x onerror=alert(1)>"
TEMPLATE = "{{7*7}} ${7*7} {% raw %}{{ config }}{% endraw %} #{7*7}"
HOSTILE = f"{SQL} {HTML} {TEMPLATE}"


# ---------------------------------------------------------------------------------------------------------
# The database: subscribers built for one test each, and what the tests read back
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(stack) -> Iterator[Engine]:
    engine = make_engine(stack.database_url)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class Subscriber:
    account_id: int
    profile_id: int
    kids_profile_id: int
    subscription_id: int
    email: str
    devices: dict[str, int]
    invoices: tuple[str, ...]  # numbers, oldest first
    token: str

    @property
    def metadata(self) -> dict[str, str]:
        return {"marquee_token": self.token}


def new_subscriber(
    stack,
    db: Engine,
    *,
    plan: str = "standard",
    duplicate_charge: bool = False,
    failed_payment: str | None = None,
    paused: bool = False,
    cancel_pending: bool = False,
    locked: bool = False,
    streams: int = 2,
) -> Subscriber:
    """A new account (its own e-mail, profiles, subscription, card, three months of invoices and two devices)
    in the state one flow needs. Its billing period runs from 10 days ago to 20 days ahead, because the
    services prorate and date against the real date."""
    tag = uuid.uuid4().hex[:8]
    # Invoice numbers shaped like real ones (INV-<year>-<serial>, which the invoice_number entity matches); the
    # year 8xxx never occurs in the seeded world, and the random serial keeps them unique.
    serial = int(uuid.uuid4().hex[:10], 16)
    today = date.today()
    now = utcnow()
    start = today - timedelta(days=10)
    with session_scope(db) as session:
        plan_row = session.scalars(select(Plan).where(Plan.code == plan)).one()
        account = Account(
            email=f"e2e-support-{tag}@example.com",
            name=f"Support {tag}",
            country="US",
            status="locked" if locked else "active",
            failed_login_count=6 if locked else 0,
        )
        account.set_password("correct horse battery staple")
        session.add(account)
        session.flush()
        adult = Profile(account_id=account.id, name="Sam")
        kids = Profile(
            account_id=account.id, name="Kids", is_kids=True, maturity_limit=maturity.KIDS_MAX_RANK
        )
        session.add_all([adult, kids])
        session.flush()
        period_start = start - timedelta(days=60) if paused else start
        subscription = Subscription(
            account_id=account.id,
            plan_id=plan_row.id,
            status="paused" if paused else "past_due" if failed_payment else "active",
            current_period_start=period_start,
            current_period_end=period_start + timedelta(days=30),
            next_billing_date=(
                None
                if cancel_pending
                else today + timedelta(days=20)
                if paused
                else today + timedelta(days=3)
                if failed_payment
                else start + timedelta(days=30)
            ),
            paused_until=today + timedelta(days=20) if paused else None,
            cancel_at_period_end=cancel_pending,
        )
        session.add(subscription)
        card = PaymentMethod(
            account_id=account.id, brand="visa", last4="4242", exp_month=1, exp_year=2031, is_default=True
        )
        session.add(card)
        session.flush()
        numbers = []
        for months_ago in (2, 1, 0):
            issued = now - timedelta(days=10 + 30 * months_ago)
            latest = months_ago == 0
            invoice = Invoice(
                account_id=account.id,
                subscription_id=subscription.id,
                number=f"INV-{8000 + serial % 1000}-{(serial // 1000 + months_ago) % 1_000_000:06d}",
                amount_cents=plan_row.monthly_price_cents,
                currency="USD",
                period_start=start - timedelta(days=30 * months_ago),
                period_end=start - timedelta(days=30 * months_ago) + timedelta(days=30),
                issued_at=issued,
                status="open" if latest and failed_payment else "paid",
            )
            session.add(invoice)
            session.flush()
            numbers.append(invoice.number)
            if latest and failed_payment:
                session.add(
                    Payment(invoice_id=invoice.id, payment_method_id=card.id, amount_cents=invoice.amount_cents,
                            currency="USD", attempted_at=issued, status="failed", failure_reason=failed_payment)
                )  # fmt: skip
                continue
            charges = 2 if latest and duplicate_charge else 1
            for charge in range(charges):
                session.add(
                    Payment(invoice_id=invoice.id, payment_method_id=card.id, amount_cents=invoice.amount_cents,
                            currency="USD", attempted_at=issued + timedelta(hours=3 * charge), status="succeeded")
                )  # fmt: skip
        tv = Device(
            account_id=account.id, name="Living room TV", kind="tv", platform="tvOS", last_seen_at=now
        )
        phone = Device(
            account_id=account.id, name="Sam's phone", kind="mobile", platform="iOS", last_seen_at=now
        )
        session.add_all([tv, phone])
        session.flush()
        for device, profile in [(tv, adult), (phone, kids)][:streams]:
            session.add(
                DeviceSession(device_id=device.id, profile_id=profile.id,
                              started_at=now - timedelta(minutes=30), ip_country="US")
            )  # fmt: skip
        session.flush()
        return Subscriber(
            account_id=account.id,
            profile_id=adult.id,
            kids_profile_id=kids.id,
            subscription_id=subscription.id,
            email=account.email,
            devices={tv.name: tv.id, phone.name: phone.id},
            invoices=tuple(numbers),
            token=issue_token(account.id, adult.id, secret=stack.token_secret),
        )


@dataclass(frozen=True)
class SubscriptionRow:
    plan: str
    status: str
    cancel_at_period_end: bool
    paused_until: date | None
    next_billing_date: date | None
    current_period_end: date


def subscription_of(db: Engine, who: Subscriber) -> SubscriptionRow:
    with session_scope(db) as session:
        row = session.get_one(Subscription, who.subscription_id)
        return SubscriptionRow(
            row.plan.code, row.status, row.cancel_at_period_end, row.paused_until, row.next_billing_date,
            row.current_period_end,
        )  # fmt: skip


def audits(db: Engine, who: Subscriber, action: str | None = None) -> list[AuditLogEntry]:
    with session_scope(db) as session:
        query = select(AuditLogEntry).where(AuditLogEntry.actor == f"subscriber:{who.account_id}")
        if action is not None:
            query = query.where(AuditLogEntry.action == action)
        return list(session.scalars(query.order_by(AuditLogEntry.id)))


def tickets_of(db: Engine, account_id: int) -> list[SupportTicket]:
    with session_scope(db) as session:
        return list(
            session.scalars(
                select(SupportTicket).where(SupportTicket.account_id == account_id).order_by(SupportTicket.id)
            )
        )


def count(db: Engine, model: type, *where: Any) -> int:
    with session_scope(db) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


# ---------------------------------------------------------------------------------------------------------
# Talking to the bot
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Replies:
    messages: list[dict[str, Any]]

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or "" for m in self.messages]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for b in self.buttons]

    def button(self, title_part: str) -> str:
        for button in self.buttons:
            if title_part.lower() in button["title"].lower():
                return button["payload"]
        raise AssertionError(f"no button with {title_part!r} among {[b['title'] for b in self.buttons]}")


@dataclass
class Chat:
    stack: Any
    metadata: dict[str, Any] = field(default_factory=dict)
    sender: str = field(default_factory=lambda: f"e2e-support-{uuid.uuid4().hex[:12]}")
    said: list[Replies] = field(default_factory=list)

    def say(self, text: str, metadata: dict[str, Any] | None = None) -> Replies:
        replies = Replies(self.stack.say(self.sender, text, self.metadata if metadata is None else metadata))
        self.said.append(replies)
        return replies

    def tracker(self) -> dict[str, Any]:
        response = httpx.get(self._api("tracker"), params={"token": self.stack.rasa_token}, timeout=30)
        assert response.status_code == 200, response.text[:300]
        return response.json()

    def story(self) -> str:
        response = httpx.get(self._api("story"), params={"token": self.stack.rasa_token}, timeout=30)
        assert response.status_code == 200, response.text[:300]
        return response.text

    def append_events(self, events: list[dict[str, Any]]) -> None:
        response = httpx.post(
            self._api("tracker/events"), params={"token": self.stack.rasa_token}, json=events, timeout=30
        )
        assert response.status_code == 200, response.text[:300]

    def replace_events(self, events: list[dict[str, Any]]) -> None:
        response = httpx.put(
            self._api("tracker/events"), params={"token": self.stack.rasa_token}, json=events, timeout=30
        )
        assert response.status_code == 200, response.text[:300]

    def execute(self, action: str) -> Replies:
        response = httpx.post(
            self._api("execute"), params={"token": self.stack.rasa_token}, json={"name": action}, timeout=60
        )
        assert response.status_code == 200, response.text[:300]
        return Replies(response.json().get("messages") or [])

    def transcript(self) -> str:
        """What the subscriber saw, for assertion messages."""
        return "\n---\n".join(r.text for r in self.said)

    def _api(self, path: str) -> str:
        return f"{self.stack.rasa_url}/conversations/{self.sender}/{path}"


def chat_as(stack, who: Subscriber | None) -> Chat:
    return Chat(stack, who.metadata if who is not None else {})


def log_since(path: Path, offset: int) -> str:
    return path.read_text()[offset:]


def log_size(path: Path) -> int:
    return len(path.read_text())


def faq_answers(topic: str) -> list[str]:
    """The texts of utter_faq/<topic> as the bot's domain defines them (the wording may change there)."""
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
    variants = (domain.get("responses") or {}).get(f"utter_faq/{topic}")
    assert variants, f"bot/domain.yml has no response utter_faq/{topic}: the FAQ is not wired yet"
    return [variant["text"] for variant in variants]


# ---------------------------------------------------------------------------------------------------------
# Billing
# ---------------------------------------------------------------------------------------------------------


def test_next_charge_states_the_amount_date_and_plan_on_file(stack, db) -> None:
    who = new_subscriber(stack, db)
    row = subscription_of(db, who)
    replies = chat_as(stack, who).say("when is my next bill")
    assert row.next_billing_date is not None
    assert money(1549, "USD") in replies.text, replies.text
    assert day(row.next_billing_date) in replies.text, replies.text
    assert "Standard" in replies.text, replies.text


def test_next_charge_of_a_past_due_account_offers_why_and_a_new_card(stack, db) -> None:
    who = new_subscriber(stack, db, failed_payment="expired_card")
    row = subscription_of(db, who)
    replies = chat_as(stack, who).say("how much will I be charged")
    assert "failed" in replies.text and day(row.next_billing_date) in replies.text, replies.text
    assert "/payment_failed" in replies.payloads and "/update_payment_method" in replies.payloads


def test_invoice_history_lists_the_invoices_on_file(stack, db) -> None:
    who = new_subscriber(stack, db)
    replies = chat_as(stack, who).say("show my invoices")
    for number in who.invoices:
        assert number in replies.text, replies.text
    assert replies.text.count(money(1549, "USD")) == len(who.invoices), replies.text
    # Newest first, as a statement reads.
    positions = [replies.text.index(number) for number in who.invoices]
    assert positions == sorted(positions, reverse=True), replies.text


def test_a_real_duplicate_charge_is_confirmed_and_escalated_with_a_billing_ticket(stack, db) -> None:
    who = new_subscriber(stack, db, duplicate_charge=True)
    conversation = chat_as(stack, who)
    conversation.say("show my invoices")
    replies = conversation.say("why was I charged twice")
    assert "twice" in replies.text and money(1549, "USD") in replies.text, replies.text
    [ticket] = tickets_of(db, who.account_id)
    assert ticket.reference in replies.text and TICKET_REFERENCE.search(replies.text), replies.text
    assert "within 24 hours" in replies.text, replies.text
    assert (ticket.category, ticket.priority, ticket.status) == ("billing", "normal", "open")
    assert ticket.profile_id == who.profile_id and ticket.conversation_id == conversation.sender
    assert ticket.context["account"]["id"] == who.account_id
    assert ticket.context["account"]["plan"] == "standard"
    assert ticket.context["intents"][-2:] == ["ask_invoices", "charged_twice"], ticket.context["intents"]
    assert ticket.context["details"]["invoices"] == [who.invoices[-1], who.invoices[-1]]
    assert "Subscriber: why was I charged twice" in ticket.transcript_excerpt, ticket.transcript_excerpt
    assert "Subscriber: show my invoices" in ticket.transcript_excerpt
    assert [a.action for a in audits(db, who)] == ["support_ticket.create"]
    # Rasa retrying the action call for the same message: the same ticket comes back, no second one opens.
    retried = conversation.execute("action_check_double_charge")
    assert ticket.reference in retried.text, retried.text
    assert len(tickets_of(db, who.account_id)) == 1


def test_no_duplicate_is_explained_and_opens_no_ticket(stack, db) -> None:
    who = new_subscriber(stack, db)
    replies = chat_as(stack, who).say("double charge")
    assert "no duplicate" in replies.text, replies.text
    assert who.invoices[-1] in replies.text, replies.text
    assert tickets_of(db, who.account_id) == []


def test_a_failed_payment_is_explained_with_the_reason_on_file(stack, db) -> None:
    who = new_subscriber(stack, db, failed_payment="insufficient_funds")
    replies = chat_as(stack, who).say("my payment failed")
    assert "did not have enough available funds" in replies.text, replies.text
    assert "visa ending 4242" in replies.text, replies.text
    assert day(subscription_of(db, who).next_billing_date) in replies.text, replies.text
    other = new_subscriber(stack, db, failed_payment="expired_card")
    assert "has expired" in chat_as(stack, other).say("card was declined").text


def test_update_payment_method_sends_a_single_use_link_and_never_asks_for_the_card(stack, db) -> None:
    who = new_subscriber(stack, db)
    replies = chat_as(stack, who).say("change my card")
    match = re.search(r"https?://\S+/account/payment-method\?token=(\S+)", replies.text)
    assert match, replies.text
    assert "?" not in replies.text.replace(match.group(0), ""), f"the bot asked something: {replies.text}"
    with session_scope(db) as session:
        [link] = session.scalars(select(AccountLink).where(AccountLink.account_id == who.account_id)).all()
        assert link.purpose == "payment_method_update" and link.used_at is None
        lifetime = link.expires_at - link.created_at
    assert lifetime == timedelta(minutes=30)
    encoded = httpx.URL(match.group(0)).params["token"].split(".")[0]
    claims = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert claims["a"] == who.account_id and claims["p"] == "payment_method_update"
    [entry] = audits(db, who, "payment_method.update_link_sent")
    assert entry.details["link_id"] == link.id


def test_signed_out_visitors_get_sign_in_and_nothing_private(stack, db) -> None:
    who = new_subscriber(stack, db, duplicate_charge=True)
    conversation = chat_as(stack, None)
    for text in ("when is my next bill", "show my invoices", "why was I charged twice", "change my card"):
        replies = conversation.say(text)
        assert SIGN_IN_TEXT in replies.texts, f"{text!r}: {replies.text}"
        assert "INV-" not in replies.text and "USD" not in replies.text, replies.text
    assert tickets_of(db, who.account_id) == []
    with session_scope(db) as session:
        assert session.scalar(select(func.count()).select_from(AccountLink).where(
            AccountLink.conversation_id == conversation.sender)) == 0  # fmt: skip
    public = conversation.say("what plans are there")
    assert "Sign in" in public.text and "(your plan)" not in public.text, public.text
    # A form may ask its first (public) question, but the answer meets "please sign in" and changes nothing.
    cancelling = [conversation.say("cancel my subscription"), conversation.say("it's too expensive")]
    assert any(SIGN_IN_TEXT in r.texts for r in cancelling), conversation.transcript()
    assert not subscription_of(db, who).cancel_at_period_end and audits(db, who) == []


# ---------------------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------------------


def plan_prices(db: Engine, currency: str) -> dict[str, int]:
    with session_scope(db) as session:
        prices = {}
        for plan in session.scalars(select(Plan).where(Plan.active.is_(True))):
            regional = session.get(PlanPrice, (plan.id, currency))
            prices[plan.name] = (
                plan.monthly_price_cents if plan.currency == currency else regional.monthly_price_cents
            )
        return prices


def test_compare_plans_quotes_the_database_prices_and_marks_the_current_plan(stack, db) -> None:
    who = new_subscriber(stack, db)
    replies = chat_as(stack, who).say("what plans are there")
    for name, cents in plan_prices(db, "USD").items():
        assert f"{name}{' (your plan)' if name == 'Standard' else ''}: {money(cents, 'USD')} a month" in (
            replies.text
        ), replies.text
    assert replies.payloads == ['/change_plan{"plan":"basic"}', '/change_plan{"plan":"premium"}']


def test_compare_plans_in_the_subscribers_own_currency(stack, db) -> None:
    who = new_subscriber(stack, db)
    with session_scope(db) as session:  # this subscriber is billed in euros
        for invoice in session.scalars(select(Invoice).where(Invoice.account_id == who.account_id)):
            invoice.currency = "EUR"
    replies = chat_as(stack, who).say("difference between standard and premium")
    for name, cents in plan_prices(db, "EUR").items():
        assert f"{money(cents, 'EUR')} a month" in replies.text, (name, replies.text)
    assert "USD" not in replies.text, replies.text


def proration(old: int, new: int, row: SubscriptionRow) -> tuple[int, int]:
    """(remaining days, signed proration in cents), computed here from the database's billing period."""
    period_start = row.current_period_end - timedelta(days=30)
    remaining = (row.current_period_end - date.today()).days
    return remaining, (new - old) * remaining // (row.current_period_end - period_start).days


def test_change_plan_previews_needs_a_yes_and_applies_once_under_a_retried_confirmation(stack, db) -> None:
    who = new_subscriber(stack, db)
    row = subscription_of(db, who)
    conversation = chat_as(stack, who)
    preview = conversation.say("switch me to premium")
    remaining, cents = proration(1549, 2299, row)
    assert f"takes effect today, {day(date.today())}" in preview.text, preview.text
    assert (
        f"For the {remaining} days left of this billing period you'll be charged {money(cents, 'USD')} now"
        in (preview.text)
    ), preview.text
    assert f"From {day(row.next_billing_date)} you'll pay {money(2299, 'USD')} a month" in preview.text
    assert preview.payloads[:2] == ["/affirm", "/deny"], preview.payloads
    assert subscription_of(db, who).plan == "standard", "the plan changed before the yes"

    # Double-tapped "Yes": two sends at once. Rasa serialises one conversation; the plan changes once.
    results: list[Replies] = []
    sends = [threading.Thread(target=lambda: results.append(conversation.say("yes"))) for _ in range(2)]
    for send in sends:
        send.start()
    for send in sends:
        send.join(timeout=120)
    done = [r for r in results if "Done: you're on Premium" in r.text]
    assert len(done) == 1, [r.text for r in results]
    assert f"from today, {day(date.today())}" in done[0].text and "(invoice INV-" in done[0].text

    def applied() -> tuple[str, int, int, int]:
        return (
            subscription_of(db, who).plan,
            len(audits(db, who, "subscription.change_plan")),
            count(db, Invoice, Invoice.account_id == who.account_id, Invoice.number.like("INV-%-P%")),
            count(db, ServiceRequest, ServiceRequest.account_id == who.account_id),
        )

    assert applied() == ("premium", 1, 1, 1)
    [entry] = audits(db, who, "subscription.change_plan")
    assert entry.actor == f"subscriber:{who.account_id}" and entry.conversation_id == conversation.sender
    assert entry.entity_id == str(who.subscription_id)
    assert (entry.details["from"], entry.details["to"], entry.details["proration_cents"]) == (
        "standard", "premium", cents,
    )  # fmt: skip
    assert abs(entry.at - utcnow()) < timedelta(minutes=10)

    # Rasa retrying the submit action itself: rewind the conversation to just before action_change_plan
    # (same slots, same confirmation id, same user message) and run it again. The first result comes back.
    events = conversation.tracker()["events"]
    submit = max(
        i
        for i, e in enumerate(events)
        if e.get("event") == "action" and e.get("name") == "action_change_plan"
    )
    conversation.replace_events(events[:submit])
    replay = conversation.execute("action_change_plan")
    assert "Done: you're on Premium" in replay.text, replay.text
    assert applied() == ("premium", 1, 1, 1)


def test_no_to_a_plan_change_changes_nothing(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    assert "Shall I make the change?" in conversation.say("downgrade my plan to basic").text
    replies = conversation.say("no")
    assert "haven't changed anything" in replies.text, conversation.transcript()
    assert subscription_of(db, who).plan == "standard"
    assert audits(db, who) == []
    assert count(db, ServiceRequest, ServiceRequest.account_id == who.account_id) == 0


def test_a_change_of_mind_mid_form_previews_the_new_plan_and_applies_only_that(stack, db) -> None:
    who = new_subscriber(stack, db)
    row = subscription_of(db, who)
    conversation = chat_as(stack, who)
    first = conversation.say("change plan")
    assert "Which plan would you like?" in first.text, first.text
    premium = conversation.say(first.button("Premium"))
    assert "to Premium" in premium.text, premium.text
    basic = conversation.say("actually make it basic")
    assert "to Basic" in basic.text, conversation.transcript()
    remaining, cents = proration(1549, 999, row)
    assert f"you'll get a credit of {money(-cents, 'USD')}" in basic.text, basic.text
    done = conversation.say(basic.button("Yes"))
    assert "Done: you're on Basic" in done.text, conversation.transcript()
    assert subscription_of(db, who).plan == "basic"
    [entry] = audits(db, who, "subscription.change_plan")
    assert entry.details["to"] == "basic"
    with session_scope(db) as session:
        credits = session.scalars(
            select(BillingAdjustment.amount_cents).where(
                BillingAdjustment.subscription_id == who.subscription_id
            )
        ).all()
    assert credits == [-cents]


def test_stop_leaves_the_plan_form_and_changes_nothing(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("switch me to premium")
    replies = conversation.say("stop")
    assert STOPPED_TEXT in replies.texts, conversation.transcript()
    state = conversation.tracker()
    assert state["active_loop"] in ({}, None) or not state["active_loop"].get("name"), state["active_loop"]
    assert state["slots"].get("plan_change_preview") is None and state["slots"].get("plan_target") is None
    conversation.say("yes")  # a late yes has nothing to confirm
    assert subscription_of(db, who).plan == "standard"
    assert audits(db, who) == []


# ---------------------------------------------------------------------------------------------------------
# Cancel, retention, undo, pause, resume
# ---------------------------------------------------------------------------------------------------------


def test_cancel_with_a_reason_offer_declined_confirm_then_undo(stack, db) -> None:
    who = new_subscriber(stack, db)
    row = subscription_of(db, who)
    conversation = chat_as(stack, who)
    asked = conversation.say("cancel my subscription")
    assert "why" in asked.text.lower(), asked.text
    offer = conversation.say("it's too expensive")
    assert f"switch to the cheaper Basic plan for {money(999, 'USD')} a month" in offer.text, offer.text
    confirm = conversation.say(offer.button("cancel anyway"))
    assert f"You can keep watching until {day(row.current_period_end)}" in confirm.text, (
        conversation.transcript()
    )
    assert subscription_of(db, who).cancel_at_period_end is False, "cancelled before the yes"
    done = conversation.say(confirm.button("Yes"))
    assert f"your subscription ends on {day(row.current_period_end)}" in done.text, conversation.transcript()
    after = subscription_of(db, who)
    assert (after.status, after.cancel_at_period_end, after.next_billing_date, after.plan) == (
        "active", True, None, "standard",
    )  # fmt: skip
    [entry] = audits(db, who, "subscription.cancel_at_period_end")
    assert entry.details["reason"] == "price" and entry.conversation_id == conversation.sender
    assert entry.details["note"] == ""  # the reason came as an entity, not in the subscriber's own words
    assert entry.details["effective"] == row.current_period_end.isoformat()

    undo = conversation.say("undo my cancellation")
    assert day(row.current_period_end) in undo.text and "/affirm" in undo.payloads, undo.text
    conversation.say("yes")
    restored = subscription_of(db, who)
    assert (restored.cancel_at_period_end, restored.next_billing_date) == (False, row.current_period_end)
    assert len(audits(db, who, "subscription.undo_cancel")) == 1
    assert "nothing to undo" in conversation.say("undo my cancellation").text


def test_an_account_already_cancelling_has_no_further_charge_and_nothing_more_to_cancel(stack, db) -> None:
    who = new_subscriber(stack, db, cancel_pending=True)
    row = subscription_of(db, who)
    conversation = chat_as(stack, who)
    charge = conversation.say("when is my next bill")
    assert f"ends on {day(row.current_period_end)}, so there are no further charges" in charge.text, (
        charge.text
    )
    conversation.say("cancel my subscription")
    replies = conversation.say("it's too expensive")
    assert f"already ends on {day(row.current_period_end)}" in replies.text, conversation.transcript()
    assert "/undo_cancellation" in replies.payloads, replies.payloads
    assert subscription_of(db, who) == row and audits(db, who) == []


def test_a_reason_in_the_subscribers_own_words_is_kept_as_the_cancellation_note(stack, db) -> None:
    who = new_subscriber(stack, db)
    row = subscription_of(db, who)
    conversation = chat_as(stack, who)
    conversation.say("cancel my subscription")
    words = "I want to cancel because we are saving up for a new house"
    confirm = conversation.say(words)  # no keyword of any reason: "other", which has no retention offer
    assert "Before you go" not in confirm.text, conversation.transcript()
    assert f"You can keep watching until {day(row.current_period_end)}" in confirm.text, (
        conversation.transcript()
    )
    conversation.say("yes")
    [entry] = audits(db, who, "subscription.cancel_at_period_end")
    assert (entry.details["reason"], entry.details["note"]) == ("other", words)


@pytest.mark.parametrize(
    ("reason_button", "offer_words"),
    [
        ("price", "cheaper Basic plan"),
        ("temporary", "pause for up to 3 month(s)"),
        ("not_watching", "pause for up to 1 month(s)"),
        ("technical", "technical team try to fix the problem"),
    ],
)
def test_the_retention_offer_fits_the_reason_and_stop_changes_nothing(
    stack,
    db,
    reason_button: str,
    offer_words: str,
) -> None:
    who = new_subscriber(stack, db)
    before = subscription_of(db, who)
    conversation = chat_as(stack, who)
    asked = conversation.say("I want to quit")
    payload = next((p for p in asked.payloads if f'"{reason_button}"' in p), None)
    assert payload, f"no reason button {reason_button!r}: {asked.payloads}"
    offer = conversation.say(payload)
    assert offer_words in offer.text, offer.text
    assert STOPPED_TEXT in conversation.say("stop").texts, conversation.transcript()
    assert subscription_of(db, who) == before
    assert audits(db, who) == [] and tickets_of(db, who.account_id) == []


def test_a_technical_reason_accepted_opens_a_ticket_instead_of_cancelling(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("cancel my subscription")
    conversation.say("the app keeps crashing on my TV")
    done = conversation.say("yes")
    [ticket] = tickets_of(db, who.account_id)
    assert "Thank you for giving us the chance" in done.text and ticket.reference in done.text, done.text
    assert ticket.category == "playback" and ticket.context["details"]["cancel_reason"] == "technical"
    assert subscription_of(db, who).cancel_at_period_end is False


def test_pause_re_asks_an_invalid_length_then_pauses_and_resumes(stack, db) -> None:
    who = new_subscriber(stack, db)
    row = subscription_of(db, who)
    conversation = chat_as(stack, who)
    conversation.say("pause my account")
    invalid = conversation.say("7 months")
    assert "A pause can last 1 to 3 months" in invalid.text, conversation.transcript()
    assert subscription_of(db, who).paused_until is None
    until = add_months(row.current_period_end, 2)
    preview = conversation.say("2")
    assert f"pauses until {day(until)}" in preview.text, conversation.transcript()
    done = conversation.say("yes")
    assert f"restarts on {day(until)}" in done.text, conversation.transcript()
    paused = subscription_of(db, who)
    assert (paused.paused_until, paused.next_billing_date, paused.status) == (until, until, "active")
    [entry] = audits(db, who, "subscription.pause")
    assert entry.details == {"from": row.current_period_end.isoformat(), "until": until.isoformat()}

    resume = conversation.say("resume my subscription")
    assert "Cancel that pause" in resume.text, resume.text
    conversation.say("yes")
    resumed = subscription_of(db, who)
    assert (resumed.paused_until, resumed.next_billing_date) == (None, row.current_period_end)
    assert len(audits(db, who, "subscription.resume")) == 1


def test_resuming_a_running_pause_bills_from_today(stack, db) -> None:
    who = new_subscriber(stack, db, paused=True)
    conversation = chat_as(stack, who)
    preview = conversation.say("unpause")
    assert "charged today" in preview.text, preview.text
    conversation.say("no")
    assert subscription_of(db, who).status == "paused"
    conversation.say("end the pause")
    conversation.say("yes")
    resumed = subscription_of(db, who)
    assert (resumed.status, resumed.next_billing_date, resumed.paused_until) == ("active", date.today(), None)


# ---------------------------------------------------------------------------------------------------------
# Sign-in, security, devices, streams
# ---------------------------------------------------------------------------------------------------------


def test_password_reset_mails_a_link_to_the_masked_address_and_never_shows_it(stack, db) -> None:
    who = new_subscriber(stack, db)
    replies = chat_as(stack, who).say("I forgot my password")
    assert mask_email(who.email) in replies.text, replies.text
    assert who.email not in replies.text and "token=" not in replies.text and "http" not in replies.text
    with session_scope(db) as session:
        [mail] = session.scalars(
            select(EmailOutboxMessage).where(EmailOutboxMessage.account_id == who.account_id)
        )
        assert mail.to_address == who.email and "/account/reset-password?token=" in mail.body
    signed_out = chat_as(stack, None).say("reset password")
    assert "Forgot password?" in signed_out.text and "***" not in signed_out.text, signed_out.text


def test_a_locked_account_is_told_why_and_how_to_unlock(stack, db) -> None:
    who = new_subscriber(stack, db, locked=True)
    replies = chat_as(stack, who).say("my account is locked")
    assert "locked after 6 wrong password attempts" in replies.text, replies.text
    assert "/reset_password" in replies.payloads and "/talk_to_agent" in replies.payloads
    public = chat_as(stack, None).say("it says too many attempts")
    assert "Forgot password?" in public.text and "6 wrong" not in public.text, public.text


def test_a_compromised_account_lists_devices_then_secures_everything_once_confirmed(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    preview = conversation.say("someone else is using my account")
    for name in who.devices:
        assert name in preview.text, preview.text
    assert mask_email(who.email) in preview.text and "/affirm" in preview.payloads, preview.text
    with session_scope(db) as session:
        assert session.get_one(Account, who.account_id).password_hash is not None
    done = conversation.say("yes")
    assert "signed out 2 device(s) and stopped 2 stream(s)" in done.text, conversation.transcript()
    with session_scope(db) as session:
        assert session.get_one(Account, who.account_id).password_hash is None
        devices = session.scalars(select(Device).where(Device.account_id == who.account_id)).all()
        assert not any(d.signed_in for d in devices)
        open_streams = session.scalar(
            select(func.count()).select_from(DeviceSession).join(Device)
            .where(Device.account_id == who.account_id, DeviceSession.ended_at.is_(None))
        )  # fmt: skip
        assert open_streams == 0
        [mail] = session.scalars(
            select(EmailOutboxMessage).where(EmailOutboxMessage.account_id == who.account_id)
        )
        assert mail.to_address == who.email
    [ticket] = tickets_of(db, who.account_id)
    assert (ticket.category, ticket.priority) == ("security", "urgent")
    assert ticket.reference in done.text and "within 1 hour" in done.text, done.text
    assert sorted(ticket.context["details"]["devices_before"]) == sorted(
        ["Living room TV (tv)", "Sam's phone (mobile)"]
    )
    assert "account_compromised" in ticket.context["intents"]
    assert len(audits(db, who, "account.takeover_response")) == 1
    # The confirmation's submit retried by Rasa (same slots, same preview id): nothing happens twice.
    events = conversation.tracker()["events"]
    submit = max(
        i
        for i, e in enumerate(events)
        if e.get("event") == "action" and e.get("name") == "action_apply_pending_change"
    )
    conversation.replace_events(events[:submit])
    replayed = conversation.execute("action_apply_pending_change")
    assert ticket.reference in replayed.text, replayed.text
    assert len(tickets_of(db, who.account_id)) == 1
    assert count(db, EmailOutboxMessage, EmailOutboxMessage.account_id == who.account_id) == 1
    assert len(audits(db, who, "account.takeover_response")) == 1


def test_too_many_streams_names_the_plans_screen_limit_and_the_streams(stack, db) -> None:
    who = new_subscriber(stack, db, plan="basic", streams=1)
    with session_scope(db) as session:
        screens = session.scalars(select(Plan.screens).where(Plan.code == "basic")).one()
    replies = chat_as(stack, who).say("it says too many people are watching")
    assert f"Your Basic plan lets {screens} screen" in replies.text and "1 playing now" in replies.text, (
        replies.text
    )
    assert "Living room TV (tv): Sam" in replies.text, replies.text
    assert f'/sign_out_device{{"device_id":"{who.devices["Living room TV"]}"}}' in replies.payloads
    assert "/compare_plans" in replies.payloads


def test_signing_out_one_device_from_its_button(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    listing = conversation.say("how many screens can I use")
    confirm = conversation.say(listing.button("Sign out Sam's phone"))
    assert "Sign out Sam's phone?" in confirm.text, confirm.text
    conversation.say("yes")
    with session_scope(db) as session:
        signed_in = {
            d.name: d.signed_in
            for d in session.scalars(select(Device).where(Device.account_id == who.account_id))
        }
    assert signed_in == {"Living room TV": True, "Sam's phone": False}
    [entry] = audits(db, who, "device.sign_out")
    assert entry.entity_id == str(who.devices["Sam's phone"])


# ---------------------------------------------------------------------------------------------------------
# Playback, parental controls, escalation, FAQ
# ---------------------------------------------------------------------------------------------------------


def test_playback_with_a_known_code_walks_the_steps_and_stops_when_fixed(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    first = conversation.say("error NW-2-5 on my TV")
    assert "Error NW-2-5 usually means the device cannot reach Marquee" in first.text, (
        conversation.transcript()
    )
    assert "Did that fix it?" in first.text
    second = conversation.say("no")
    assert "Let's try the next step" in second.text, conversation.transcript()
    assert "Great, glad it's working again" in conversation.say("yes").text
    assert tickets_of(db, who.account_id) == []


def test_playback_escalates_when_the_steps_are_exhausted(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("the video won't play")
    conversation.say('/playback_problem{"device":"mobile"}')
    steps = conversation.say("DL-110")
    assert "Error DL-110" in steps.text, conversation.transcript()
    for _ in range(3):  # DL-110 has three steps on a phone
        last = conversation.say("no, still not working")
    assert "We've tried all 3 steps" in last.text, conversation.transcript()
    [ticket] = tickets_of(db, who.account_id)
    assert ticket.reference in last.text and "technical support" in last.text
    assert (ticket.category, ticket.priority) == ("playback", "normal")
    details = ticket.context["details"]
    assert (details["device"], details["error_code"]) == ("mobile", "DL-110")
    assert details["steps_tried"] == ["remove_downloads", "manage_download_devices", "upgrade_plan"]


def test_asking_for_a_person_mid_form_opens_a_ticket_with_the_forms_slots_and_carries_on(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    first = conversation.say("error NW-2-5 on my TV")
    assert "Did that fix it?" in first.text, conversation.transcript()
    agent = conversation.say("let me talk to a person")
    tickets = tickets_of(db, who.account_id)
    assert len(tickets) == 1, conversation.transcript()
    [ticket] = tickets
    assert ticket.reference in agent.text and ticket.category == "playback", (ticket.category, agent.text)
    assert ticket.context["slots"]["playback_device"] == "tv", ticket.context["slots"]
    assert ticket.context["slots"]["playback_error_code"] == "NW-2-5", ticket.context["slots"]
    assert "Did that fix it?" in agent.text, conversation.transcript()  # the form asks its question again
    assert "Great, glad it's working again" in conversation.say("yes").text, conversation.transcript()


def test_an_invalid_device_is_re_asked(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("keeps buffering")
    replies = conversation.say("my toaster")
    assert "I don't know that kind of device" in replies.text, conversation.transcript()
    assert STOPPED_TEXT in conversation.say("stop").texts


def test_parental_controls_set_the_limit_and_keep_only_a_hash_of_the_pin(stack, db) -> None:
    who = new_subscriber(stack, db)
    pin = "4831"
    conversation = chat_as(stack, who)
    conversation.say("set parental controls")
    conversation.say("Kids")
    invalid = conversation.say("XYZ-99")
    assert "I don't know that rating" in invalid.text, conversation.transcript()
    conversation.say("TV-Y7")
    confirm = conversation.say(pin)
    assert "limit Kids to titles rated TV-Y7" in confirm.text, conversation.transcript()
    done = conversation.say("yes")
    assert "Done: Kids now shows titles rated up to TV-Y7" in done.text, conversation.transcript()
    with session_scope(db) as session:
        kids = session.get_one(Profile, who.kids_profile_id)
        assert kids.maturity_limit == maturity.rank("TV-Y7")
        assert kids.pin_hash and kids.pin_hash.startswith("scrypt$") and pin not in kids.pin_hash
        assert verify_secret(pin, kids.pin_hash)
    for replies in conversation.said:
        assert pin not in replies.text, replies.text
    # The channel hides a PIN typed at the PIN step, so not even the user event in the tracker holds it.
    assert pin not in json.dumps(conversation.tracker()), "the PIN is in Rasa's tracker"
    assert pin not in conversation.story()
    assert conversation.tracker()["slots"].get("parental_pin") is None
    assert pin not in json.dumps([a.details for a in audits(db, who)])


def test_refunds_and_legal_questions_are_escalated_with_their_priority(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    refund = conversation.say(f"refund {who.invoices[-1]}")
    legal = conversation.say("GDPR request")
    refund_ticket, legal_ticket = tickets_of(db, who.account_id)
    assert refund_ticket.reference in refund.text and "within 24 hours" in refund.text, refund.text
    assert (refund_ticket.category, refund_ticket.priority) == ("refund", "normal")
    assert refund_ticket.context["details"]["invoice"] == who.invoices[-1]
    assert legal_ticket.reference in legal.text and "within 4 hours" in legal.text, legal.text
    assert (legal_ticket.category, legal_ticket.priority) == ("legal", "high")
    assert legal_ticket.context["intents"][-2:] == ["request_refund", "legal_question"]


def test_talk_to_agent_after_a_billing_question_goes_to_the_billing_team(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("when is my next bill")
    replies = conversation.say("let me talk to a person")
    [ticket] = tickets_of(db, who.account_id)
    assert ticket.category == "billing" and "billing team" in replies.text, replies.text


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("how do I turn on subtitles", "subtitles"),
        ("how many downloads can I keep", "download_limits"),
        ("which devices does Marquee work on", "supported_devices"),
        ("how much data does streaming use", "data_usage"),
    ],
)
def test_faq_answers(stack, text: str, topic: str) -> None:
    replies = chat_as(stack, None).say(text)
    assert any(answer in replies.texts for answer in faq_answers(topic)), replies.text


# ---------------------------------------------------------------------------------------------------------
# Security: tokens, other accounts, hostile input
# ---------------------------------------------------------------------------------------------------------


def test_forged_expired_and_mismatched_tokens_are_refused_logged_and_see_nothing(stack, db) -> None:
    alice, bob = new_subscriber(stack, db), new_subscriber(stack, db)
    forged = issue_token(alice.account_id, alice.profile_id, secret="x" * 40)
    expired = issue_token(
        alice.account_id, alice.profile_id, secret=stack.token_secret, lifetime_seconds=60,
        now=datetime.now(UTC).timestamp() - 3600,
    )  # fmt: skip
    mismatched = issue_token(alice.account_id, bob.profile_id, secret=stack.token_secret)
    offset = log_size(stack.actions_log)
    senders = {}
    for label, token in (("forged", forged), ("expired", expired), ("mismatched", mismatched)):
        conversation = Chat(stack, {"marquee_token": token})
        senders[label] = conversation.sender
        for text in ("show my invoices", "switch me to premium", "sign me out everywhere"):
            replies = conversation.say(text)
            assert SIGN_IN_TEXT in replies.texts, (label, text, replies.text)
            assert "INV-" not in replies.text and "USD" not in replies.text, (label, replies.text)
    log = log_since(stack.actions_log, offset)
    assert re.search(rf"refused invalid token for conversation {senders['forged']}", log), log[-2000:]
    assert re.search(rf"refused expired token for conversation {senders['expired']}", log), log[-2000:]
    assert re.search(
        rf"refused token in conversation {senders['mismatched']}: profile {bob.profile_id} is not a profile "
        rf"of account {alice.account_id}", log
    ), log[-2000:]  # fmt: skip
    for who in (alice, bob):
        assert subscription_of(db, who).plan == "standard" and audits(db, who) == []
        with session_scope(db) as session:
            assert all(
                d.signed_in
                for d in session.scalars(select(Device).where(Device.account_id == who.account_id))
            )


def test_a_preview_set_through_the_http_api_for_another_account_is_refused(stack, db) -> None:
    mallory, victim = new_subscriber(stack, db), new_subscriber(stack, db)
    conversation = chat_as(stack, mallory)
    conversation.say("switch me to premium")
    preview = conversation.tracker()["slots"]["plan_change_preview"]
    assert preview and preview["account_id"] == mallory.account_id, preview
    offset = log_size(stack.actions_log)
    conversation.append_events(
        [
            {
                "event": "slot",
                "name": "plan_change_preview",
                "value": {**preview, "account_id": victim.account_id},
            }
        ]
    )
    replies = conversation.say("yes")
    assert "prepared for a different account" in replies.text, conversation.transcript()
    assert "refused plan_change confirmation" in log_since(stack.actions_log, offset)
    for who in (mallory, victim):
        assert subscription_of(db, who).plan == "standard" and audits(db, who) == []


def test_a_confirmation_arriving_with_another_accounts_token_is_refused(stack, db) -> None:
    alice, bob = new_subscriber(stack, db), new_subscriber(stack, db)
    conversation = chat_as(stack, alice)
    conversation.say("switch me to premium")
    offset = log_size(stack.actions_log)
    replies = conversation.say("yes", bob.metadata)
    assert "Done" not in replies.text, conversation.transcript()
    assert "refused plan_change confirmation" in log_since(stack.actions_log, offset)
    for who in (alice, bob):
        assert subscription_of(db, who).plan == "standard" and audits(db, who) == []


def test_another_accounts_device_and_invoice_cannot_be_reached_through_payloads(stack, db) -> None:
    alice, bob = new_subscriber(stack, db), new_subscriber(stack, db)
    conversation = chat_as(stack, alice)
    device = conversation.say(f'/sign_out_device{{"device_id":"{bob.devices["Living room TV"]}"}}')
    assert "can't find that device on your account" in device.text, device.text
    assert set(device.payloads) <= {f'/sign_out_device{{"device_id":"{i}"}}' for i in alice.devices.values()}
    refund = conversation.say(f'/request_refund{{"invoice_number":"{bob.invoices[-1]}"}}')
    assert "no invoice" in refund.text and money(1549, "USD") not in refund.text, refund.text
    with session_scope(db) as session:
        assert all(
            d.signed_in for d in session.scalars(select(Device).where(Device.account_id == bob.account_id))
        )
    assert tickets_of(db, bob.account_id) == [] and audits(db, bob) == []
    assert tickets_of(db, alice.account_id) == [] and audits(db, alice) == []


def test_junk_typed_where_the_device_is_asked_is_asked_again_not_taken_for_another_flow(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("the video won't play")
    replies = conversation.say(HTML[:30])
    assert "I don't know that kind of device" in replies.text, conversation.transcript()
    assert conversation.tracker()["active_loop"].get("name") == "playback_form", conversation.transcript()


def test_hostile_text_in_free_text_slots_gets_sane_replies_and_is_stored_inertly(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("the video won't play")
    conversation.say('/playback_problem{"device":"web"}')
    asked = conversation.say(SQL)  # the error-code slot, free text: an unknown code is kept as typed
    assert "What happens exactly?" in asked.text, conversation.transcript()
    done = conversation.say(f"{HTML} {TEMPLATE}")  # symptoms nobody has steps for: escalated at once
    tickets = tickets_of(db, who.account_id)
    assert len(tickets) == 1, conversation.transcript()
    [ticket] = tickets
    assert ticket.reference in done.text and "I don't have fix-up steps" in done.text, (
        conversation.transcript()
    )
    for replies in conversation.said:
        assert replies.text.strip(), "a hostile message got no reply"
        assert "<script>" not in replies.text and "{{" not in replies.text, replies.text
    details = ticket.context["details"]
    assert details["error_code"] == SQL, details
    assert details["symptoms"] == f"{HTML} {TEMPLATE}", details
    assert f"Subscriber: {SQL}" in ticket.transcript_excerpt
    assert f"Subscriber: {HTML} {TEMPLATE}" in ticket.transcript_excerpt
    assert inspect(db).has_table("support_tickets")


def test_hostile_and_very_long_cancellation_reasons_are_kept_inert_and_short(stack, db) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("cancel my subscription")
    reason = f"my budget is tight {HOSTILE} " + "blah " * 2000
    offer = conversation.say(reason)
    assert "cheaper Basic plan" in offer.text, conversation.transcript()
    confirm = conversation.say(offer.button("cancel anyway"))
    conversation.say(confirm.button("Yes"))
    [entry] = audits(db, who, "subscription.cancel_at_period_end")
    # Kept as typed, up to 500 characters (the validator and the service both collapse and trim spaces).
    assert entry.details["note"] == " ".join(reason.split())[:500].strip()
    assert subscription_of(db, who).cancel_at_period_end is True
    agent = conversation.say("let me talk to a person")
    tickets = tickets_of(db, who.account_id)
    assert len(tickets) == 1, conversation.transcript()
    [ticket] = tickets
    assert ticket.reference in agent.text
    excerpt = ticket.transcript_excerpt.splitlines()
    assert excerpt[0] == "Subscriber: cancel my subscription", excerpt
    hostile = next(line for line in excerpt if line.startswith("Subscriber: my budget is tight"))
    assert hostile.startswith(f"Subscriber: my budget is tight {HOSTILE} blah") and len(hostile) < 600
    assert inspect(db).has_table("subscriptions") and inspect(db).has_table("support_tickets")


def test_card_numbers_and_passwords_typed_in_support_flows_are_warned_and_masked_everywhere(
    stack, db
) -> None:
    who = new_subscriber(stack, db)
    conversation = chat_as(stack, who)
    conversation.say("cancel my subscription")
    # Typed as the reason for cancelling: warned once, and the reason kept (as the note) with the card masked.
    offer = conversation.say(f"honestly the monthly cost is more than my budget {CARD}")
    assert offer.texts[0] == CARD_WARNING, offer.texts
    assert sum(map(is_warning, offer.texts)) == 1, offer.texts
    assert "cheaper Basic plan" in offer.text, conversation.transcript()
    confirm = conversation.say(offer.button("cancel anyway"))
    conversation.say(confirm.button("Yes"))
    [entry] = audits(db, who, "subscription.cancel_at_period_end")
    assert entry.details["note"] == (
        "honestly the monthly cost is more than my budget [card number removed, ending 1111]"
    ), entry.details
    # A password while describing a problem, then a card number while asking for a person.
    password_turn = conversation.say(f"it keeps buffering and my password is {PASSWORD}")
    assert password_turn.texts[0] == PASSWORD_WARNING, password_turn.texts
    agent = conversation.say(f"talk to an agent please {CARD}")
    assert agent.texts[0] == CARD_WARNING and sum(map(is_warning, agent.texts)) == 1, agent.texts
    tickets = tickets_of(db, who.account_id)
    assert len(tickets) == 1, conversation.transcript()
    [ticket] = tickets
    assert ticket.reference in agent.text
    assert "[password removed]" in ticket.transcript_excerpt, ticket.transcript_excerpt
    assert (
        "Subscriber: talk to an agent please [card number removed, ending 1111]" in ticket.transcript_excerpt
    )
    assert "ending 1111" in ticket.subject, ticket.subject
    stored = {
        "ticket": json.dumps([ticket.subject, ticket.context, ticket.transcript_excerpt]),
        "audit": json.dumps([a.details for a in audits(db, who)]),
        "tracker": json.dumps(conversation.tracker()),
        "story": conversation.story(),
        "replies": conversation.transcript(),
    }
    for where, text in stored.items():
        for secret in (*CARD_FORMS, PASSWORD, PASSWORD.lower()):
            assert secret not in text, (where, secret)
