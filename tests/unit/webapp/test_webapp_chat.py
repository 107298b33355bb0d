"""The chat page and POST /api/chat: forwarding to Rasa, identity, limits, and Rasa being down."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from webapp_testkit import TOKEN_SECRET, csrf_of, sign_in_subscriber
from webapp_world import ALICE_PASSWORD, WebWorld

from accountdb.engine import session_scope
from accountdb.models import Account
from actions.identity import verify_token
from webapp.chat_replies import to_bot_messages
from webapp.rasa_client import REST_WEBHOOK_PATH, RasaClient
from webapp.routes.chat import TROUBLE_TEXT

RASA_REPLIES = [
    {"recipient_id": "x", "text": "Here are some picks:"},
    {
        "recipient_id": "x",
        "custom": {
            "title_cards": [
                {
                    "id": 7,
                    "title": "Harbor Lights",
                    "year": 2021,
                    "type": "movie",
                    "genres": ["Drama"],
                    "runtime": 100,
                    "maturity": "PG-13",
                    "reason": "Because you liked quiet dramas",
                    "onclick": "alert(1)",
                },
                {"title": "no id, dropped"},
            ]
        },
    },
    {"recipient_id": "x", "text": "More?", "buttons": [{"title": "Yes", "payload": "/affirm"}, "junk"]},
    {"recipient_id": "x", "image": "javascript:alert(1)"},
]


class FakeRasa:
    """Stands in for Rasa's REST channel (a trained Rasa cannot run inside a unit test); records requests."""

    def __init__(self, replies: list[dict] | None = None) -> None:
        self.replies = RASA_REPLIES if replies is None else replies
        self.requests: list[dict] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == REST_WEBHOOK_PATH
        self.requests.append(json.loads(request.content))
        return httpx.Response(200, json=self.replies)


@pytest.fixture
def fake_rasa(client: TestClient) -> FakeRasa:
    fake = FakeRasa()
    client.app.state.rasa = RasaClient("http://rasa.test", transport=httpx.MockTransport(fake.handle))
    return fake


def post_chat(client: TestClient, message: str, **extra: object) -> httpx.Response:
    return client.post(
        "/api/chat", json={"message": message, **extra}, headers={"X-CSRF-Token": csrf_of(client)}
    )


def test_guest_chat_page_renders_with_csrf_token_and_limits(client: TestClient) -> None:
    page = client.get("/chat")
    assert page.status_code == 200
    assert 'id="chat-form"' in page.text and 'data-max-chars="2000"' in page.text
    assert 'dir="auto"' in page.text
    assert "chatting as a guest" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_rasa_down_gives_503_with_a_clear_message(client: TestClient) -> None:
    # settings point MARQUEE_RASA_URL at a closed port
    response = post_chat(client, "something funny please")
    assert response.status_code == 503
    assert response.json() == {"detail": TROUBLE_TEXT}


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections but never answers, like a hung Rasa."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_rasa_that_never_answers_gives_503_not_a_hang(make_client, silent_server: int) -> None:  # noqa: ANN001
    client = make_client(rasa_url=f"http://127.0.0.1:{silent_server}", rasa_read_timeout_s=0.3)
    response = post_chat(client, "hello")
    assert response.status_code == 503
    assert response.json()["detail"] == TROUBLE_TEXT


def test_rasa_server_error_gives_503(client: TestClient) -> None:
    client.app.state.rasa = RasaClient(
        "http://rasa.test", transport=httpx.MockTransport(lambda request: httpx.Response(500, text="boom"))
    )
    assert post_chat(client, "hello").status_code == 503


def test_oversized_and_empty_messages_are_refused_before_rasa(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    too_long = post_chat(client, "a" * 2001)
    assert too_long.status_code == 413
    assert "limit is 2000" in too_long.json()["detail"]
    empty = post_chat(client, "   ")
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]
    assert post_chat(client, "a" * 2000).status_code == 200
    assert len(fake_rasa.requests) == 1


