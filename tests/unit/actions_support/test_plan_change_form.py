"""Compare plans and change_plan_form: preview with proration and effective date, explicit yes, applied once
under a retried confirmation and audited; change of mind, invalid plan, no, stop, and other accounts."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from accountdb.engine import session_scope
from accountdb.models import AuditLogEntry, Invoice, ServiceRequest, Subscription
from actions.identity import issue_token
from actions.support.texts import SIGN_IN_TEXT, STOPPED_TEXT


def _plan_of(engine, account_id: int) -> str:  # noqa: ANN001
    with session_scope(engine) as session:
        return (
            session.scalars(select(Subscription).where(Subscription.account_id == account_id)).one().plan.code
        )


def _audits(engine, action: str) -> list[AuditLogEntry]:  # noqa: ANN001
    with session_scope(engine) as session:
        return list(session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == action)))


def test_compare_plans_public_and_signed_in(chat, world, engine) -> None:  # noqa: ANN001
    public = chat().say("what plans do you have", "compare_plans", action="action_compare_plans")
    assert "Basic: 9.99 USD a month, 1 screen at once, 720p" in public.text
    assert "Premium: 22.99 USD a month, 4 screens at once, 4K" in public.text
    assert "(your plan)" not in public.text and public.buttons == []
    mine = chat(world.alice, world.alice_profile).say(
        "compare plans", "compare_plans", action="action_compare_plans"
    )
    assert "Standard (your plan)" in mine.text
    assert mine.payloads == ['/change_plan{"plan":"basic"}', '/change_plan{"plan":"premium"}']


def test_upgrade_previews_confirms_and_applies_once(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    asked = conversation.say(
        "switch me to premium", "change_plan", {"plan": "premium"}, action="change_plan_form"
    )
    assert asked.actions == [
        "change_plan_form",
        "validate_change_plan_form",
        "action_ask_plan_change_confirmed",
    ]
    assert "change_plan_form" in asked.loops
    match = re.search(
        r"For the (\d+) days left of this billing period you'll be charged (\d+\.\d\d) USD now", asked.text
    )
    assert match and int(match.group(1)) == 20
    assert "takes effect today" in asked.text and "you'll pay 22.99 USD a month" in asked.text
    assert asked.payloads[:2] == ["/affirm", "/deny"]
    preview = asked.slots["plan_change_preview"]
    assert preview["account_id"] == world.alice and preview["confirmation_id"].startswith("pc-")
    assert _plan_of(engine, world.alice) == "standard"  # nothing changes before the yes

    before_yes = conversation.snapshot()
    done = conversation.say("yes", "affirm")
    assert done.actions[-1] == "action_change_plan"
    assert None in done.loops
    assert "Done: you're on Premium from today" in done.text and "billed now (invoice INV-" in done.text
    assert all(
        done.slots[name] is None for name in ("plan_target", "plan_change_confirmed", "plan_change_preview")
    )
    conversation.restore(before_yes)  # the same "yes" delivered again
    replay = conversation.say("yes", "affirm", message_id=done.message_id)
    assert "Done: you're on Premium" in replay.text
    assert _plan_of(engine, world.alice) == "premium"
    assert len(_audits(engine, "subscription.change_plan")) == 1
    audit = _audits(engine, "subscription.change_plan")[0]
    assert audit.actor == f"subscriber:{world.alice}" and audit.conversation_id == conversation.sender_id
    assert audit.details["from"] == "standard" and audit.details["to"] == "premium"
    with session_scope(engine) as session:
        assert (
            session.scalar(select(func.count()).select_from(Invoice).where(Invoice.number.like("INV-%-P%")))
            == 1
        )
        assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 1


def test_changing_mind_mid_form_previews_the_new_plan(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("I want to change my plan", "change_plan", action="change_plan_form")
    conversation.say("premium", "change_plan", {"plan": "premium"})
    switched = conversation.say("actually make it basic", "change_plan", {"plan": "basic"})
    assert "to Basic (9.99 USD a month)" in switched.text and "credit of" in switched.text
    assert switched.slots["plan_change_preview"]["params"] == {"plan": "basic"}
    done = conversation.say("yes please", "affirm")
    assert "Done: you're on Basic" in done.text and "credit of" in done.text
    assert _plan_of(engine, world.alice) == "basic"


def test_invalid_and_current_plan_are_asked_again(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    asked = conversation.say("change my plan", "change_plan", action="change_plan_form")
    assert asked.actions[-1] == "action_ask_plan_target" and "Which plan would you like?" in asked.text
    assert '/change_plan{"plan":"premium"}' in asked.payloads and "/stop" in asked.payloads
    wrong = conversation.say("the diamond one", "change_plan", {"plan": "diamond"})
    assert "there is no plan called 'diamond'; choose one of: basic, standard, premium" in wrong.text
    assert conversation.active_loop == "change_plan_form" and conversation.slots["plan_target"] is None
    same = conversation.say("standard", "change_plan", {"plan": "standard"})
    assert "already on the Standard plan" in same.text and conversation.slots["plan_target"] is None
    injection = conversation.say(
        "x", "change_plan", {"plan": "premium'; UPDATE subscriptions SET plan_id=3;--"}
    )
    assert "no plan called" in injection.text
    assert _plan_of(engine, world.alice) == "standard"


def test_no_and_stop_change_nothing(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("upgrade to premium", "change_plan", {"plan": "premium"}, action="change_plan_form")
    declined = conversation.say("no", "deny")
    assert "haven't changed anything" in declined.text and conversation.active_loop is None
    conversation.say("upgrade to premium", "change_plan", {"plan": "premium"}, action="change_plan_form")
    stopped = conversation.say("stop", "stop")
    assert stopped.actions[-1] == "action_stop_support_form" and stopped.text == STOPPED_TEXT
    assert None in stopped.loops
    assert stopped.slots["plan_change_preview"] is None
    assert _plan_of(engine, world.alice) == "standard" and _audits(engine, "subscription.change_plan") == []


def test_plan_change_refused_while_paused_or_cancelling(chat, world, engine) -> None:  # noqa: ANN001
    paused = chat(world.dave, world.dave_profile).say(
        "go premium", "change_plan", {"plan": "premium"}, action="change_plan_form"
    )
    assert "the subscription is paused; resume it first" in paused.text
    assert None in paused.loops
    assert _plan_of(engine, world.dave) == "standard"


def test_signed_out_form_ends_with_sign_in(chat, world, engine) -> None:  # noqa: ANN001
    result = chat().say("switch to premium", "change_plan", {"plan": "premium"}, action="change_plan_form")
    assert SIGN_IN_TEXT in result.text and "USD" not in result.text
    assert None in result.loops


def test_confirming_with_another_accounts_token_changes_nothing(chat, world, engine, caplog) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("switch to premium", "change_plan", {"plan": "premium"}, action="change_plan_form")
    conversation.metadata = {"marquee_token": issue_token(world.bob, world.bob_profile)}
    with caplog.at_level(logging.WARNING):
        result = conversation.say("yes", "affirm")
    assert "prepared for a different account" in result.text
    assert f"prepared for account {world.alice}, confirmed by account {world.bob}" in caplog.text
    assert _plan_of(engine, world.alice) == "standard" and _plan_of(engine, world.bob) == "standard"


def test_a_forged_preview_for_another_account_is_refused_and_logged(chat, world, engine, caplog) -> None:  # noqa: ANN001
    bob = chat(world.bob, world.bob_profile)
    bob.say("switch to premium", "change_plan", {"plan": "premium"}, action="change_plan_form")
    stolen = dict(bob.slots["plan_change_preview"])
    attacker = chat(world.alice, world.alice_profile)
    attacker.say("switch to premium", "change_plan", {"plan": "premium"}, action="change_plan_form")
    attacker.slots["plan_change_preview"] = stolen  # e.g. set through Rasa's HTTP API
    with caplog.at_level(logging.WARNING):
        result = attacker.say("yes", "affirm")
    assert "different account" in result.text and "refused plan_change confirmation" in caplog.text
    assert _plan_of(engine, world.bob) == "standard" and _plan_of(engine, world.alice) == "standard"
