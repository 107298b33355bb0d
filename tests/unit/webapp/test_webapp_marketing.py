"""The marketing API: authentication and roles, consent-only audiences, rendering, and idempotent sends."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from webapp_testkit import csrf_of, login_staff
from webapp_world import (
    AGENT_API_KEY,
    MARKETER_API_KEY,
    RETIRED_API_KEY,
    STAFF_PASSWORD,
    WebWorld,
    build_web_world,
)

from accountdb import migrate
from accountdb.engine import make_engine, session_scope
from accountdb.models import Account, AuditLogEntry, CampaignDelivery
from webapp.app import create_app
from webapp.settings import Settings

MARKETER = {"Authorization": f"Bearer {MARKETER_API_KEY}"}
TEMPLATE = "Hi {first_name}, tonight try {top_pick}."


def create_campaign(client: TestClient, **overrides: object) -> dict:
    body = {"name": "Winter picks", "message_template": TEMPLATE, **overrides}
    response = client.post("/api/marketing/campaigns", json=body, headers=MARKETER)
    assert response.status_code == 201, response.text
    return response.json()


def consenting_ids(engine: Engine) -> set[int]:
    with session_scope(engine) as session:
        return set(session.scalars(select(Account.id).where(Account.marketing_consent.is_(True))))


def deliveries(engine: Engine, campaign_id: int) -> list[CampaignDelivery]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(CampaignDelivery)
                .where(CampaignDelivery.campaign_id == campaign_id)
                .order_by(CampaignDelivery.account_id)
            )
        )


def test_the_api_needs_a_key_or_a_session(client: TestClient) -> None:
    response = client.get("/api/marketing/campaigns")
    assert response.status_code == 401
    assert "Bearer" in response.headers["www-authenticate"]
    bad_key = client.get("/api/marketing/campaigns", headers={"Authorization": "Bearer mq_nope"})
    assert bad_key.status_code == 401 and "marquee staff api-key" in bad_key.json()["detail"]


def test_only_marketers_and_supervisors_may_use_it(client: TestClient, make_client) -> None:  # noqa: ANN001
    assert (
        client.get(
            "/api/marketing/campaigns", headers={"Authorization": f"Bearer {AGENT_API_KEY}"}
        ).status_code
        == 403
    )
    assert (
        client.get(
            "/api/marketing/campaigns", headers={"Authorization": f"Bearer {RETIRED_API_KEY}"}
        ).status_code
        == 401
    )
    assert client.get("/api/marketing/campaigns", headers=MARKETER).status_code == 200
    supervisor = make_client()
    login_staff(supervisor, "sue", STAFF_PASSWORD)
    assert supervisor.get("/api/marketing/campaigns").status_code == 200


def test_session_callers_need_the_csrf_header_to_write(make_client) -> None:  # noqa: ANN001
    marketer = make_client()
    login_staff(marketer, "mark", STAFF_PASSWORD)
    body = {"name": "From the console", "message_template": "Hello {first_name}"}
    assert marketer.post("/api/marketing/campaigns", json=body).status_code == 403
    token = csrf_of(marketer, "/console/marketing")
    created = marketer.post("/api/marketing/campaigns", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi {email}", "not supported"),
        ("Hi {first_name.__class__}", "not supported"),
        ("Hi {first_name!r}", "not supported"),
        ("Hi {first_name", "unmatched brace"),
        ("   ", "blank"),
    ],
)
def test_templates_with_unknown_or_unsafe_placeholders_are_refused(
    client: TestClient, template: str, expected: str
) -> None:
    response = client.post(
        "/api/marketing/campaigns", json={"name": "x", "message_template": template}, headers=MARKETER
    )
    assert response.status_code == 422
    assert expected in response.text


def test_a_segment_cannot_target_non_consenting_accounts(client: TestClient) -> None:
    response = client.post(
        "/api/marketing/audience-preview", json={"marketing_consent": False}, headers=MARKETER
    )
    assert response.status_code == 422


def test_audience_preview_counts_only_consenting_accounts(client: TestClient, web_engine: Engine) -> None:
    def size(segment: dict) -> int:
        response = client.post("/api/marketing/audience-preview", json=segment, headers=MARKETER)
        assert response.status_code == 200, response.text
        return response.json()["audience_size"]

    # alice (US, standard), carla (GB, premium), dan (US, no plan), noa (IL, basic); bob (US, premium) refused
    assert size({}) == len(consenting_ids(web_engine)) == 4
    assert size({"countries": ["US"]}) == 2
    assert size({"plans": ["premium"]}) == 1
    assert size({"countries": ["US"], "plans": ["premium"]}) == 0
    assert size({"countries": ["GB", "IL"], "plans": ["basic", "premium"]}) == 2


def test_send_messages_consenting_accounts_once_even_when_retried(
    client: TestClient, web_engine: Engine, web_world: WebWorld
) -> None:
    campaign = create_campaign(client)
    first = client.post(f"/api/marketing/campaigns/{campaign['id']}/send", headers=MARKETER)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["audience_size"] == 4 and report["created"] == 4 and report["status"] == "sent"

    rows = deliveries(web_engine, campaign["id"])
    assert {row.account_id for row in rows} == consenting_ids(web_engine)
    assert web_world.accounts["bob@example.com"] not in {row.account_id for row in rows}
    by_account = {row.account_id: row for row in rows}
    alice = by_account[web_world.accounts["alice@example.com"]]
    # Alice watched Harbor Lights, so her pick is the next most popular US title.
    assert alice.status == "sent" and alice.rendered_message == "Hi Alice, tonight try Night Shift Diaries."
    assert alice.profile_id == web_world.profiles["alice@example.com/Alice"]
    noa = by_account[web_world.accounts["noa@example.com"]]
    assert noa.rendered_message == "Hi נועה, tonight try The Quiet Orchard."
    dan = by_account[web_world.accounts["dan@example.com"]]
    assert dan.status == "skipped" and dan.rendered_message is None, "Dan has watched every US title"

    retry = client.post(f"/api/marketing/campaigns/{campaign['id']}/send", headers=MARKETER).json()
    assert retry["created"] == 0 and retry["sent"] == 3 and retry["skipped"] == 1
    assert [(r.id, r.rendered_message) for r in deliveries(web_engine, campaign["id"])] == [
        (r.id, r.rendered_message) for r in rows
    ]

    stats = client.get(f"/api/marketing/campaigns/{campaign['id']}/stats", headers=MARKETER).json()
    assert stats == {
        "campaign_id": campaign["id"],
        "status": "sent",
        "total": 4,
        "queued": 0,
        "sent": 3,
        "failed": 0,
        "skipped": 1,
    }
    with session_scope(web_engine) as session:
        sends = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "campaign.send")).all()
        assert [entry.actor for entry in sends] == ["marketer:mark", "marketer:mark"]


def test_consent_withdrawn_before_sending_is_respected(
    client: TestClient, web_engine: Engine, web_world: WebWorld
) -> None:
    campaign = create_campaign(client, message_template="Hello {first_name}")
    assert (
        client.get(f"/api/marketing/campaigns/{campaign['id']}/audience", headers=MARKETER).json()[
            "audience_size"
        ]
        == 4
    )
    with session_scope(web_engine) as session:
        session.get(Account, web_world.accounts["carla@example.com"]).marketing_consent = False
    report = client.post(f"/api/marketing/campaigns/{campaign['id']}/send", headers=MARKETER).json()
    assert report["audience_size"] == 3
    assert web_world.accounts["carla@example.com"] not in {
        r.account_id for r in deliveries(web_engine, campaign["id"])
    }


def test_unknown_campaign_gives_404(client: TestClient) -> None:
    for method, path in (
        ("GET", "/api/marketing/campaigns/999"),
        ("POST", "/api/marketing/campaigns/999/send"),
        ("GET", "/api/marketing/campaigns/999/stats"),
    ):
        response = client.request(method, path, headers=MARKETER)
        assert response.status_code == 404 and "no campaign 999" in response.json()["detail"]


def test_created_campaign_reads_back_with_its_segment(client: TestClient) -> None:
    campaign = create_campaign(client, segment={"countries": ["US"], "plans": ["standard"]})
    fetched = client.get(f"/api/marketing/campaigns/{campaign['id']}", headers=MARKETER).json()
    assert fetched["segment"] == {"countries": ["US"], "plans": ["standard"], "marketing_consent": True}
    assert fetched["status"] == "draft"
    listed = client.get("/api/marketing/campaigns", headers=MARKETER).json()
    assert [c["id"] for c in listed] == [campaign["id"]]


def test_send_is_idempotent_on_postgresql_too(postgres_url: str, settings: Settings) -> None:
    migrate.upgrade(postgres_url)
    engine = make_engine(postgres_url)
    try:
        world = build_web_world(engine)
        with TestClient(create_app(replace(settings, database_url=postgres_url))) as client:
            campaign = create_campaign(client)
            first = client.post(f"/api/marketing/campaigns/{campaign['id']}/send", headers=MARKETER).json()
            second = client.post(f"/api/marketing/campaigns/{campaign['id']}/send", headers=MARKETER).json()
        assert (first["created"], second["created"]) == (4, 0)
        rows = deliveries(engine, campaign["id"])
        assert len(rows) == 4 and world.accounts["bob@example.com"] not in {r.account_id for r in rows}
    finally:
        engine.dispose()
