"""The agent console: ticket queue and detail, take / assign / resolve, and the supervisors' audit log."""

from __future__ import annotations

import json

from fastapi import APIRouter, Form, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from accountdb.engine import session_scope
from accountdb.models import Campaign, StaffRole, SupportTicket
from webapp import campaigns, tickets
from webapp.auth import StaffPrincipal, engine_of, require_console_staff
from webapp.csrf import check_csrf
from webapp.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)

TICKET_ROLES = (StaffRole.AGENT, StaffRole.SUPERVISOR)
any_staff = require_console_staff(*StaffRole)
ticket_staff = require_console_staff(*TICKET_ROLES)
supervisor = require_console_staff(StaffRole.SUPERVISOR)
marketing_staff = require_console_staff(StaffRole.MARKETER, StaffRole.SUPERVISOR)
MAX_ID = 2**31 - 1
OUTCOME_MESSAGES = {
    tickets.Outcome.DONE: "Done.",
    tickets.Outcome.UNCHANGED: "Nothing to change: the ticket was already like that.",
    tickets.Outcome.CONFLICT: "Someone else changed this ticket first (or the person is not assignable). "
    "The page now shows its current state.",
}


@router.get("")
def home(staff: StaffPrincipal = any_staff) -> Response:
    # Marketers have no ticket queue; send each role to the page it can use.
    if staff.role == StaffRole.MARKETER:
        return RedirectResponse("/console/marketing", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse("/console/tickets", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/tickets")
def queue(request: Request, staff: StaffPrincipal = ticket_staff) -> Response:
    with session_scope(engine_of(request)) as session:
        open_tickets = tickets.open_queue(session)
        return render(request, "console/queue.html", staff=staff, tickets=open_tickets)


@router.get("/tickets/{ticket_id}")
def ticket_detail(
    request: Request,
    ticket_id: int = Path(ge=1, le=MAX_ID),
    outcome: str | None = None,
    staff: StaffPrincipal = ticket_staff,
) -> Response:
    with session_scope(engine_of(request)) as session:
        ticket = session.get(SupportTicket, ticket_id)
        if ticket is None:
            raise HTTPException(
                status_code=404, detail=f"There is no ticket {ticket_id}. Pick one from the queue."
            )
        message = OUTCOME_MESSAGES.get(tickets.Outcome(outcome)) if outcome in set(tickets.Outcome) else None
        return render(
            request,
            "console/ticket.html",
            staff=staff,
            ticket=ticket,
            account=ticket.account,
            context_json=json.dumps(ticket.context, indent=2, ensure_ascii=False, sort_keys=True),
            assignable=tickets.assignable_staff(session) if staff.role == StaffRole.SUPERVISOR else [],
            outcome=outcome,
            message=message,
        )


def _after(ticket_id: int, outcome: tickets.Outcome) -> Response:
    if outcome == tickets.Outcome.NOT_FOUND:
        raise HTTPException(
            status_code=404, detail=f"There is no ticket {ticket_id}. Pick one from the queue."
        )
    if outcome == tickets.Outcome.FORBIDDEN:
        raise HTTPException(
            status_code=403,
            detail="You can only change tickets you hold; a supervisor can reassign or resolve any ticket.",
        )
    return RedirectResponse(
        f"/console/tickets/{ticket_id}?outcome={outcome.value}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/tickets/{ticket_id}/take")
def take_ticket(
    request: Request,
    ticket_id: int = Path(ge=1, le=MAX_ID),
    csrf_token: str = Form(),
    staff: StaffPrincipal = ticket_staff,
) -> Response:
    check_csrf(request, csrf_token)
    with session_scope(engine_of(request)) as session:
        outcome = tickets.take(session, ticket_id, staff)
    return _after(ticket_id, outcome)


@router.post("/tickets/{ticket_id}/assign")
def assign_ticket(
    request: Request,
    ticket_id: int = Path(ge=1, le=MAX_ID),
    assignee: str = Form(max_length=64),
    csrf_token: str = Form(),
    staff: StaffPrincipal = supervisor,
) -> Response:
    check_csrf(request, csrf_token)
    with session_scope(engine_of(request)) as session:
        outcome = tickets.assign(session, ticket_id, assignee, staff)
    return _after(ticket_id, outcome)


@router.post("/tickets/{ticket_id}/resolve")
def resolve_ticket(
    request: Request,
    ticket_id: int = Path(ge=1, le=MAX_ID),
    note: str = Form(default="", max_length=tickets.MAX_NOTE_CHARS),
    csrf_token: str = Form(),
    staff: StaffPrincipal = ticket_staff,
) -> Response:
    check_csrf(request, csrf_token)
    with session_scope(engine_of(request)) as session:
        outcome = tickets.resolve(session, ticket_id, staff, note)
    return _after(ticket_id, outcome)


@router.get("/audit")
def audit_log(
    request: Request,
    before: int | None = None,
    staff: StaffPrincipal = supervisor,
) -> Response:
    with session_scope(engine_of(request)) as session:
        entries = tickets.recent_audit(session, before_id=before)
        return render(
            request,
            "console/audit.html",
            staff=staff,
            entries=entries,
            next_before=entries[-1].id if len(entries) == 100 else None,
        )


@router.get("/marketing")
def marketing_home(request: Request, staff: StaffPrincipal = marketing_staff) -> Response:
    with session_scope(engine_of(request)) as session:
        recent = session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(50)).all()
        rows = [(campaign, campaigns.delivery_counts(session, campaign.id)) for campaign in recent]
        return render(request, "console/marketing.html", staff=staff, rows=rows)
