"""Escalation: a support ticket carrying the conversation's context, with a reference the subscriber is told
and the response time that goes with its priority. Refund requests and anything legal always come here.

Everything free-text (subject, slots, details, transcript) is redacted before it is stored.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accountdb.models import Account, Invoice, Profile, SupportTicket, TicketPriority, utcnow
from accountdb.services import audit
from accountdb.services.actor import Actor
from accountdb.services.errors import InvalidRequest, NotFound
from accountdb.services.idempotency import apply_once
from accountdb.services.records import account_for, live_subscription
from accountdb.services.redaction import redact, redact_data

logger = logging.getLogger(__name__)

MAX_SUBJECT_CHARS = 200
MAX_TRANSCRIPT_CHARS = 4000
MAX_TURNS = 20
MAX_INTENTS = 10
REFERENCE_PREFIX = "MQ-"
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
_REFERENCE_LENGTH = 6


class TicketCategory(StrEnum):
    BILLING = "billing"
    REFUND = "refund"
    LEGAL = "legal"
    PLAYBACK = "playback"
    ACCOUNT = "account"
    SECURITY = "security"
    CONTENT = "content"
    OTHER = "other"


DEFAULT_PRIORITY: dict[TicketCategory, TicketPriority] = {
    TicketCategory.SECURITY: TicketPriority.URGENT,
    TicketCategory.LEGAL: TicketPriority.HIGH,
    TicketCategory.BILLING: TicketPriority.NORMAL,
    TicketCategory.REFUND: TicketPriority.NORMAL,
    TicketCategory.PLAYBACK: TicketPriority.NORMAL,
    TicketCategory.ACCOUNT: TicketPriority.NORMAL,
    TicketCategory.CONTENT: TicketPriority.LOW,
    TicketCategory.OTHER: TicketPriority.NORMAL,
}
# First-response targets of the support team, by priority.
RESPONSE_TIMES: dict[TicketPriority, timedelta] = {
    TicketPriority.URGENT: timedelta(hours=1),
    TicketPriority.HIGH: timedelta(hours=4),
    TicketPriority.NORMAL: timedelta(hours=24),
    TicketPriority.LOW: timedelta(hours=72),
}


@dataclass(frozen=True)
class Turn:
    speaker: str  # "subscriber", "assistant" or "agent"
    text: str


@dataclass(frozen=True)
class ConversationContext:
    """What the assistant knows about the conversation: recent intents (oldest first), slots, the transcript."""

    intents: tuple[str, ...] = ()
    slots: dict[str, Any] = field(default_factory=dict)
    transcript: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class TicketReceipt:
    ticket_id: int
    reference: str
    category: str
    priority: str
    respond_by: datetime
    expected_response: str  # "within 4 hours"


def response_time_text(priority: TicketPriority) -> str:
    hours = int(RESPONSE_TIMES[priority].total_seconds() // 3600)
    return f"within {hours} hour" + ("" if hours == 1 else "s")


def transcript_excerpt(transcript: tuple[Turn, ...]) -> str:
    """The latest turns that fit MAX_TRANSCRIPT_CHARS, redacted, one "Speaker: text" line each."""
    lines: list[str] = []
    used = 0
    for turn in reversed(transcript[-MAX_TURNS:]):
        line = f"{turn.speaker.strip().capitalize() or 'Unknown'}: {redact(' '.join(turn.text.split()))}"
        if used + len(line) + 1 > MAX_TRANSCRIPT_CHARS:
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(reversed(lines))


def _json_safe(value: Any) -> Any:
    # Slots can hold anything Rasa accepted; keep what JSON can carry, stringify the rest.
    return json.loads(json.dumps(value, default=str))


def _new_reference(session: Session) -> str:
    for _ in range(5):
        reference = REFERENCE_PREFIX + "".join(
            secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH)
        )
        if session.scalar(select(SupportTicket.id).where(SupportTicket.reference == reference)) is None:
            return reference
    raise RuntimeError(
        "could not draw an unused ticket reference in 5 tries; the reference space needs widening"
    )


def create_ticket(
    session: Session,
    actor: Actor,
    account: Account | None,
    category: TicketCategory,
    subject: str,
    context: ConversationContext,
    priority: TicketPriority | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> TicketReceipt:
    """Insert the ticket and its audit entry (no access or idempotency checks: callers do those)."""
    now = now or utcnow()
    priority = priority or DEFAULT_PRIORITY[category]
    account_context: dict[str, Any] | None = None
    if account is not None:
        subscription = live_subscription(session, account.id)
        account_context = {
            "id": account.id,
            "country": account.country,
            "status": account.status,
            "plan": subscription.plan.code if subscription is not None else None,
            "subscription_status": subscription.status if subscription is not None else None,
        }
    profile_id = actor.profile_id
    if profile_id is not None and (
        account is None or session.get(Profile, profile_id) not in account.profiles
    ):
        profile_id = None  # a profile that is not the account's is not recorded against it
    ticket = SupportTicket(
        reference=_new_reference(session),
        account_id=account.id if account is not None else None,
        profile_id=profile_id,
        category=category,
        priority=priority,
        subject=redact(" ".join(subject.split()))[:MAX_SUBJECT_CHARS],
        context=redact_data(
            _json_safe(
                {
                    "channel": "chat",
                    "opened_by": actor.who,
                    "account": account_context,
                    "intents": list(context.intents[-MAX_INTENTS:]),
                    "slots": context.slots,
                    "details": details or {},
                }
            )
        ),
        transcript_excerpt=transcript_excerpt(context.transcript),
        conversation_id=actor.conversation_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    audit.record(
        session, actor, "support_ticket.create", "support_ticket", ticket.id,
        {"reference": ticket.reference, "category": category.value, "priority": priority.value},
    )  # fmt: skip
    logger.info(
        "ticket %s opened (%s, %s) for account %s", ticket.reference, category, priority, ticket.account_id
    )
    return TicketReceipt(
        ticket_id=ticket.id,
        reference=ticket.reference,
        category=category.value,
        priority=priority.value,
        respond_by=now + RESPONSE_TIMES[priority],
        expected_response=response_time_text(priority),
    )


def parse_category(category: str) -> TicketCategory:
    try:
        return TicketCategory((category or "").strip().lower())
    except ValueError:
        known = ", ".join(c.value for c in TicketCategory)
        raise InvalidRequest(f"unknown ticket category {category!r}; use one of: {known}") from None


def open_ticket(
    session: Session,
    actor: Actor,
    account_id: int,
    category: str,
    subject: str,
    context: ConversationContext,
    confirmation_id: str,
    priority: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> TicketReceipt:
    """Escalate to a human. A retried request (same confirmation) returns the ticket already opened."""
    parsed_category = parse_category(category)
    try:
        parsed_priority = TicketPriority(priority) if priority else None
    except ValueError:
        known = ", ".join(p.value for p in TicketPriority)
        raise InvalidRequest(f"unknown priority {priority!r}; use one of: {known}") from None
    if not subject or not subject.strip():
        raise InvalidRequest("a ticket needs a subject: one line saying what the subscriber needs")
    account = account_for(session, actor, account_id)
    return apply_once(
        session, actor, "support_ticket.create", account_id, confirmation_id,
        {"account_id": account_id, "category": parsed_category.value, "subject": redact(subject.strip())},
        TicketReceipt,
        lambda: create_ticket(session, actor, account, parsed_category, subject, context, parsed_priority, details, now),
    )  # fmt: skip


def request_refund(
    session: Session,
    actor: Actor,
    account_id: int,
    invoice_number: str,
    why: str,
    context: ConversationContext,
    confirmation_id: str,
    now: datetime | None = None,
) -> TicketReceipt:
    """Refunds are decided by people: open a refund ticket for one of the account's invoices."""
    account_for(session, actor, account_id)
    invoice = session.scalar(
        select(Invoice).where(
            Invoice.account_id == account_id, Invoice.number == (invoice_number or "").strip().upper()
        )
    )
    if invoice is None:
        raise NotFound(
            f"this account has no invoice {invoice_number!r}; check the number on the invoice history"
        )
    details = {
        "invoice": invoice.number,
        "amount_cents": invoice.amount_cents,
        "currency": invoice.currency,
        "invoice_status": invoice.status,
        "why": why,
    }
    return open_ticket(
        session, actor, account_id, TicketCategory.REFUND, f"Refund request for {invoice.number}", context,
        confirmation_id, details=details, now=now,
    )  # fmt: skip
