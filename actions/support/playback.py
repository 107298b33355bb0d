"""Playback troubleshooting: a form asks the device, the error code and (without a known code) the symptoms,
then walks the services' decision tree one step at a time ("Did that fix it?"), and escalates with a ticket
when the steps for that device run out.

`playback_step_result` is asked again after every "no": its validator adds the step to `playback_tried`
and clears the slot, and action_ask_playback_step_result shows the next step. When none is left it sets the
result to "exhausted" and ends the form; action_playback_done then opens the ticket.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from accountdb.services import playback
from accountdb.services.errors import InvalidRequest
from accountdb.services.redaction import redact
from accountdb.services.tickets import TicketCategory
from actions.support import forms
from actions.support.base import REQUESTED_SLOT, Call, Outcome, SupportAction, SupportFormValidator
from actions.support.context import turn_id
from actions.support.escalation import escalate, ticket_sentence
from actions.support.texts import STOP_BUTTON, yes_no

NO_CODE = "none"
FIXED, NOT_FIXED, EXHAUSTED = "fixed", "not_fixed", "exhausted"
MAX_DEVICE_CHARS = 40
MAX_CODE_CHARS = 40
MAX_SYMPTOM_CHARS = 300
_NO_CODE_WORDS = re.compile(r"^(no|none|nope|nothing|n/?a|no (error|code|error code|message)|there isn'?t one|"
                            r"i don'?t know|don'?t know|not sure|no idea|dunno)\W*$", re.IGNORECASE)  # fmt: skip


def clean(value: Any, limit: int) -> str:
    return redact(" ".join(str(value or "").split()))[:limit]


def known_code(code: str | None) -> bool:
    return bool(code) and code != NO_CODE and playback.find_code(code) is not None


def device_named_in(text: str) -> str | None:
    """The device an answer names: the whole answer ("tv", "iPhone"), else one of its word pairs or words, so
    "on my samsung tv" and "the kids' ipad" work as well (the services know the kinds and their aliases)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    for candidate in (text.lower(), *(" ".join(pair) for pair in pairwise(words)), *words):
        try:
            playback.next_step(candidate)
        except InvalidRequest:
            continue
        return candidate
    return None


class ValidatePlaybackForm(SupportFormValidator):
    form = forms.PLAYBACK_FORM

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        slots = ["playback_device", "playback_error_code"]
        if not known_code(tracker.slots.get("playback_error_code")):
            slots.append("playback_symptoms")
        return [*slots, "playback_step_result"]

    def validate_playback_device(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        answer = clean(value, MAX_DEVICE_CHARS)
        if not answer:
            return {"playback_device": None}
        device = device_named_in(answer)
        if device is None:
            # The form asks again right after this (utter_ask_playback_device, with its buttons): just say why.
            dispatcher.utter_message(text="I don't know that kind of device.")
            return {"playback_device": None}
        return {"playback_device": device}

    def validate_playback_error_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = clean(value, MAX_CODE_CHARS)
        if not text:
            return {"playback_error_code": None}
        if text == NO_CODE or _NO_CODE_WORDS.match(text):
            return {"playback_error_code": NO_CODE}
        entry = playback.find_code(text)
        # An unknown code is kept as typed (redacted, shortened) for the ticket; the symptoms decide the steps.
        return {"playback_error_code": entry.code if entry else text}

    def validate_playback_symptoms(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"playback_symptoms": clean(value, MAX_SYMPTOM_CHARS) or None}

    def validate_playback_step_result(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value == FIXED:
            return {"playback_step_result": FIXED}
        if value != NOT_FIXED:
            return {"playback_step_result": None}
        advice = tracker.slots.get("playback_advice") or {}
        tried = list(tracker.slots.get("playback_tried") or [])
        if advice.get("step_id") and advice["step_id"] not in tried:
            tried.append(advice["step_id"])
        return {"playback_step_result": None, "playback_tried": tried}


class ActionAskPlaybackStepResult(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.PLAYBACK_FORM]
    preview_slot = "playback_advice"

    def name(self) -> str:
        return "action_ask_playback_step_result"

    def handle(self, call: Call, outcome: Outcome) -> None:
        slots = call.turn.slots
        code = slots.get("playback_error_code")
        tried = tuple(slots.get("playback_tried") or ())
        advice = playback.next_step(
            slots.get("playback_device") or "",
            code if code and code != NO_CODE else None,
            slots.get("playback_symptoms") or "",
            tried,
        )
        record = {"code": advice.code, "meaning": advice.meaning, "step_id": advice.step_id}
        if advice.escalate:
            outcome.set(playback_advice=record, playback_step_result=EXHAUSTED, **{REQUESTED_SLOT: None})
            return
        lead = (
            f"{'Error ' + advice.code if known_code(code) else 'That'} usually means {advice.meaning}. Let's fix it "
            "step by step."
            if not tried
            else "Let's try the next step."
        )
        outcome.say(
            f"{lead} {advice.step} Did that fix it?",
            [*yes_no("Yes, it works now", "No, still not working"), STOP_BUTTON],
        )
        outcome.set(playback_advice=record)


class ActionPlaybackDone(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.PLAYBACK_FORM]

    def name(self) -> str:
        return "action_playback_done"

    def handle(self, call: Call, outcome: Outcome) -> None:
        outcome.events += forms.clear(forms.PLAYBACK_FORM)
        slots = call.turn.slots
        result = slots.get("playback_step_result")
        if result == FIXED:
            outcome.say("Great, glad it's working again! Enjoy the show.")
            return
        if result != EXHAUSTED:
            return
        advice = slots.get("playback_advice") or {}
        receipt = escalate(
            call,
            TicketCategory.PLAYBACK,
            f"Playback problem on {slots.get('playback_device') or 'a device'}: {advice.get('code') or 'no code'}",
            confirmation_id=turn_id(call.turn, "playback_escalation"),
            details={
                "device": slots.get("playback_device"),
                "error_code": slots.get("playback_error_code"),
                "symptoms": slots.get("playback_symptoms"),
                "steps_tried": list(slots.get("playback_tried") or []),
                "diagnosis": advice.get("meaning"),
            },
        )
        tried = len(slots.get("playback_tried") or [])
        lead = (
            f"We've tried all {tried} steps I know for this, and it still isn't working."
            if tried
            else "I don't have fix-up steps for this problem."
        )
        outcome.say(f"{lead} {ticket_sentence(receipt)}")
