"""Subscriber and staff sign-in: passwords, lockouts, the demo switch, profile choice and CSRF."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from webapp_testkit import csrf_of, login_staff, sign_in_subscriber
from webapp_world import ALICE_PASSWORD, PROFILE_PIN, STAFF_PASSWORD, WebWorld

from accountdb.engine import session_scope
from accountdb.models import Account, AuditLogEntry, StaffUser
from webapp.login_throttle import LoginThrottle
from webapp.routes.auth import SUBSCRIBER_MAX_FAILED_LOGINS


def post_signin(client: TestClient, email: str, password: str):  # noqa: ANN201
    return client.post(
        "/signin",
        data={"email": email, "password": password, "csrf_token": csrf_of(client, "/signin")},
        follow_redirects=False,
    )


def post_console_login(client: TestClient, username: str, password: str):  # noqa: ANN201
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(client, "/console/login")},
        follow_redirects=False,
    )


def test_subscriber_signs_in_picks_a_profile_and_reaches_the_chat(
    client: TestClient, web_world: WebWorld
) -> None:
    sign_in_subscriber(client, "Alice@Example.com ", ALICE_PASSWORD)
    picker = client.get("/profiles")
    assert picker.status_code == 200
    assert "Alice" in picker.text and "Kiddo" in picker.text and "Kids" in picker.text
    chosen = client.post(
        "/profiles/select",
        data={
            "profile_id": web_world.profiles["alice@example.com/Alice"],
            "csrf_token": csrf_of(client, "/profiles"),
        },
        follow_redirects=False,
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/chat"
    chat = client.get("/chat")
    assert "Hi Alice!" in chat.text and "chatting as a guest" not in chat.text


def test_wrong_password_is_refused_and_counted(client: TestClient, web_engine: Engine) -> None:
    response = post_signin(client, "alice@example.com", "not-the-password")
    assert response.status_code == 401
    assert "email or password is not right" in response.text
    with session_scope(web_engine) as session:
        alice = session.scalars(select(Account).where(Account.email == "alice@example.com")).one()
        assert alice.failed_login_count == 1
    sign_in_subscriber(client, "alice@example.com", ALICE_PASSWORD)
    with session_scope(web_engine) as session:
        assert (
            session.scalar(select(Account.failed_login_count).where(Account.email == "alice@example.com"))
            == 0
        )


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    response = post_signin(client, "nobody@example.com", "whatever-password")
    assert response.status_code == 401
    assert "email or password is not right" in response.text


def test_account_locks_after_repeated_failures(make_client, web_engine: Engine) -> None:  # noqa: ANN001
    client = make_client()
    client.app.state.login_throttle = LoginThrottle(max_failures=1000)
    for _ in range(SUBSCRIBER_MAX_FAILED_LOGINS):
        assert post_signin(client, "alice@example.com", "guess").status_code == 401
    locked = post_signin(client, "alice@example.com", ALICE_PASSWORD)
    assert locked.status_code == 423
    assert "locked" in locked.text
    with session_scope(web_engine) as session:
        assert session.scalar(select(Account.status).where(Account.email == "alice@example.com")) == "locked"
        entry = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "account.lock")).one()
        assert entry.actor == "system"


def test_too_many_failures_from_one_address_are_throttled(make_client) -> None:  # noqa: ANN001
    client = make_client()
    client.app.state.login_throttle = LoginThrottle(max_failures=3)
    for _ in range(3):
        post_signin(client, "nobody@example.com", "guess")
    response = post_signin(client, "alice@example.com", ALICE_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text


def test_login_throttle_forgets_failures_after_the_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(max_failures=2, window_s=60, clock=lambda: now[0])
    throttle.record_failure("10.0.0.1")
    throttle.record_failure("10.0.0.1")
    assert 0 < throttle.retry_after_s("10.0.0.1") <= 61
    assert throttle.retry_after_s("10.0.0.2") == 0
    now[0] += 61
    assert throttle.retry_after_s("10.0.0.1") == 0


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    client.get("/signin")
    response = client.post(
        "/signin", data={"email": "alice@example.com", "password": ALICE_PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    missing = client.post(
        "/signin",
        data={"email": "alice@example.com", "password": ALICE_PASSWORD},
        headers={"Accept": "text/html"},
    )
    assert missing.status_code == 422
    assert "csrf_token" in missing.text


def test_demo_signin_is_off_unless_enabled(make_client, web_world: WebWorld) -> None:  # noqa: ANN001
    normal = make_client()
    assert "Demo sign-in" not in normal.get("/signin").text
    refused = normal.post(
        "/signin/demo", data={"email": "bob@example.com", "csrf_token": csrf_of(normal, "/signin")}
    )
    assert refused.status_code == 404
    demo = make_client(demo_signin=True)
    assert "demo only" in demo.get("/signin").text
    accepted = demo.post(
        "/signin/demo",
        data={"email": "bob@example.com", "csrf_token": csrf_of(demo, "/signin")},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert "Bob" in demo.get("/profiles").text


def test_a_profile_of_another_account_cannot_be_chosen(client: TestClient, web_world: WebWorld) -> None:
    sign_in_subscriber(client, "alice@example.com", ALICE_PASSWORD)
    response = client.post(
        "/profiles/select",
        data={
            "profile_id": web_world.profiles["bob@example.com/Bob"],
            "csrf_token": csrf_of(client, "/profiles"),
        },
    )
    assert response.status_code == 404


def test_a_pin_protected_profile_needs_its_pin(client: TestClient, web_world: WebWorld) -> None:
    sign_in_subscriber(client, "alice@example.com", ALICE_PASSWORD)
    profile_id = web_world.profiles["alice@example.com/Private"]
    token = csrf_of(client, "/profiles")
    wrong = client.post(
        "/profiles/select", data={"profile_id": profile_id, "pin": "0000", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "PIN" in wrong.text
    right = client.post(
        "/profiles/select",
        data={"profile_id": profile_id, "pin": PROFILE_PIN, "csrf_token": token},
        follow_redirects=False,
    )
    assert right.status_code == 303


def test_signing_out_ends_the_subscriber_session(client: TestClient) -> None:
    sign_in_subscriber(client, "alice@example.com", ALICE_PASSWORD)
    client.post("/signout", data={"csrf_token": csrf_of(client, "/profiles")})
    assert client.get("/profiles", follow_redirects=False).headers["location"] == "/signin"


def test_staff_wrong_password_fails_and_right_one_opens_the_console(client: TestClient) -> None:
    wrong = post_console_login(client, "ana", "wrong-password")
    assert wrong.status_code == 401 and "username or password is not right" in wrong.text
    login_staff(client, "ana", STAFF_PASSWORD)
    queue = client.get("/console/tickets")
    assert queue.status_code == 200 and "Open tickets" in queue.text


def test_staff_login_locks_after_repeated_failures(make_client, web_engine: Engine) -> None:  # noqa: ANN001
    client = make_client(login_max_failures=3)
    for _ in range(3):
        assert post_console_login(client, "ben", "wrong-password").status_code == 401
    locked = post_console_login(client, "ben", STAFF_PASSWORD)
    assert locked.status_code == 423
    assert "locked" in locked.text
    with session_scope(web_engine) as session:
        assert session.scalar(select(StaffUser.locked_until).where(StaffUser.username == "ben")) is not None
        assert session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "staff.lockout")).one()


def test_inactive_staff_cannot_log_in(client: TestClient) -> None:
    assert post_console_login(client, "retired", STAFF_PASSWORD).status_code == 401


def test_login_redirect_target_stays_inside_the_console(client: TestClient) -> None:
    token = csrf_of(client, "/console/login")
    response = client.post(
        "/console/login",
        data={
            "username": "ana",
            "password": STAFF_PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console"
