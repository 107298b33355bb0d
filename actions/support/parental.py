"""Parental controls: a profile's maturity limit and its lock PIN, through a form that confirms first.

The PIN never appears in a reply, a log line, a ticket or a slot in clear. The Rasa input channel hides
a PIN typed at the PIN step (bot/channels.py: Rasa stores `PIN_PLACEHOLDER` as the text) and hands the
digits on sealed in the message metadata (`SEALED_PIN_KEY`). `parental_pin` has a custom mapping: only
this validator reads it from the message (the sealed digits; or, for a message that reached Rasa from a
channel without that protection, the typed text, which it seals at once), so no slot event ever holds the
digits. The submit action unseals it, hands it to the service (which keeps only a scrypt hash) and clears
the slot in the same reply, whether or not it was used. `action_ask_parental_pin` asks with a hint that
clients render as a password field.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from accountdb import maturity
from accountdb.models import Profile
from accountdb.services import parental
from accountdb.services.errors import ServiceError
from accountdb.services.parental import RANK_LABELS
from accountdb.services.records import account_for
from actions.replies import Button, payload
from actions.support import forms
from actions.support.base import (
    REQUESTED_SLOT,
    Call,
    Outcome,
    SupportAction,
    SupportFormValidator,
    reading,
    writing,
)
from actions.support.caller import Caller
from actions.support.confirmation import PreviewRejected, checked_preview, make_preview
from actions.support.pin_seal import SEALED_PIN_KEY, SealBroken, seal_pin, unseal_pin
from actions.support.texts import STOP_BUTTON, sorry, yes_no

PARENTAL = "parental"
KEEP = "keep"
_PIN = re.compile(
    r"(?:(?:my\s+)?(?:new\s+)?pin(?:\s+(?:is|to|should be))?\s*:?\s*)?(\d{4})[.!]?", re.IGNORECASE
)
_PIN_DIGITS = re.compile(r"\d{4}")
RATINGS = ", ".join(label for label in maturity.MATURITY_SCALE if label != "TV-Y7-FV")
PIN_QUESTION = (
    "Type a new 4-digit PIN for this profile, or say no to keep the current one. I won't show it back to you."
)
PIN_FORMAT_PROBLEM = "A PIN is exactly 4 digits. Please type 4 digits, or say no to keep the current PIN."
# The custom payload of the PIN question: web and app clients show a password field for the answer.
SECRET_INPUT_HINT = {"type": "input_hint", "input": "secret", "slot": "parental_pin"}


def _profiles(engine: Any, caller: Caller) -> tuple[bool, list[tuple[int, str, bool]]]:
    """(whether the caller's own profile is a kids profile, the account's profiles as (id, name, is_kids))."""
    with reading(engine) as session:
        account = account_for(session, caller.actor, caller.account_id)
        acting = session.get(Profile, caller.profile_id)
        return (
            bool(acting is not None and acting.is_kids),
            [(p.id, p.name, p.is_kids) for p in sorted(account.profiles, key=lambda p: p.id)],
        )


def _profile(engine: Any, caller: Caller, profile_id: str | None) -> tuple[int, str, bool] | None:
    _, profiles = _profiles(engine, caller)
    return next((p for p in profiles if str(p[0]) == str(profile_id)), None)


class ValidateParentalControlsForm(SupportFormValidator):
    form = forms.PARENTAL_FORM
    secret_slot = "parental_pin"

    async def validate_parental_profile(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:
            return {"parental_profile": None}
        caller = await self.caller_of(tracker)
        acting_is_kids, profiles = await self.in_worker(_profiles, caller)
        if acting_is_kids:
            return self.end_form(
                tracker, dispatcher,
                "Parental controls can't be changed from a kids profile. Switch to an adult profile and ask me there.",
            )  # fmt: skip
        wanted = " ".join(str(value).split()).casefold()
        match = next((p for p in profiles if wanted in (str(p[0]), p[1].casefold())), None)
        if match is None:
            dispatcher.utter_message(
                text="Which profile should I set? " + ", ".join(name for _, name, _ in profiles) + ".",
                buttons=[
                    Button(name, payload("set_parental_controls", profile=name)).as_dict()
                    for _, name, _ in profiles
                ],
            )
            return {"parental_profile": None}
        return {"parental_profile": str(match[0]), "parental_confirmed": None, "parental_preview": None}

    async def validate_parental_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:
            return {"parental_rating": None}
        if value == KEEP:
            return {"parental_rating": KEEP, "parental_confirmed": None}
        try:
            label = maturity.canonical_label(str(value)[:20])
        except maturity.UnknownMaturityRating:
            dispatcher.utter_message(
                text=f"I don't know that rating. Please choose one of: {RATINGS} (or say no to keep it)."
            )
            return {"parental_rating": None}
        caller = await self.caller_of(tracker)
        profile = await self.in_worker(_profile, caller, tracker.slots.get("parental_profile"))
        if profile is not None and profile[2] and maturity.rank(label) > maturity.KIDS_MAX_RANK:
            dispatcher.utter_message(
                text=f"A kids profile can be allowed up to {RANK_LABELS[maturity.KIDS_MAX_RANK]}. Please choose a "
                "milder rating."
            )
            return {"parental_rating": None}
        return {
            "parental_rating": "NR" if label == maturity.UNRATED_LABEL else label,
            "parental_confirmed": None,
        }

    def extract_parental_pin(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != self.secret_slot:
            return {}
        # Sealed by the channel: the answer whatever the NLU made of the placeholder text.
        sealed = ((tracker.latest_message or {}).get("metadata") or {}).get(SEALED_PIN_KEY)
        if isinstance(sealed, str):
            return {self.secret_slot: sealed}
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent == "deny":
            return {self.secret_slot: KEEP}
        if intent == "stop":
            return {}
        return {self.secret_slot: (tracker.latest_message or {}).get("text") or ""}

    def validate_parental_pin(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value == KEEP:
            return {self.secret_slot: value, "parental_confirmed": None}
        if isinstance(value, str) and value.startswith("sealed:"):
            try:
                well_formed = _PIN_DIGITS.fullmatch(unseal_pin(value, tracker.sender_id)) is not None
            except SealBroken:
                well_formed = False
            if well_formed:
                return {self.secret_slot: value, "parental_confirmed": None}
            dispatcher.utter_message(text=PIN_FORMAT_PROBLEM)
            return {self.secret_slot: None}
        match = _PIN.fullmatch(str(value or "").strip())
        if match is None:
            dispatcher.utter_message(text=PIN_FORMAT_PROBLEM)
            return {self.secret_slot: None}
        return {self.secret_slot: seal_pin(match.group(1), tracker.sender_id), "parental_confirmed": None}

    def validate_parental_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"parental_confirmed": value if isinstance(value, bool) else None}


class ActionAskParentalPin(Action):
    """Asks for the PIN with the secret-input hint, so the web chat shows a password field.

    Nothing is looked up: the form's validator has already checked the caller this turn.
    """

    def name(self) -> str:
        return "action_ask_parental_pin"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text=PIN_QUESTION,
            buttons=[Button("Keep the current PIN", payload("deny")).as_dict(), STOP_BUTTON.as_dict()],
            json_message=SECRET_INPUT_HINT,
        )
        return []


class ActionAskParentalConfirmed(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.PARENTAL_FORM]
    preview_slot = "parental_preview"

    def name(self) -> str:
        return "action_ask_parental_confirmed"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        profile = _profile(call.engine, caller, call.turn.slot_text("parental_profile"))
        if profile is None:
            outcome.say("I couldn't find that profile any more, so nothing was changed.")
            return
        rating = call.turn.slot_text("parental_rating")
        new_pin = (call.turn.slot_text("parental_pin") or "").startswith("sealed:")
        changes = []
        if rating and rating != KEEP:
            changes.append(f"limit {profile[1]} to titles rated {rating} or milder")
        if new_pin:
            changes.append("set the new PIN you typed (I won't repeat it)")
        if not changes:
            outcome.say("Okay, then there's nothing to change.").set(parental_pin=None)
            return
        outcome.say(
            f"I'll {' and '.join(changes)}. Go ahead?",
            [*yes_no("Yes, save it", "No, change nothing"), STOP_BUTTON],
        )
        params = {"profile_id": profile[0], "rating": rating if rating != KEEP else None, "pin": new_pin}
        outcome.set(parental_preview=make_preview(PARENTAL, caller, params, shown={"profile": profile[1]}))


class ActionSetParentalControls(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.PARENTAL_FORM]

    def name(self) -> str:
        return "action_set_parental_controls"

    def handle(self, call: Call, outcome: Outcome) -> None:
        outcome.events += forms.clear(forms.PARENTAL_FORM)  # the sealed PIN goes, used or not
        confirmed = call.turn.slots.get("parental_confirmed")
        if confirmed is None:
            return
        if confirmed is False:
            outcome.say("Okay, I haven't changed any parental controls.")
            return
        caller = call.signed_in
        try:
            preview = checked_preview(call.turn.slots.get("parental_preview"), caller, {PARENTAL})
            pin = (
                unseal_pin(call.turn.slots.get("parental_pin"), caller.conversation_id)
                if preview["params"]["pin"]
                else None
            )
        except PreviewRejected as exc:
            outcome.say(f"Sorry: {exc}.")
            return
        except SealBroken:
            outcome.say(
                "Sorry, too much time passed since you typed the PIN, so nothing was changed. Please start again."
            )
            return
        params, cid = preview["params"], preview["confirmation_id"]
        try:
            with writing(call.engine) as session:
                controls = None
                if params.get("rating"):
                    controls = parental.set_maturity_limit(
                        session,
                        caller.actor,
                        caller.account_id,
                        int(params["profile_id"]),
                        params["rating"],
                        cid,
                    )
                if pin is not None:
                    controls = parental.set_profile_pin(
                        session, caller.actor, caller.account_id, int(params["profile_id"]), pin, cid
                    )
        except ServiceError as exc:
            outcome.say(sorry(exc))
            return
        assert controls is not None
        done = []
        if params.get("rating"):
            done.append(f"{controls.profile_name} now shows titles rated up to {controls.maturity_limit}")
        if pin is not None:
            done.append(f"{controls.profile_name}'s new PIN is set")
        outcome.say(f"Done: {' and '.join(done)}.")
