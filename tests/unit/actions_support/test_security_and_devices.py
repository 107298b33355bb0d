"""Sign-in and security, streams and devices, and identity: reset link to the masked e-mail, locked
accounts, "someone else is using my account", screen limit and signing devices out; forged, expired and
mismatched tokens are refused and logged."""

from __future__ import annotations

import logging
import re
import time

import jwt
from sqlalchemy import func, select

from accountdb.engine import session_scope
from accountdb.models import Account, AuditLogEntry, Device, DeviceSession, EmailOutboxMessage, SupportTicket
from actions.identity import issue_token
from actions.support.disclosures import CARD_WARNING, PASSWORD_WARNING
from actions.support.texts import SIGN_IN_TEXT


def _count(engine, model, *where) -> int:  # noqa: ANN001
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_password_reset_goes_to_the_masked_email_once_per_turn(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    before = conversation.snapshot()
    sent = conversation.say("I forgot my password", "reset_password", action="action_send_password_reset")
    assert "a***@e***.com" in sent.text and "alice.smith" not in sent.text and "token=" not in sent.text
    conversation.restore(before)
    conversation.say(
        "I forgot my password",
        "reset_password",
        action="action_send_password_reset",
        message_id=sent.message_id,
    )
    assert _count(engine, EmailOutboxMessage) == 1
    signed_out = chat().say("I forgot my password", "reset_password", action="action_send_password_reset")
    assert "Forgot password?" in signed_out.text and "@" not in signed_out.text
    assert _count(engine, EmailOutboxMessage) == 1


def test_locked_account_is_explained_with_a_way_out(chat, world, engine) -> None:  # noqa: ANN001
    locked = chat(world.frank, world.frank_profile).say(
        "my account is locked", "account_locked", action="action_explain_lock"
    )
    assert "locked after 6 wrong password attempts" in locked.text and "/reset_password" in locked.payloads
    fine = chat(world.alice, world.alice_profile).say(
        "I'm locked out", "account_locked", action="action_explain_lock"
    )
    assert "isn't locked" in fine.text
    anonymous = chat().say("I'm locked out", "account_locked", action="action_explain_lock")
    assert "Forgot password?" in anonymous.text and "6" not in anonymous.text


def test_someone_else_using_my_account_secures_it_once(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    shown = conversation.say(
        "someone else is using my account!", "account_compromised", action="action_preview_secure_account"
    )
    assert (
        "Living room TV (tv" in shown.text
        and "Alice's iPhone (mobile" in shown.text
        and "playing now" in shown.text
    )
    assert (
        "a***@e***.com" in shown.text
        and "/affirm" in shown.payloads
        and conversation.active_loop == "confirm_change_form"
    )
    before = conversation.snapshot()
    done = conversation.say("yes", "affirm")
    assert "signed out 2 device(s) and stopped 2 stream(s)" in done.text and "within 1 hour" in done.text
    conversation.restore(before)
    again = conversation.say("yes", "affirm", message_id=done.message_id)
    assert re.search(r"ticket (MQ-\w{6})", again.text).group(1) == re.search(
        r"ticket (MQ-\w{6})", done.text
    ).group(1)
    with session_scope(engine) as session:
        ticket = session.scalars(select(SupportTicket)).one()
        assert (ticket.category, ticket.priority) == ("security", "urgent")
        assert "Subscriber: someone else is using my account!" in ticket.transcript_excerpt
        assert session.get(Account, world.alice).password_hash is None
        assert not any(
            d.signed_in for d in session.scalars(select(Device).where(Device.account_id == world.alice))
        )
    assert _count(engine, AuditLogEntry, AuditLogEntry.action == "account.takeover_response") == 1


def test_too_many_streams_explains_the_limit_and_signs_one_device_out(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    usage = conversation.say(
        "it says too many people are watching", "too_many_streams", action="action_stream_usage"
    )
    assert "Standard plan lets 2 screens play at the same time; 2 playing now" in usage.text
    assert "Alice's iPhone (mobile): Kids" in usage.text and "from FR" in usage.text
    payload = f'/sign_out_device{{"device_id":"{world.alice_phone}"}}'
    assert payload in usage.payloads and "/sign_out_all_devices" in usage.payloads
    conversation.say(
        "sign out the phone",
        "sign_out_device",
        {"device_id": str(world.alice_phone)},
        action="action_preview_sign_out_device",
    )
    done = conversation.say("yes", "affirm")
    assert "Alice's iPhone is signed out and stopped 1 stream(s)" in done.text
    with session_scope(engine) as session:
        assert session.get(Device, world.alice_phone).signed_in is False
        assert session.get(Device, world.alice_tv).signed_in is True
        assert (
            session.scalar(
                select(func.count()).select_from(DeviceSession).where(DeviceSession.ended_at.is_(None))
            )
            == 1  # the TV's
        )


def test_signing_out_another_accounts_device_is_refused(chat, world, engine) -> None:  # noqa: ANN001
    with session_scope(engine) as session:
        bobs_tv = session.scalars(select(Device).where(Device.account_id == world.bob)).one().id
    result = chat(world.alice, world.alice_profile).say(
        "sign out", "sign_out_device", {"device_id": str(bobs_tv)}, action="action_preview_sign_out_device"
    )
    assert "can't find that device" in result.text and result.of_type("followup") == []
    with session_scope(engine) as session:
        assert session.get(Device, bobs_tv).signed_in is True


def test_forged_expired_and_mismatched_tokens_are_refused_and_logged(chat, world, engine, caplog) -> None:  # noqa: ANN001
    forged = jwt.encode(
        {
            "sub": f"account:{world.alice}",
            "profile_id": world.alice_profile,
            "iat": int(time.time()),
            "exp": int(time.time()) + 600,
        },
        "an-attacker-secret-that-is-long-enough-000000",
        algorithm="HS256",
    )
    expired = issue_token(world.alice, world.alice_profile, lifetime_seconds=60, now=time.time() - 3600)
    mismatched = issue_token(world.alice, world.bob_profile)  # account A with account B's profile
    for token, logged in (
        (forged, "refused invalid token"),
        (expired, "refused expired token"),
        (mismatched, "is not a profile of account"),
    ):
        conversation = chat()
        conversation.metadata = {"marquee_token": token}
        with caplog.at_level(logging.INFO):
            result = conversation.say("what's my next charge", "ask_next_charge", action="action_next_charge")
        assert result.text == SIGN_IN_TEXT, token
        assert logged in caplog.text
        caplog.clear()


def test_password_typed_into_chat_is_warned_about(chat, world, engine) -> None:  # noqa: ANN001
    result = chat(world.frank, world.frank_profile).say(
        "locked out, my password is Hunter2!", "account_locked", action="action_explain_lock"
    )
    assert result.text.startswith(PASSWORD_WARNING)
    assert "Hunter2" not in result.text


def test_a_slot_that_captured_a_secret_is_cleared_by_the_next_support_action(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.slots["playback_symptoms"] = (
        "no sound, card 4111 1111 1111 1111"  # filled by an earlier turn
    )
    result = conversation.say("when's my next bill", "ask_next_charge", action="action_next_charge")
    assert result.slots == {"playback_symptoms": None}
    assert result.text.startswith(CARD_WARNING) and "Your next charge is" in result.text
