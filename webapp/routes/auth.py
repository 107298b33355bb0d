"""Signing in and out: subscribers (then a profile) for the chat, staff for the console."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accountdb.engine import session_scope
from accountdb.models import Account, AccountStatus, AuditLogEntry, Profile, StaffUser, utcnow
from accountdb.security import hash_secret, verify_secret
from webapp.auth import (
    choose_profile,
    client_address,
    current_subscriber,
    end_staff_session,
    end_subscriber_session,
    engine_of,
    settings_of,
    staff_from_session,
    start_staff_session,
    start_subscriber_session,
)
from webapp.csrf import check_csrf
from webapp.templating import render

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# Subscribers get more tries than staff before the account locks: a locked subscriber needs support to get back in.
SUBSCRIBER_MAX_FAILED_LOGINS = 10
DEMO_EMAIL_HINT = "demo@marquee.example"
BAD_CREDENTIALS = "The email or password is not right. Check both and try again."
BAD_STAFF_CREDENTIALS = "The username or password is not right."


@functools.cache
def _decoy_hash() -> str:
    # Checked against when the user does not exist, so a wrong username costs as long as a wrong password
    # and response times do not reveal which usernames exist.
    return hash_secret("decoy password never used")


def _throttled(request: Request) -> str | None:
    wait_s = request.app.state.login_throttle.retry_after_s(client_address(request))
    if wait_s:
        minutes = max(1, round(wait_s / 60))
        return f"Too many failed sign-ins from your network. Wait about {minutes} minute(s) and try again."
    return None


# --- subscribers ---------------------------------------------------------------------------------------


@router.get("/signin")
def signin_page(request: Request) -> Response:
    settings = settings_of(request)
    return render(
        request,
        "signin.html",
        subscriber=current_subscriber(request),
        demo_signin=settings.demo_signin,
        demo_email=DEMO_EMAIL_HINT,
    )


def _signin_error(request: Request, message: str, email: str, status_code: int) -> Response:
    settings = settings_of(request)
    return render(
        request,
        "signin.html",
        status_code=status_code,
        subscriber=None,
        error=message,
        email=email,
        demo_signin=settings.demo_signin,
        demo_email=DEMO_EMAIL_HINT,
    )


@router.post("/signin")
def signin(
    request: Request,
    email: str = Form(max_length=320),
    password: str = Form(max_length=1024),
    csrf_token: str = Form(),
) -> Response:
    check_csrf(request, csrf_token)
    email = email.strip().lower()
    throttled = _throttled(request)
    if throttled:
        return _signin_error(request, throttled, email, status.HTTP_429_TOO_MANY_REQUESTS)
    with session_scope(engine_of(request)) as session:
        account = session.scalars(select(Account).where(Account.email == email)).one_or_none()
        if account is None or account.password_hash is None:
            verify_secret(password, _decoy_hash())
            request.app.state.login_throttle.record_failure(client_address(request))
            logger.info("subscriber sign-in failed: no account with a password for that email")
            return _signin_error(request, BAD_CREDENTIALS, email, status.HTTP_401_UNAUTHORIZED)
        if account.status == AccountStatus.LOCKED:
            logger.info("subscriber sign-in refused: account %s is locked", account.id)
            return _signin_error(
                request,
                "This account is locked after too many failed sign-ins. Chat with the assistant as a guest "
                "and ask about a locked account, or contact support, to unlock it.",
                email,
                status.HTTP_423_LOCKED,
            )
        if not account.check_password(password):
            request.app.state.login_throttle.record_failure(client_address(request))
            _record_subscriber_failure(session, account.id)
            return _signin_error(request, BAD_CREDENTIALS, email, status.HTTP_401_UNAUTHORIZED)
        account.failed_login_count = 0
        account_id, account_email = account.id, account.email
    start_subscriber_session(request, account_id, account_email)
    logger.info("subscriber signed in: account %s", account_id)
    return RedirectResponse("/profiles", status_code=status.HTTP_303_SEE_OTHER)


def _record_subscriber_failure(session: Session, account_id: int) -> None:
    # One UPDATE with the increment in SQL, so concurrent failures are all counted.
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(failed_login_count=Account.failed_login_count + 1)
    )
    failures = session.scalar(select(Account.failed_login_count).where(Account.id == account_id))
    logger.info("subscriber sign-in failed: account %s, %s consecutive failures", account_id, failures)
    if failures is not None and failures >= SUBSCRIBER_MAX_FAILED_LOGINS:
        session.execute(update(Account).where(Account.id == account_id).values(status=AccountStatus.LOCKED))
        session.add(
            AuditLogEntry(
                actor="system",
                action="account.lock",
                entity_type="account",
                entity_id=str(account_id),
                details={"reason": "too many failed sign-ins", "failed_login_count": failures},
            )
        )
        logger.warning("locked account %s after %s failed sign-ins", account_id, failures)


@router.post("/signin/demo")
def demo_signin(request: Request, email: str = Form(max_length=320), csrf_token: str = Form()) -> Response:
    check_csrf(request, csrf_token)
    if not settings_of(request).demo_signin:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail="Demo sign-in is disabled on this server. Sign in with your email and password.",
        )
    email = email.strip().lower()
    with session_scope(engine_of(request)) as session:
        account = session.scalars(select(Account).where(Account.email == email)).one_or_none()
        if account is None:
            return _signin_error(
                request,
                f"No subscriber has the email {email}. Seed the demo world (`marquee seed`) or check the address.",
                email,
                status.HTTP_404_NOT_FOUND,
            )
        account_id, account_email = account.id, account.email
    start_subscriber_session(request, account_id, account_email)
    logger.warning("DEMO sign-in without password: account %s", account_id)
    return RedirectResponse("/profiles", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/profiles")
def profiles_page(request: Request) -> Response:
    subscriber = current_subscriber(request)
    if subscriber is None:
        return RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)
    with session_scope(engine_of(request)) as session:
        profiles = session.scalars(
            select(Profile).where(Profile.account_id == subscriber.account_id).order_by(Profile.id)
        ).all()
        return render(request, "profiles.html", subscriber=subscriber, profiles=profiles)


@router.post("/profiles/select")
def select_profile(
    request: Request,
    profile_id: int = Form(),
    pin: str = Form(default="", max_length=16),
    csrf_token: str = Form(),
) -> Response:
    check_csrf(request, csrf_token)
    subscriber = current_subscriber(request)
    if subscriber is None:
        return RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)
    with session_scope(engine_of(request)) as session:
        # The profile must belong to the signed-in account: the form's id is only a choice among its own.
        profile = session.scalars(
            select(Profile).where(Profile.id == profile_id, Profile.account_id == subscriber.account_id)
        ).one_or_none()
        if profile is None:
            raise HTTPException(
                status_code=status.HTTP_404_NOT_FOUND,
                detail="That profile is not part of your account. Pick one of the profiles shown.",
            )
        if profile.pin_hash is not None and not (pin and profile.check_pin(pin)):
            profiles = session.scalars(
                select(Profile).where(Profile.account_id == subscriber.account_id).order_by(Profile.id)
            ).all()
            return render(
                request,
                "profiles.html",
                status_code=status.HTTP_401_UNAUTHORIZED,
                subscriber=subscriber,
                profiles=profiles,
                error=f"The profile {profile.name} is locked with a PIN. Enter its 4-digit PIN.",
                pin_profile_id=profile.id,
            )
        chosen_id, chosen_name = profile.id, profile.name
    choose_profile(request, subscriber, chosen_id, chosen_name)
    logger.info("account %s chose profile %s", subscriber.account_id, chosen_id)
    return RedirectResponse("/chat", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/signout")
def signout(request: Request, csrf_token: str = Form()) -> Response:
    check_csrf(request, csrf_token)
    end_subscriber_session(request)
    return RedirectResponse("/signin", status_code=status.HTTP_303_SEE_OTHER)


# --- staff ---------------------------------------------------------------------------------------------


def _safe_next(next_url: str | None) -> str:
    # Only paths inside the console: an absolute or protocol-relative URL would be an open redirect.
    if next_url and next_url.startswith("/console") and not next_url.startswith("//"):
        return next_url
    return "/console"


@router.get("/console/login")
def console_login_page(request: Request, next: str | None = None) -> Response:
    if staff_from_session(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    return render(request, "console/login.html", next=_safe_next(next))


def _login_error(request: Request, message: str, username: str, next_url: str, status_code: int) -> Response:
    return render(
        request,
        "console/login.html",
        status_code=status_code,
        error=message,
        username=username,
        next=next_url,
    )


@router.post("/console/login")
def console_login(
    request: Request,
    username: str = Form(max_length=64),
    password: str = Form(max_length=1024),
    csrf_token: str = Form(),
    next: str = Form(default="/console"),
) -> Response:
    check_csrf(request, csrf_token)
    settings = settings_of(request)
    next_url = _safe_next(next)
    username = username.strip()
    throttled = _throttled(request)
    if throttled:
        return _login_error(request, throttled, username, next_url, status.HTTP_429_TOO_MANY_REQUESTS)
    now = utcnow()
    with session_scope(engine_of(request)) as session:
        staff = session.scalars(
            select(StaffUser).where(func.lower(StaffUser.username) == username.lower())
        ).one_or_none()
        if staff is None or not staff.active:
            verify_secret(password, _decoy_hash())
            request.app.state.login_throttle.record_failure(client_address(request))
            logger.info("console login failed for unknown or inactive username")
            return _login_error(
                request, BAD_STAFF_CREDENTIALS, username, next_url, status.HTTP_401_UNAUTHORIZED
            )
        if staff.locked_until is not None and staff.locked_until > now:
            minutes = max(1, round((staff.locked_until - now).total_seconds() / 60))
            logger.info("console login refused: %s is locked for %s more minute(s)", staff.username, minutes)
            return _login_error(
                request,
                f"This login is locked after too many failed attempts. Try again in about {minutes} minute(s), "
                "or ask a supervisor to unlock it (`marquee staff unlock`).",
                username,
                next_url,
                status.HTTP_423_LOCKED,
            )
        if not staff.check_password(password):
            request.app.state.login_throttle.record_failure(client_address(request))
            session.execute(
                update(StaffUser)
                .where(StaffUser.id == staff.id)
                .values(failed_login_count=StaffUser.failed_login_count + 1)
            )
            failures = (
                session.scalar(select(StaffUser.failed_login_count).where(StaffUser.id == staff.id)) or 0
            )
            logger.info("console login failed: %s, %s consecutive failures", staff.username, failures)
            if failures >= settings.login_max_failures:
                session.execute(
                    update(StaffUser)
                    .where(StaffUser.id == staff.id)
                    .values(
                        locked_until=now + timedelta(seconds=settings.login_lockout_s), failed_login_count=0
                    )
                )
                session.add(
                    AuditLogEntry(
                        actor="system",
                        action="staff.lockout",
                        entity_type="staff_user",
                        entity_id=str(staff.id),
                        details={"username": staff.username, "failed_attempts": failures},
                    )
                )
                logger.warning("locked console login %s after %s failed attempts", staff.username, failures)
            return _login_error(
                request, BAD_STAFF_CREDENTIALS, username, next_url, status.HTTP_401_UNAUTHORIZED
            )
        staff.failed_login_count = 0
        staff.locked_until = None
        staff.last_login_at = now
        session.flush()
        start_staff_session(request, staff)
        logger.info("console login: %s (%s)", staff.username, staff.role)
    return RedirectResponse(next_url, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/console/logout")
def console_logout(request: Request, csrf_token: str = Form()) -> Response:
    check_csrf(request, csrf_token)
    end_staff_session(request)
    return RedirectResponse("/console/login", status_code=status.HTTP_303_SEE_OTHER)


def login_redirect(next_url: str) -> RedirectResponse:
    return RedirectResponse(f"/console/login?next={quote(next_url)}", status_code=status.HTTP_303_SEE_OTHER)
