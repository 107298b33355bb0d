"""The agent console's work on support tickets: the queue, and take / assign / resolve with an audit trail.

Every change is a conditional UPDATE (the WHERE clause states what must still be true), so two agents
clicking "take" at once cannot both get the ticket, and repeating a request changes nothing and writes no
second audit entry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from accountdb.models import (
    AuditLogEntry,
    StaffRole,
    StaffUser,
    SupportTicket,
    TicketPriority,
    TicketStatus,
    utcnow,
)
from webapp.auth import StaffPrincipal

logger = logging.getLogger(__name__)

WORKABLE_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING)
MAX_NOTE_CHARS = 2000
PRIORITY_ORDER = case(
    {
        TicketPriority.URGENT.value: 0,
        TicketPriority.HIGH.value: 1,
        TicketPriority.NORMAL.value: 2,
        TicketPriority.LOW.value: 3,
    },
    value=SupportTicket.priority,
    else_=4,
)


class Outcome(StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"  # the ticket already was in the requested state
    CONFLICT = "conflict"  # someone else holds it, or it is no longer open
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"


def open_queue(session: Session, limit: int = 200) -> Sequence[SupportTicket]:
    """Open and pending tickets, most urgent first, oldest first within a priority."""
    return session.scalars(
        select(SupportTicket)
        .where(SupportTicket.status.in_([s.value for s in WORKABLE_STATUSES]))
        .order_by(PRIORITY_ORDER, SupportTicket.created_at, SupportTicket.id)
        .limit(limit)
    ).all()


def assignable_staff(session: Session) -> Sequence[str]:
    return session.scalars(
        select(StaffUser.username)
        .where(StaffUser.active.is_(True), StaffUser.role.in_([StaffRole.AGENT, StaffRole.SUPERVISOR]))
        .order_by(StaffUser.username)
    ).all()


def _audit(
    session: Session, staff: StaffPrincipal, action: str, ticket: SupportTicket, details: dict[str, Any]
) -> None:
    session.add(
        AuditLogEntry(
            actor=staff.actor,
            action=action,
            entity_type="support_ticket",
            entity_id=str(ticket.id),
            details={"reference": ticket.reference, **details},
            conversation_id=ticket.conversation_id,
        )
    )


def take(session: Session, ticket_id: int, staff: StaffPrincipal) -> Outcome:
    ticket = session.get(SupportTicket, ticket_id)
    if ticket is None:
        return Outcome.NOT_FOUND
    if ticket.assigned_agent == staff.username and ticket.status in WORKABLE_STATUSES:
        return Outcome.UNCHANGED
    result = session.execute(
        update(SupportTicket)
        .where(
            SupportTicket.id == ticket_id,
            SupportTicket.assigned_agent.is_(None),
            SupportTicket.status.in_([s.value for s in WORKABLE_STATUSES]),
        )
        .values(assigned_agent=staff.username, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return Outcome.CONFLICT
    _audit(session, staff, "ticket.take", ticket, {"assigned_agent": staff.username})
    logger.info("ticket %s taken by %s", ticket.reference, staff.username)
    return Outcome.DONE


def assign(session: Session, ticket_id: int, assignee: str, staff: StaffPrincipal) -> Outcome:
    if staff.role != StaffRole.SUPERVISOR:
        return Outcome.FORBIDDEN
    ticket = session.get(SupportTicket, ticket_id)
    if ticket is None:
        return Outcome.NOT_FOUND
    if assignee not in assignable_staff(session):
        return Outcome.CONFLICT
    if ticket.assigned_agent == assignee:
        return Outcome.UNCHANGED
    previous = ticket.assigned_agent
    result = session.execute(
        update(SupportTicket)
        .where(
            SupportTicket.id == ticket_id,
            SupportTicket.status.in_([s.value for s in WORKABLE_STATUSES]),
            SupportTicket.assigned_agent.is_(None)
            if previous is None
            else SupportTicket.assigned_agent == previous,
        )
        .values(assigned_agent=assignee, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return Outcome.CONFLICT
    _audit(session, staff, "ticket.assign", ticket, {"assigned_agent": assignee, "previous_agent": previous})
    logger.info("ticket %s assigned to %s by %s", ticket.reference, assignee, staff.username)
    return Outcome.DONE


def resolve(session: Session, ticket_id: int, staff: StaffPrincipal, note: str) -> Outcome:
    ticket = session.get(SupportTicket, ticket_id)
    if ticket is None:
        return Outcome.NOT_FOUND
    if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return Outcome.UNCHANGED
    # Agents resolve what they hold; supervisors may close anything still open.
    if staff.role != StaffRole.SUPERVISOR and ticket.assigned_agent != staff.username:
        return Outcome.FORBIDDEN
    conditions = [
        SupportTicket.id == ticket_id,
        SupportTicket.status.in_([s.value for s in WORKABLE_STATUSES]),
    ]
    if staff.role != StaffRole.SUPERVISOR:
        conditions.append(SupportTicket.assigned_agent == staff.username)
    result = session.execute(
        update(SupportTicket)
        .where(*conditions)
        .values(status=TicketStatus.SOLVED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return Outcome.CONFLICT
    _audit(session, staff, "ticket.resolve", ticket, {"note": note.strip()[:MAX_NOTE_CHARS]})
    logger.info("ticket %s resolved by %s", ticket.reference, staff.username)
    return Outcome.DONE


def recent_audit(
    session: Session, *, before_id: int | None = None, limit: int = 100
) -> Sequence[AuditLogEntry]:
    query = select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditLogEntry.id < before_id)
    return session.scalars(query).all()
