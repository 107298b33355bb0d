"""Sign-in and security: password reset by e-mail, locked accounts, "someone else is using my account",
and too many streams for the plan.

The assistant never shows a reset link in chat (whoever else is using the account could be reading): the
link goes to the e-mail address on file, through the outbox, and the subscriber is told the masked address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accountdb.models import (
    Account,
    AccountStatus,
    AuditLogEntry,
    Device,
    DeviceSession,
    EmailOutboxMessage,
    LinkPurpose,
    Profile,
    utcnow,
)
from accountdb.services import audit
from accountdb.services.actor import Actor
from accountdb.services.errors import InvalidRequest, NotFound
from accountdb.services.idempotency import apply_once
from accountdb.services.links import issue_link, redeem_link
from accountdb.services.records import account_for, live_subscription
from accountdb.services.tickets import ConversationContext, TicketCategory, create_ticket

logger = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256


@dataclass(frozen=True)
class ResetEmailSent:
    masked_email: str
    expires_at: datetime


@dataclass(frozen=True)
class LockStatus:
    locked: bool
    failed_login_count: int
    reason: str
    unlock_steps: tuple[str, ...]


@dataclass(frozen=True)
class DeviceInfo:
    device_id: int
    name: str
    kind: str
    platform: str | None
    last_seen_at: datetime | None
    signed_in: bool
    streaming_now: bool


@dataclass(frozen=True)
class SignOutResult:
    devices_signed_out: int
    streams_ended: int


@dataclass(frozen=True)
class TakeoverResponse:
    devices_signed_out: int
    streams_ended: int
    masked_email: str
    ticket_reference: str
    expected_response: str


@dataclass(frozen=True)
class ActiveStream:
    device_id: int
    device_name: str
    device_kind: str
    profile_name: str
    started_at: datetime
    ip_country: str | None


@dataclass(frozen=True)
class StreamUsage:
    plan_name: str | None
    screens: int  # simultaneous streams the plan allows (0 without a live subscription)
    active: int
    at_limit: bool  # another stream would be refused
    streams: tuple[ActiveStream, ...]


def mask_email(address: str) -> str:
    """ "jane.doe@example.com" -> "j***@e***.com": enough to recognise, too little to harvest."""
    local, _, domain = address.partition("@")
    name, _, suffix = domain.rpartition(".")
    if not name:  # a domain without a dot; still hide all but its first letter
        name, suffix = domain, ""
    return f"{local[:1]}***@{name[:1]}***" + (f".{suffix}" if suffix else "")


def _queue_reset_email(
    session: Session, account: Account, conversation_id: str | None, now: datetime
) -> ResetEmailSent:
    link = issue_link(session, account.id, LinkPurpose.PASSWORD_RESET, conversation_id, now)
    minutes = int((link.expires_at - now).total_seconds() // 60)
    session.add(
        EmailOutboxMessage(
            account_id=account.id,
            to_address=account.email,
            subject="Reset your Marquee password",
            body=(
                f"Hi {account.name},\n\nSomeone (hopefully you) asked to reset the password of your Marquee "
                f"account. Choose a new password here within {minutes} minutes:\n\n{link.url}\n\nThe link works "
                "once. If you did not ask for this, you can ignore this e-mail; your password stays the same.\n"
            ),
            created_at=now,
        )
    )
    return ResetEmailSent(mask_email(account.email), link.expires_at)


def send_password_reset(
    session: Session, actor: Actor, account_id: int, confirmation_id: str, now: datetime | None = None
) -> ResetEmailSent:
    """E-mail a single-use reset link to the address on file; works for locked accounts too."""
    account = account_for(session, actor, account_id)
    now = now or utcnow()

    def apply() -> ResetEmailSent:
        sent = _queue_reset_email(session, account, actor.conversation_id, now)
        audit.record(
            session, actor, "account.password_reset_sent", "account", account.id, {"to": sent.masked_email}
        )
        logger.info("password reset e-mail queued for account %s", account.id)
        return sent

    return apply_once(
        session, actor, "account.password_reset", account_id, confirmation_id, {"account_id": account_id},
        ResetEmailSent, apply,
    )  # fmt: skip


def _check_new_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password or "") <= MAX_PASSWORD_CHARS:
        raise InvalidRequest(f"choose a password of {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")


def complete_password_reset(
    session: Session, token: str, new_password: str, now: datetime | None = None
) -> int:
    """The reset page's submit: use up the link, set the password, unlock, sign out every device.

    Returns the account id. Raises LinkRejected (bad, expired or used link) or InvalidRequest (weak password).
    """
    _check_new_password(new_password)
    now = now or utcnow()
    account_id = redeem_link(session, token, LinkPurpose.PASSWORD_RESET, now)
    account = session.get_one(Account, account_id)
    account.set_password(new_password)
    was_locked = account.status == AccountStatus.LOCKED
    account.status = AccountStatus.ACTIVE
    account.failed_login_count = 0
    signed_out = _sign_out_all(session, account_id, now)
    session.add(
        AuditLogEntry(
            actor=f"subscriber:{account_id}",
            action="account.password_reset",
            entity_type="account",
            entity_id=str(account_id),
            details={"unlocked": was_locked, "devices_signed_out": signed_out.devices_signed_out},
        )
    )
    logger.info("password reset completed for account %s", account_id)
    return account_id


def explain_lock(session: Session, actor: Actor, account_id: int) -> LockStatus:
    account = account_for(session, actor, account_id)
    reset_step = (
        "use the password-reset link we e-mail to the address on file; setting a new password unlocks it"
    )
    if account.status != AccountStatus.LOCKED:
        steps = (
            "check the e-mail address you sign in with",
            "if you forgot the password, ask for a reset link",
        )
        return LockStatus(False, account.failed_login_count, "the account is not locked", steps)
    if account.failed_login_count > 0:
        reason = f"the account was locked after {account.failed_login_count} wrong password attempts, to keep it safe"
        steps = (reset_step,)
    else:
        reason = "the account was locked by our security team"
        steps = (reset_step, "if the reset does not unlock it, a support agent will check it with you")
    return LockStatus(True, account.failed_login_count, reason, steps)


def list_devices(session: Session, actor: Actor, account_id: int) -> list[DeviceInfo]:
    """The account's devices, most recently seen first."""
    account_for(session, actor, account_id)
    streaming = set(
        session.scalars(
            select(DeviceSession.device_id)
            .join(Device)
            .where(Device.account_id == account_id, DeviceSession.ended_at.is_(None))
        )
    )
    devices = session.scalars(
        select(Device).where(Device.account_id == account_id).order_by(Device.last_seen_at.desc(), Device.id)
    )
    return [
        DeviceInfo(d.id, d.name, d.kind, d.platform, d.last_seen_at, d.signed_in, d.id in streaming)
        for d in devices
    ]