def test_huge_request_body_is_refused_with_413(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = post_chat(client, "b" * 200_000)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert fake_rasa.requests == []


def test_chat_without_csrf_header_is_refused(client: TestClient, fake_rasa: FakeRasa) -> None:
    client.get("/chat")
    response = client.post("/api/chat", json={"message": "hi"})
    assert response.status_code == 403
    assert fake_rasa.requests == []


def test_guest_messages_carry_no_token_and_a_server_chosen_sender(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    post_chat(client, "hi", sender="victim-conversation", metadata={"marquee_token": "forged"})
    post_chat(client, "again")
    first, second = fake_rasa.requests
    assert first["metadata"] == {} and first["message"] == "hi"
    assert first["sender"].startswith("web-") and first["sender"] != "victim-conversation"
    assert second["sender"] == first["sender"], "one browser session is one conversation"
    other_browser = TestClient(client.app, base_url="http://testserver")
    post_chat(other_browser, "hello")
    assert fake_rasa.requests[2]["sender"] != first["sender"]


def test_signed_in_messages_carry_a_token_for_the_chosen_profile(
    client: TestClient, fake_rasa: FakeRasa, web_world: WebWorld
) -> None:
    sign_in_subscriber(client, "alice@example.com", ALICE_PASSWORD)
    profile_id = web_world.profiles["alice@example.com/Alice"]
    client.post(
        "/profiles/select", data={"profile_id": profile_id, "csrf_token": csrf_of(client, "/profiles")}
    )
    assert post_chat(client, "what should I watch").status_code == 200
    token = fake_rasa.requests[0]["metadata"]["marquee_token"]
    assert verify_token(token, secret=TOKEN_SECRET) == (web_world.accounts["alice@example.com"], profile_id)


def test_a_locked_account_stops_getting_tokens_at_once(
    client: TestClient, fake_rasa: FakeRasa, web_world: WebWorld, web_engine: Engine
) -> None:
    sign_in_subscriber(client, "alice@example.com", ALICE_PASSWORD)
    client.post(
        "/profiles/select",
        data={
            "profile_id": web_world.profiles["alice@example.com/Alice"],
            "csrf_token": csrf_of(client, "/profiles"),
        },
    )
    with session_scope(web_engine) as session:
        session.get(Account, web_world.accounts["alice@example.com"]).status = "locked"
    response = post_chat(client, "what is my next bill")
    assert response.status_code == 401 and "Sign in again" in response.json()["detail"]
    assert fake_rasa.requests == []
    assert "chatting as a guest" in client.get("/chat").text


def test_replies_are_reduced_to_safe_text_buttons_and_title_cards(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    body = post_chat(client, "recommend").json()
    messages = body["messages"]
    assert messages[0]["text"] == "Here are some picks:"
    (card,) = messages[1]["title_cards"]
    assert card["title"] == "Harbor Lights" and card["runtime"] == 100 and card["maturity"] == "PG-13"
    assert "onclick" not in card
    assert messages[2]["buttons"] == [{"title": "Yes", "payload": "/affirm"}]
    assert len(messages) == 3, "the javascript: image is dropped, leaving an empty message out"


def test_the_bots_own_card_payload_shape_is_understood() -> None:
    # actions/replies.py sends {"type": "title_cards", "cards": [...]} with runtime_minutes for movies.
    (message,) = to_bot_messages(
        [
            {
                "text": "Try these",
                "custom": {
                    "type": "title_cards",
                    "cards": [
                        {"id": 3, "title": "A", "type": "movie", "runtime_minutes": 95, "genres": ["Drama"]},
                        {"id": 4, "title": "B", "type": "series", "seasons": 3, "maturity": "TV-14"},
                        {"id": True, "title": "bad id"},
                        "not a card",
                    ],
                },
            }
        ]
    )
    assert [(c.id, c.runtime, c.seasons) for c in message.title_cards] == [(3, 95, None), (4, None, 3)]


def test_signed_in_chat_page_without_a_profile_goes_to_the_picker(client: TestClient) -> None:
    sign_in_subscriber(client, "alice@example.com", ALICE_PASSWORD)
    response = client.get("/chat", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/profiles"
