"""Who is calling: subscriber and staff sessions, and the FastAPI dependencies that enforce them.

Subscribers sign in with email and password (or, on demo servers only, by email) and then pick a profile;
the session holds the account and profile ids, never a token, and a short-lived subscriber token is
signed for each chat message. Staff sign in to the console with username and password; the marketing
API also accepts a staff member's bearer API key.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Engine, select

from accountdb.engine import session_scope
from accountdb.models import StaffRole, StaffUser
from webapp.csrf import HEADER as CSRF_HEADER
from webapp.csrf import check_csrf
from webapp.settings import Settings

SUBSCRIBER_KEY = "subscriber"
STAFF_KEY = "staff"
CONVERSATION_KEY = "conversation_id"
API_KEY_PREFIX = "mq_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class SubscriberSession:
    account_id: int
    email: str
    profile_id: int | None = None
    profile_name: str | None = None


@dataclass(frozen=True)
class StaffPrincipal:
    id: int
    username: str
    role: str
    via: str  # "session" or "api_key"

    @property
    def actor(self) -> str:
        """How audit entries name this person, e.g. "agent:ana"."""
        return f"{self.role}:{self.username}"


class LoginRequired(Exception):
    """A console page was opened without a staff session; the handler redirects to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- subscriber session ------------------------------------------------------------------------------


def current_subscriber(request: Request) -> SubscriberSession | None:
    raw = request.session.get(SUBSCRIBER_KEY)
    if not isinstance(raw, dict) or not isinstance(raw.get("account_id"), int):
        return None
    return SubscriberSession(
        account_id=raw["account_id"],
        email=str(raw.get("email", "")),
        profile_id=raw.get("profile_id") if isinstance(raw.get("profile_id"), int) else None,
        profile_name=raw.get("profile_name") if isinstance(raw.get("profile_name"), str) else None,
    )


def start_subscriber_session(request: Request, account_id: int, email: str) -> None:
    # A fresh session on sign-in: nothing from before (a guest conversation, an old CSRF token) carries over,
    # which also defeats session fixation.
    staff = request.session.get(STAFF_KEY)
    request.session.clear()
    if staff is not None:
        request.session[STAFF_KEY] = staff
    request.session[SUBSCRIBER_KEY] = {"account_id": account_id, "email": email}


def choose_profile(
    request: Request, subscriber: SubscriberSession, profile_id: int, profile_name: str
) -> None:
    request.session[SUBSCRIBER_KEY] = {
        "account_id": subscriber.account_id,
        "email": subscriber.email,
        "profile_id": profile_id,
        "profile_name": profile_name,
    }
    # Each profile gets its own conversation: the assistant's memory of one viewer must not leak to another.
    request.session.pop(CONVERSATION_KEY, None)


def end_subscriber_session(request: Request) -> None:
    request.session.pop(SUBSCRIBER_KEY, None)
    request.session.pop(CONVERSATION_KEY, None)


def conversation_id(request: Request) -> str:
    """The Rasa sender id for this browser session; made here, never taken from the client."""
    current = request.session.get(CONVERSATION_KEY)
    if not isinstance(current, str) or not current.startswith("web-"):
        current = f"web-{secrets.token_hex(16)}"
        request.session[CONVERSATION_KEY] = current
    return current


# --- staff session and API keys ------------------------------------------------------------------------


def start_staff_session(request: Request, staff: StaffUser) -> None:
    subscriber = request.session.get(SUBSCRIBER_KEY)
    request.session.clear()
    if subscriber is not None:
        request.session[SUBSCRIBER_KEY] = subscriber
    request.session[STAFF_KEY] = {"id": staff.id, "since": int(time.time())}


def end_staff_session(request: Request) -> None:
    request.session.pop(STAFF_KEY, None)


def api_key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def _load_active_staff(
    engine: Engine, staff_id: int | None = None, key_digest: str | None = None
) -> tuple[int, str, str] | None:
    with session_scope(engine) as session:
        query = select(StaffUser).where(StaffUser.active.is_(True))
        query = (
            query.where(StaffUser.id == staff_id)
            if staff_id is not None
            else query.where(StaffUser.api_key_sha256 == key_digest)
        )
        staff = session.scalars(query).one_or_none()
        if staff is None:
            return None
        return staff.id, staff.username, staff.role


def staff_from_session(request: Request) -> StaffPrincipal | None:
    raw = request.session.get(STAFF_KEY)
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
        return None
    since = raw.get("since")
    if not isinstance(since, int) or time.time() - since > settings_of(request).staff_session_max_age_s:
        end_staff_session(request)
        return None
    # Re-read the row on every request so that deactivating someone or changing their role takes effect now.
    found = _load_active_staff(engine_of(request), staff_id=raw["id"])
    if found is None:
        end_staff_session(request)
        return None
    return StaffPrincipal(*found, via="session")


def staff_from_api_key(request: Request) -> StaffPrincipal | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    found = _load_active_staff(engine_of(request), key_digest=api_key_digest(credentials.strip()))
    if found is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="The API key is not valid (revoked, mistyped, or its user was deactivated). "
            "Ask for a new one with `marquee staff api-key --username NAME`.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return StaffPrincipal(*found, via="api_key")


def require_console_staff(*roles: StaffRole):
    """Dependency for console pages: redirect to the login page when signed out, 403 for the wrong role."""
    allowed = {str(role) for role in roles}

    def dependency(request: Request) -> StaffPrincipal:
        staff = staff_from_session(request)
        if staff is None:
            raise LoginRequired(next_url=request.url.path)
        if staff.role not in allowed:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"Your role ({staff.role}) cannot open this page; it is for: {', '.join(sorted(allowed))}.",
            )
        return staff

    return Depends(dependency)


def require_api_staff(*roles: StaffRole):
    """Dependency for JSON APIs: a bearer API key, or a console session plus the CSRF header on writes."""
    allowed = {str(role) for role in roles}

    def dependency(request: Request) -> StaffPrincipal:
        staff = staff_from_api_key(request)
        if staff is None:
            staff = staff_from_session(request)
            if staff is not None and request.method not in SAFE_METHODS:
                check_csrf(request, request.headers.get(CSRF_HEADER))
        if staff is None:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Sign in to the console, or send `Authorization: Bearer <API key>`.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if staff.role not in allowed:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"Your role ({staff.role}) cannot use this API; it needs one of: {', '.join(sorted(allowed))}.",
            )
        return staff

    return Depends(dependency)