def _end_streams(session: Session, device_ids: list[int], now: datetime) -> int:
    if not device_ids:
        return 0
    open_sessions = session.scalars(
        select(DeviceSession).where(DeviceSession.device_id.in_(device_ids), DeviceSession.ended_at.is_(None))
    ).all()
    for stream in open_sessions:
        stream.ended_at = max(now, stream.started_at)  # a clock-skewed start must not break ends_after_start
    return len(open_sessions)


def _sign_out_all(session: Session, account_id: int, now: datetime) -> SignOutResult:
    device_ids = list(session.scalars(select(Device.id).where(Device.account_id == account_id)))
    streams = _end_streams(session, device_ids, now)
    signed_out = session.execute(
        update(Device)
        .where(Device.account_id == account_id, Device.signed_in.is_(True))
        .values(signed_in=False)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    return SignOutResult(signed_out, streams)


def sign_out_all_devices(
    session: Session, actor: Actor, account_id: int, confirmation_id: str, now: datetime | None = None
) -> SignOutResult:
    account_for(session, actor, account_id)
    now = now or utcnow()

    def apply() -> SignOutResult:
        result = _sign_out_all(session, account_id, now)
        audit.record(
            session, actor, "account.sign_out_all", "account", account_id,
            {"devices": result.devices_signed_out, "streams_ended": result.streams_ended},
        )  # fmt: skip
        logger.info("account %s: %s devices signed out", account_id, result.devices_signed_out)
        return result

    return apply_once(
        session, actor, "account.sign_out_all", account_id, confirmation_id, {"account_id": account_id},
        SignOutResult, apply,
    )  # fmt: skip


def sign_out_device(
    session: Session,
    actor: Actor,
    account_id: int,
    device_id: int,
    confirmation_id: str,
    now: datetime | None = None,
) -> SignOutResult:
    account_for(session, actor, account_id)
    now = now or utcnow()

    def apply() -> SignOutResult:
        device = session.get(Device, device_id)
        if device is None or device.account_id != account_id:
            raise NotFound(f"this account has no device {device_id}; list the devices and pick one of them")
        streams = _end_streams(session, [device.id], now)
        was_signed_in = device.signed_in
        device.signed_in = False
        audit.record(
            session,
            actor,
            "device.sign_out",
            "device",
            device.id,
            {"name": device.name, "streams_ended": streams},
        )
        logger.info("device %s of account %s signed out", device.id, account_id)
        return SignOutResult(int(was_signed_in), streams)

    return apply_once(
        session, actor, "device.sign_out", account_id, confirmation_id,
        {"account_id": account_id, "device_id": device_id}, SignOutResult, apply,
    )  # fmt: skip


def force_password_reset(
    session: Session, actor: Actor, account_id: int, confirmation_id: str, now: datetime | None = None
) -> ResetEmailSent:
    """The current password stops working now; a reset link goes to the e-mail on file."""
    account = account_for(session, actor, account_id)
    now = now or utcnow()

    def apply() -> ResetEmailSent:
        account.password_hash = None
        sent = _queue_reset_email(session, account, actor.conversation_id, now)
        audit.record(
            session, actor, "account.force_password_reset", "account", account.id, {"to": sent.masked_email}
        )
        return sent

    return apply_once(
        session, actor, "account.force_password_reset", account_id, confirmation_id, {"account_id": account_id},
        ResetEmailSent, apply,
    )  # fmt: skip


def report_account_takeover(
    session: Session,
    actor: Actor,
    account_id: int,
    context: ConversationContext,
    confirmation_id: str,
    now: datetime | None = None,
) -> TakeoverResponse:
    """ "Someone else is using my account": sign out everywhere, force a password reset, open an urgent ticket,
    all in one transaction."""
    account = account_for(session, actor, account_id)
    now = now or utcnow()

    def apply() -> TakeoverResponse:
        devices = list_devices(session, actor, account_id)
        signed_out = _sign_out_all(session, account_id, now)
        account.password_hash = None
        sent = _queue_reset_email(session, account, actor.conversation_id, now)
        receipt = create_ticket(
            session, actor, account, TicketCategory.SECURITY, "Subscriber reports someone else using the account",
            context, details={"devices_before": [f"{d.name} ({d.kind})" for d in devices if d.signed_in]}, now=now,
        )  # fmt: skip
        audit.record(
            session, actor, "account.takeover_response", "account", account.id,
            {"devices": signed_out.devices_signed_out, "streams_ended": signed_out.streams_ended,
             "ticket": receipt.reference},
        )  # fmt: skip
        logger.warning("account %s secured after a takeover report; ticket %s", account.id, receipt.reference)
        return TakeoverResponse(
            signed_out.devices_signed_out, signed_out.streams_ended, sent.masked_email, receipt.reference,
            receipt.expected_response,
        )  # fmt: skip

    return apply_once(
        session, actor, "account.takeover_response", account_id, confirmation_id, {"account_id": account_id},
        TakeoverResponse, apply,
    )  # fmt: skip


def stream_usage(session: Session, actor: Actor, account_id: int) -> StreamUsage:
    """Open streams against the plan's screen limit (a stream is open until its session has an end)."""
    account_for(session, actor, account_id)
    subscription = live_subscription(session, account_id)
    rows = session.execute(
        select(DeviceSession, Device, Profile.name)
        .join(Device, DeviceSession.device_id == Device.id)
        .join(Profile, DeviceSession.profile_id == Profile.id)
        .where(Device.account_id == account_id, DeviceSession.ended_at.is_(None))
        .order_by(DeviceSession.started_at)
    ).all()
    streams = tuple(
        ActiveStream(device.id, device.name, device.kind, profile_name, stream.started_at, stream.ip_country)
        for stream, device, profile_name in rows
    )
    screens = subscription.plan.screens if subscription is not None else 0
    return StreamUsage(
        plan_name=subscription.plan.name if subscription is not None else None,
        screens=screens,
        active=len(streams),
        at_limit=len(streams) >= screens,
        streams=streams,
    )
