"""Cancel (reason -> retention offer -> confirm), pause, resume and undo through the executor: each change
applied once under a retried confirmation and audited; offers declined or taken; invalid values; stop."""

from __future__ import annotations

import re

from sqlalchemy import select

from accountdb.engine import session_scope
from accountdb.models import AuditLogEntry, BillingAdjustment, Subscription, SupportTicket
from accountdb.services.redaction import PASSWORD_MASK
from actions.support.disclosures import CARD_WARNING

CARD = "4111 1111 1111 1111"


def _subscription(engine, account_id: int) -> Subscription:  # noqa: ANN001
    with session_scope(engine) as session:
        return session.scalars(select(Subscription).where(Subscription.account_id == account_id)).one()


def _audits(engine, action: str) -> list[AuditLogEntry]:  # noqa: ANN001
    with session_scope(engine) as session:
        return list(session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == action)))


def test_cancel_after_declining_the_offer_ends_at_period_end_once(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    asked = conversation.say("I want to cancel", "cancel_subscription", action="cancel_subscription_form")
    assert asked.actions[-1] == "utter_ask_cancel_reason"
    assert '/cancel_subscription{"cancel_reason":"price"}' in asked.payloads  # the domain escapes the braces
    offered = conversation.say("honestly it's just too expensive for me", "inform")
    assert offered.slots["cancel_reason"] == "price"
    assert offered.slots["cancel_note"] == "honestly it's just too expensive for me"
    assert offered.slots["retention_offer"]["kind"] == "downgrade"
    assert "switch to the cheaper Basic plan for 9.99 USD a month" in offered.text
    confirm = conversation.say("no", "deny")
    period_end = _subscription(engine, world.alice).current_period_end
    assert "keep watching until" in confirm.text and "Cancel your subscription?" in confirm.text
    before = conversation.snapshot()
    done = conversation.say("yes", "affirm")
    assert done.actions[-1] == "action_cancel_subscription" and "/undo_cancellation" in done.payloads
    conversation.restore(before)
    conversation.say("yes", "affirm", message_id=done.message_id)
    subscription = _subscription(engine, world.alice)
    assert subscription.cancel_at_period_end and subscription.current_period_end == period_end
    [audit] = _audits(engine, "subscription.cancel_at_period_end")
    assert (
        audit.details["reason"] == "price"
        and audit.details["note"] == "honestly it's just too expensive for me"
    )
    assert audit.conversation_id == conversation.sender_id


def test_taking_the_offer_does_not_cancel(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    offered = conversation.say(
        "cancel please",
        "cancel_subscription",
        {"cancel_reason": "temporary"},
        action="cancel_subscription_form",
    )
    assert "pause for up to 3 month(s) at no charge" in offered.text
    taken = conversation.say("yes", "affirm")
    assert "pauses at the end of this period" in taken.text and "isn't cancelled" in taken.text
    subscription = _subscription(engine, world.alice)
    assert subscription.paused_until is not None and not subscription.cancel_at_period_end
    assert len(_audits(engine, "subscription.pause")) == 1


def test_technical_reason_offers_support_and_opens_a_ticket(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say(
        "cancel, the app keeps crashing", "cancel_subscription", action="cancel_subscription_form"
    )
    offered = conversation.say("the app keeps crashing", "inform")
    assert "technical team" in offered.text
    taken = conversation.say("ok", "affirm")
    reference = re.search(r"reference is (MQ-\w{6})", taken.text).group(1)
    with session_scope(engine) as session:
        ticket = session.scalars(select(SupportTicket)).one()
        assert ticket.reference == reference and ticket.category == "playback"
        assert "cancel_subscription" in ticket.context["intents"]
    assert not _subscription(engine, world.alice).cancel_at_period_end


def test_card_number_given_as_a_reason_is_warned_cleared_and_never_stored(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("cancel", "cancel_subscription", action="cancel_subscription_form")
    leaked = conversation.say(f"too expensive, my card {CARD} costs me", "inform")
    assert CARD_WARNING in leaked.text
    assert leaked.slots["cancel_reason"] is None and CARD not in str(conversation.slots)
    conversation.say("my password: hunter2 and it is too expensive", "inform")
    assert "hunter2" not in str(conversation.slots)
    conversation.say("too expensive", "inform")
    conversation.say("no", "deny")
    conversation.say("yes", "affirm")
    [audit] = _audits(engine, "subscription.cancel_at_period_end")
    assert CARD not in str(audit.details) and "hunter2" not in str(audit.details)
    assert PASSWORD_MASK not in str(audit.details)  # the leaked turns were cleared, not kept masked


def test_injection_text_as_reason_is_kept_verbatim_and_inert(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("cancel", "cancel_subscription", action="cancel_subscription_form")
    evil = "'); DROP TABLE subscriptions;-- <script>alert(1)</script> {{7*7}}"
    result = conversation.say(evil, "inform")
    assert result.slots["cancel_reason"] == "other" and result.slots["cancel_note"] == evil
    assert "<script>" not in result.text
    conversation.say("yes", "affirm")
    [audit] = _audits(engine, "subscription.cancel_at_period_end")
    assert audit.details["note"] == evil and _subscription(engine, world.alice).cancel_at_period_end


def test_already_cancelling_and_stop(chat, world, engine) -> None:  # noqa: ANN001
    erin = chat(world.erin, world.erin_profile)
    result = erin.say(
        "cancel", "cancel_subscription", {"cancel_reason": "price"}, action="cancel_subscription_form"
    )
    assert (
        "already ends on" in result.text and "/undo_cancellation" in result.payloads and None in result.loops
    )
    alice = chat(world.alice, world.alice_profile)
    alice.say("cancel", "cancel_subscription", {"cancel_reason": "price"}, action="cancel_subscription_form")
    stopped = alice.say("stop", "stop")
    assert stopped.actions[-1] == "action_stop_support_form" and alice.active_loop is None
    assert not _subscription(engine, world.alice).cancel_at_period_end


def test_undo_pending_cancellation_once(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.erin, world.erin_profile)
    asked = conversation.say(
        "undo my cancellation", "undo_cancellation", action="action_preview_undo_cancellation"
    )
    # At activation Rasa's FormAction validates twice (prefilled slots, then this turn's), then asks.
    assert asked.actions == [
        "action_preview_undo_cancellation",
        "confirm_change_form",
        "validate_confirm_change_form",
        "validate_confirm_change_form",
        "action_ask_change_confirmed",
    ]
    assert [e["name"] for e in asked.of_type("followup")] == ["confirm_change_form"]
    assert asked.slots["pending_change"]["kind"] == "undo_cancellation"
    before = conversation.snapshot()
    done = conversation.say("yes", "affirm")
    assert "cancellation is undone" in done.text and done.actions[-1] == "action_apply_pending_change"
    conversation.restore(before)
    conversation.say("yes", "affirm", message_id=done.message_id)
    assert not _subscription(engine, world.erin).cancel_at_period_end
    assert len(_audits(engine, "subscription.undo_cancel")) == 1
    nothing = chat(world.alice, world.alice_profile).say(
        "undo cancel", "undo_cancellation", action="action_preview_undo_cancellation"
    )
    assert "nothing to undo" in nothing.text and nothing.of_type("followup") == []


def test_the_confirm_form_after_a_preview_with_nothing_to_confirm_ends_without_a_word(chat, world) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    nothing = conversation.say("resume", "resume_subscription", action="action_preview_resume")
    assert "nothing to resume" in nothing.text and nothing.of_type("followup") == []
    # data/rules_support.yml runs confirm_change_form after every preview action, whatever it found.
    ended = conversation.then("confirm_change_form")
    assert ended.responses == []
    assert ended.actions[-2:] == ["action_ask_change_confirmed", "action_apply_pending_change"]
    assert conversation.active_loop is None and conversation.slots.get("requested_slot") is None


def test_resume_paused_subscription(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.dave, world.dave_profile)
    asked = conversation.say("resume my subscription", "resume_subscription", action="action_preview_resume")
    assert "charged today" in asked.text
    declined = conversation.say("no", "deny")
    assert (
        "haven't changed anything" in declined.text and _subscription(engine, world.dave).status == "paused"
    )
    conversation.say("resume my subscription", "resume_subscription", action="action_preview_resume")
    conversation.say("yes", "affirm")
    assert _subscription(engine, world.dave).status == "active"
    assert len(_audits(engine, "subscription.resume")) == 1


def test_pause_form_validates_months_and_applies_once(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    asked = conversation.say("pause my account", "pause_subscription", action="pause_subscription_form")
    assert asked.actions[-1] == "utter_ask_pause_months"
    invalid = conversation.say("six months", "inform")
    assert "1 to 3 months" in invalid.text and '/pause_subscription{"months":"2"}' in invalid.payloads
    assert invalid.payloads.count('/pause_subscription{"months":"2"}') == 1  # asked once, not twice
    gibberish = conversation.say("'; DELETE FROM subscriptions;--", "inform")
    assert "1 to 3 months" in gibberish.text and conversation.slots["pause_months"] is None
    preview = conversation.say("two months", "inform")
    assert preview.slots["pause_months"] == 2.0 and "billing restarts on" in preview.text
    before = conversation.snapshot()
    done = conversation.say("yes", "affirm")
    conversation.restore(before)
    conversation.say("yes", "affirm", message_id=done.message_id)
    subscription = _subscription(engine, world.alice)
    assert (
        subscription.paused_until is not None
        and (subscription.paused_until - subscription.current_period_end).days >= 59
    )
    assert len(_audits(engine, "subscription.pause")) == 1


def test_retention_discount_for_price_when_no_cheaper_plan(chat, world, engine) -> None:  # noqa: ANN001
    frank = chat(world.frank, world.frank_profile)  # on Basic: nothing cheaper to offer
    offered = frank.say(
        "cancel, too expensive",
        "cancel_subscription",
        {"cancel_reason": "price"},
        action="cancel_subscription_form",
    )
    assert "25% off your next 3 monthly charges" in offered.text
    frank.say("yes", "affirm")
    with session_scope(engine) as session:
        [discount] = session.scalars(select(BillingAdjustment)).all()
        assert (discount.kind, discount.percent_off, discount.cycles_remaining) == ("discount", 25, 3)


def test_a_form_left_for_another_flow_does_not_prefill_its_next_start(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say(
        "cancel, too expensive",
        "cancel_subscription",
        {"cancel_reason": "price"},
        action="cancel_subscription_form",
    )
    assert conversation.slots["cancel_reason"] == "price" and conversation.slots["retention_offer"]
    # "Actually I'd rather pause": the cancel form rejects it and the pause form's rule starts that form.
    switched = conversation.say(
        "actually pause it for 2 months",
        "pause_subscription",
        {"months": "2"},
        action="pause_subscription_form",
    )
    assert switched.rejected and conversation.active_loop == "pause_subscription_form"
    paused = conversation.say("yes", "affirm")
    assert "pauses at the end of this period" in paused.text and conversation.active_loop is None
    left_over = ("cancel_reason", "retention_offer", "cancel_preview", "pause_months", "pause_preview")
    assert all(conversation.slots.get(name) is None for name in left_over)
    again = conversation.say(
        "cancel my subscription", "cancel_subscription", action="cancel_subscription_form"
    )
    assert again.actions[-1] == "utter_ask_cancel_reason"
    assert not _subscription(engine, world.alice).cancel_at_period_end
