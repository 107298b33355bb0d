"""Playback troubleshooting form (decision tree, escalation when exhausted), parental controls form (PIN
never echoed, never in a slot in clear, cleared after use) and escalations (refund, legal, talk to a person)."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from accountdb.engine import session_scope
from accountdb.models import AuditLogEntry, Profile, ServiceRequest, SupportTicket
from actions.support.pin_seal import unseal_pin


def _tickets(engine) -> list[SupportTicket]:  # noqa: ANN001
    with session_scope(engine) as session:
        return list(session.scalars(select(SupportTicket)))


def test_known_code_walks_the_steps_then_escalates(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    asked = conversation.say(
        "netflix, I mean marquee, won't play", "playback_problem", action="playback_form"
    )
    assert asked.actions[-1] == "utter_ask_playback_device"
    unknown = conversation.say("my toaster", "inform")
    assert (
        "don't know that kind of device" in unknown.text
        and '/playback_problem{"device":"tv"}' in unknown.payloads
    )
    assert unknown.payloads.count('/playback_problem{"device":"tv"}') == 1  # asked once, not twice
    named = conversation.say("on the samsung tv in the living room", "inform")
    assert named.slots["playback_device"] == "tv" and named.actions[-1] == "utter_ask_playback_error_code"
    first = conversation.say("it says HDCP-4K", "inform", {"error_code": "hdcp 4k"})
    assert "Error HDCP-4K usually means 4K is blocked" in first.text and "HDMI port" in first.text
    assert first.slots["playback_error_code"] == "HDCP-4K" and "playback_symptoms" not in first.slots
    steps = [first.slots["playback_advice"]["step_id"]]
    for _ in range(10):
        result = conversation.say("no", "deny")
        if conversation.active_loop is None:
            break
        steps.append(result.slots["playback_advice"]["step_id"])
    assert steps == ["4k_port", "hdmi_cable", "plan_4k", "update_system"]
    assert "tried all 4 steps" in result.text and re.search(r"reference is MQ-\w{6}", result.text)
    [ticket] = _tickets(engine)
    assert ticket.category == "playback" and ticket.context["details"]["steps_tried"] == steps
    assert ticket.context["details"]["device"] == "tv"


def test_no_code_uses_symptoms_and_yes_ends_happily(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say(
        "playback problem on my phone", "playback_problem", {"device": "mobile"}, action="playback_form"
    )
    asked = conversation.say("no", "deny")
    assert asked.slots["playback_error_code"] == "none" and asked.actions[-1] == "utter_ask_playback_symptoms"
    step = conversation.say("it keeps buffering all the time", "inform")
    assert "playback keeps buffering" in step.text
    done = conversation.say("yes that fixed it", "affirm")
    assert "glad it's working" in done.text and conversation.active_loop is None and _tickets(engine) == []


def test_unknown_code_and_unrecognised_symptom_escalates_at_once_with_injection_text_inert(
    chat, world, engine
) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("error", "playback_problem", {"device": "web"}, action="playback_form")
    conversation.say("ZZ-999", "inform")
    evil = "<img src=x onerror=alert(1)> '; DROP TABLE support_tickets;--"
    result = conversation.say(evil, "inform")
    assert "don't have fix-up steps" in result.text and conversation.active_loop is None
    [ticket] = _tickets(engine)
    assert (
        ticket.context["details"]["symptoms"] == evil and ticket.context["details"]["error_code"] == "ZZ-999"
    )


def test_playback_stop_mid_form(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("video broken", "playback_problem", action="playback_form")
    stopped = conversation.say("stop", "stop")
    assert stopped.actions[-1] == "action_stop_support_form" and stopped.loops == [None]
    assert stopped.slots["playback_device"] is None


def test_parental_controls_set_limit_and_pin_without_echo(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("set parental controls", "set_parental_controls", action="parental_controls_form")
    wrong = conversation.say("Grandma", "inform")
    assert "Which profile should I set? Alice, Kids." in wrong.text
    conversation.say("kids", "inform")
    too_high = conversation.say("R", "inform", {"maturity_rating": "R"})
    assert "kids profile can be allowed up to TV-PG" in too_high.text
    bad = conversation.say("XYZ", "inform")
    assert "don't know that rating" in bad.text
    conversation.say("TV-Y7", "inform", {"maturity_rating": "TV-Y7"})
    invalid_pin = conversation.say("12a4", "inform")
    assert "exactly 4 digits" in invalid_pin.text
    confirm = conversation.say("my pin is 4321", "inform")
    sealed = conversation.slots["parental_pin"]
    assert sealed.startswith("sealed:") and "4321" not in sealed
    assert unseal_pin(sealed, conversation.sender_id) == "4321"
    assert "limit Kids to titles rated TV-Y7 or milder and set the new PIN" in confirm.text
    assert "4321" not in json.dumps(conversation.events[-10:]).replace("my pin is 4321", "")
    before = conversation.snapshot()
    done = conversation.say("yes", "affirm")
    assert "Kids now shows titles rated up to TV-Y7 and Kids's new PIN is set" in done.text
    assert done.slots["parental_pin"] is None and "4321" not in done.text
    conversation.restore(before)
    conversation.say("yes", "affirm", message_id=done.message_id)
    with session_scope(engine) as session:
        kids = session.get(Profile, world.alice_kids)
        assert kids.maturity_limit == 1 and kids.check_pin("4321")
        assert (
            len(session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "profile.pin_set")).all())
            == 1
        )
        stored = json.dumps([e.details for e in session.scalars(select(AuditLogEntry))])
        stored += json.dumps([r.result for r in session.scalars(select(ServiceRequest))])
    assert "4321" not in stored
    slot_events = [e for e in conversation.events if e.get("event") == "slot"]
    assert not any("4321" in json.dumps(e["value"]) for e in slot_events)


def test_parental_controls_refused_from_a_kids_profile(chat, world, engine) -> None:  # noqa: ANN001
    result = chat(world.alice, world.alice_kids).say(
        "unlock everything", "set_parental_controls", {"profile": "Kids"}, action="parental_controls_form"
    )
    assert "can't be changed from a kids profile" in result.text and result.loops[-1] is None


def test_refund_and_legal_go_to_people(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    refund = conversation.say(
        "I want a refund for INV-A-0",
        "request_refund",
        {"invoice_number": "inv-a-0"},
        action="action_escalate",
    )
    assert "Refunds are decided by our billing team" in refund.text and "within 24 hours" in refund.text
    unknown = conversation.say(
        "refund INV-B-1 please", "request_refund", {"invoice_number": "INV-B-1"}, action="action_escalate"
    )
    assert "no invoice 'INV-B-1'" in unknown.text  # Bob's invoice is not Alice's
    legal = conversation.say("I'll sue you under GDPR", "legal_question", action="action_escalate")
    assert "legal team" in legal.text and "within 4 hours" in legal.text
    agent = conversation.say("let me talk to a human", "talk_to_agent", action="action_escalate")
    assert re.search(r"reference is MQ-\w{6}", agent.text)
    tickets = {t.category: t for t in _tickets(engine)}
    assert set(tickets) == {"refund", "legal"}
    assert tickets["refund"].context["details"]["invoice"] == "INV-A-0"
    assert tickets["legal"].priority == "high"
    assert len(_tickets(engine)) == 3  # talk_to_agent after a legal question goes to legal as well
