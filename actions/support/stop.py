"""Stop: leave whichever support form is active, change nothing, and forget what it collected."""

from __future__ import annotations

from rasa_sdk.events import ActiveLoop, SlotSet

from actions.support import forms
from actions.support.base import Call, Outcome, SupportAction
from actions.support.texts import STOPPED_TEXT


class ActionStopSupportForm(SupportAction):
    requires_sign_in = False

    def name(self) -> str:
        return "action_stop_support_form"

    def handle(self, call: Call, outcome: Outcome) -> None:
        outcome.say(STOPPED_TEXT)
        outcome.events += [*forms.clear_all(), SlotSet("requested_slot", None), ActiveLoop(None)]
