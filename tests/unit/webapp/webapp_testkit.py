"""Helpers the web app tests share: test secrets and driving the sign-in forms through a TestClient.

(A module of its own, not conftest.py: several conftest.py files are on the path, so `from conftest import`
would be ambiguous.)
"""

from __future__ import annotations

from fastapi.testclient import TestClient

TOKEN_SECRET = "webapp-unit-test-token-secret-0123456789abcdef"
SESSION_SECRET = "webapp-unit-test-session-secret-0123456789abcdef"


def csrf_of(client: TestClient, page: str = "/chat") -> str:
    """The CSRF token the server put into a page's <meta name="csrf-token">."""
    html = client.get(page).text
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def login_staff(client: TestClient, username: str, password: str) -> None:
    token = csrf_of(client, "/console/login")
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def sign_in_subscriber(client: TestClient, email: str, password: str) -> None:
    token = csrf_of(client, "/signin")
    response = client.post(
        "/signin", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/profiles", response.text
