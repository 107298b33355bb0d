"""The agent console: who sees what, the queue order, and audited take / assign / resolve."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from webapp_testkit import csrf_of, login_staff
from webapp_world import STAFF_PASSWORD, WebWorld

from accountdb.engine import session_scope
from accountdb.models import AuditLogEntry, StaffUser, SupportTicket


def staff_client(make_client, username: str) -> TestClient:  # noqa: ANN001
    client = make_client()
    login_staff(client, username, STAFF_PASSWORD)
    return client


def ticket_action(client: TestClient, ticket_id: int, action: str, **fields: str):  # noqa: ANN201
    token = csrf_of(client, f"/console/tickets/{ticket_id}")
    return client.post(
        f"/console/tickets/{ticket_id}/{action}", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def audit_entries(engine: Engine, action: str) -> list[AuditLogEntry]:
    with session_scope(engine) as session:
        return list(session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == action)))


def test_console_pages_need_a_login(client: TestClient, web_world: WebWorld) -> None:
    for path in (
        "/console",
        "/console/tickets",
        f"/console/tickets/{web_world.tickets['MQ-URG01']}",
        "/console/audit",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/console/login?next=")


def test_agent_queue_lists_open_tickets_most_urgent_first(make_client) -> None:  # noqa: ANN001
    page = staff_client(make_client, "ana").get("/console/tickets").text
    positions = [page.index(reference) for reference in ("MQ-URG01", "MQ-NRM01", "MQ-LOW01")]
    assert positions == sorted(positions)
    assert "MQ-DONE1" not in page, "solved tickets are not in the queue"


def test_roles_decide_what_each_person_sees(make_client) -> None:  # noqa: ANN001
    agent = staff_client(make_client, "ana")
    assert agent.get("/console/audit").status_code == 403
    assert agent.get("/console/marketing").status_code == 403
    marketer = staff_client(make_client, "mark")
    assert marketer.get("/console/tickets").status_code == 403
    assert marketer.get("/console", follow_redirects=False).headers["location"] == "/console/marketing"
    assert marketer.get("/console/marketing").status_code == 200
    supervisor = staff_client(make_client, "sue")
    assert supervisor.get("/console/tickets").status_code == 200
    assert supervisor.get("/console/audit").status_code == 200


def test_ticket_detail_shows_context_and_escapes_the_transcript(make_client, web_world: WebWorld) -> None:  # noqa: ANN001
    page = staff_client(make_client, "ana").get(f"/console/tickets/{web_world.tickets['MQ-URG01']}").text
    assert "recent_intents" in page and "ask_billing" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_taking_a_ticket_is_audited_once_and_blocks_other_agents(
    make_client,
    web_world: WebWorld,
    web_engine: Engine,  # noqa: ANN001
) -> None:
    ticket_id = web_world.tickets["MQ-URG01"]
    ana = staff_client(make_client, "ana")
    first = ticket_action(ana, ticket_id, "take")
    assert first.status_code == 303 and first.headers["location"].endswith("outcome=done")
    again = ticket_action(ana, ticket_id, "take")
    assert again.headers["location"].endswith("outcome=unchanged")
    ben = staff_client(make_client, "ben")
    assert ticket_action(ben, ticket_id, "take").headers["location"].endswith("outcome=conflict")

    (entry,) = audit_entries(web_engine, "ticket.take")
    assert entry.actor == "agent:ana" and entry.entity_id == str(ticket_id)
    assert entry.details["reference"] == "MQ-URG01" and entry.conversation_id == "web-conv-1"
    with session_scope(web_engine) as session:
        assert session.get(SupportTicket, ticket_id).assigned_agent == "ana"


def test_only_the_holder_or_a_supervisor_resolves(
    make_client, web_world: WebWorld, web_engine: Engine
) -> None:  # noqa: ANN001
    ticket_id = web_world.tickets["MQ-NRM01"]
    ana = staff_client(make_client, "ana")
    assert ticket_action(ana, ticket_id, "resolve", note="done").status_code == 403
    ticket_action(ana, ticket_id, "take")
    resolved = ticket_action(ana, ticket_id, "resolve", note="refunded the duplicate charge")
    assert resolved.headers["location"].endswith("outcome=done")
    assert (
        ticket_action(ana, ticket_id, "resolve", note="again")
        .headers["location"]
        .endswith("outcome=unchanged")
    )
    (entry,) = audit_entries(web_engine, "ticket.resolve")
    assert entry.actor == "agent:ana" and entry.details["note"] == "refunded the duplicate charge"
    with session_scope(web_engine) as session:
        assert session.get(SupportTicket, ticket_id).status == "solved"
    assert "MQ-NRM01" not in ana.get("/console/tickets").text


def test_supervisor_assigns_and_agents_cannot(make_client, web_world: WebWorld, web_engine: Engine) -> None:  # noqa: ANN001
    ticket_id = web_world.tickets["MQ-LOW01"]
    ana = staff_client(make_client, "ana")
    assert ticket_action(ana, ticket_id, "assign", assignee="ana").status_code == 403
    sue = staff_client(make_client, "sue")
    assert (
        ticket_action(sue, ticket_id, "assign", assignee="mark")
        .headers["location"]
        .endswith("outcome=conflict")
    )
    assert (
        ticket_action(sue, ticket_id, "assign", assignee="ben").headers["location"].endswith("outcome=done")
    )
    (entry,) = audit_entries(web_engine, "ticket.assign")
    assert entry.actor == "supervisor:sue" and entry.details["assigned_agent"] == "ben"
    audit_page = sue.get("/console/audit").text
    assert "supervisor:sue" in audit_page and "ticket.assign" in audit_page


def test_console_posts_need_the_csrf_token(make_client, web_world: WebWorld, web_engine: Engine) -> None:  # noqa: ANN001
    ticket_id = web_world.tickets["MQ-URG01"]
    ana = staff_client(make_client, "ana")
    response = ana.post(f"/console/tickets/{ticket_id}/take", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert audit_entries(web_engine, "ticket.take") == []


def test_logout_ends_the_staff_session(make_client) -> None:  # noqa: ANN001
    ana = staff_client(make_client, "ana")
    ana.post("/console/logout", data={"csrf_token": csrf_of(ana, "/console/tickets")})
    assert ana.get("/console/tickets", follow_redirects=False).status_code == 303


def test_deactivating_staff_ends_their_session_at_once(make_client, web_engine: Engine) -> None:  # noqa: ANN001
    ana = staff_client(make_client, "ana")
    with session_scope(web_engine) as session:
        session.scalars(select(StaffUser).where(StaffUser.username == "ana")).one().active = False
    assert ana.get("/console/tickets", follow_redirects=False).status_code == 303
