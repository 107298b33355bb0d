"""confirm_change_form: one yes/no for the changes that need nothing but a confirmation.

A preview action (resume, undo a cancellation, secure the account, sign out devices) explains what will
happen, stores the preview in `pending_change`, and starts this form with FollowupAction. The form asks
`change_confirmed` (action_ask_change_confirmed asks the preview's question with Yes/No buttons, and asks
again when the answer is neither);
action_apply_pending_change applies the preview once, with its confirmation id, or says nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from accountdb.services import account_security, subscription
from actions.support import forms
from actions.support.base import Call, Outcome, SupportAction, SupportFormValidator, writing
from actions.support.caller import Caller
from actions.support.confirmation import PreviewRejected, checked_preview, make_preview
from actions.support.context import conversation_context
from actions.support.texts import STOP_BUTTON, day, yes_no

RESUME = "resume"
UNDO_CANCELLATION = "undo_cancellation"
SECURE_ACCOUNT = "secure_account"
SIGN_OUT_DEVICE = "sign_out_device"
SIGN_OUT_ALL = "sign_out_all"


def ask_to_confirm(
    outcome: Outcome, caller: Caller, kind: str, params: dict[str, Any], question: str, yes: str, no: str
) -> None:
    """Keep the preview and start confirm_change_form, whose action_ask_change_confirmed asks `question`."""
    preview = make_preview(kind, caller, params, shown={"question": question, "yes": yes, "no": no})
    outcome.set(pending_change=preview, change_confirmed=None)
    outcome.events.append(FollowupAction(forms.CONFIRM_FORM))


class ActionAskChangeConfirmed(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.CONFIRM_FORM]
    preview_slot = "pending_change"

    def name(self) -> str:
        return "action_ask_change_confirmed"

    def handle(self, call: Call, outcome: Outcome) -> None:
        pending = call.turn.slots.get("pending_change")
        if not isinstance(pending, dict) or not isinstance(pending.get("shown"), dict):
            # The rules start this form after every preview action; when the preview found nothing to
            # confirm it has already said so ("nothing to resume"), so the form ends without a word.
            outcome.set(pending_change=None)
            return
        shown = pending["shown"]
        outcome.say(
            str(shown.get("question", "")),
            [*yes_no(shown.get("yes", "Yes"), shown.get("no", "No")), STOP_BUTTON],
        )
        outcome.set(pending_change=pending)  # unchanged: the id shown is the id applied


class ValidateConfirmChangeForm(SupportFormValidator):
    form = forms.CONFIRM_FORM

    def validate_change_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"change_confirmed": value if isinstance(value, bool) else None}


def _resume(call: Call, preview: dict[str, Any], outcome: Outcome) -> None:
    caller = call.signed_in
    with writing(call.engine) as session:
        state = subscription.resume(session, caller.actor, caller.account_id, preview["confirmation_id"])
    when = day(state.next_billing_date) if state.next_billing_date else "the usual date"
    outcome.say(f"Done: your subscription is running again. Your next charge is on {when}.")


def _undo_cancellation(call: Call, preview: dict[str, Any], outcome: Outcome) -> None:
    caller = call.signed_in
    with writing(call.engine) as session:
        state = subscription.undo_cancellation(
            session, caller.actor, caller.account_id, preview["confirmation_id"]
        )
    outcome.say(
        f"Done: your cancellation is undone and your subscription carries on. It renews on "
        f"{day(state.current_period_end)}."
    )


def _secure_account(call: Call, preview: dict[str, Any], outcome: Outcome) -> None:
    caller = call.signed_in
    with writing(call.engine) as session:
        response = account_security.report_account_takeover(
            session,
            caller.actor,
            caller.account_id,
            conversation_context(call.turn),
            preview["confirmation_id"],
        )
    outcome.say(
        f"Done. I signed out {response.devices_signed_out} device(s) and stopped {response.streams_ended} "
        f"stream(s). Your old password no longer works: a reset link is on its way to "
        f"{response.masked_email}. Our security team has ticket {response.ticket_reference} and will contact "
        f"you {response.expected_response}."
    )


def _sign_out_device(call: Call, preview: dict[str, Any], outcome: Outcome) -> None:
    caller = call.signed_in
    device_id = int(preview["params"]["device_id"])
    with writing(call.engine) as session:
        result = account_security.sign_out_device(
            session, caller.actor, caller.account_id, device_id, preview["confirmation_id"]
        )
    stopped = f" and stopped {result.streams_ended} stream(s) on it" if result.streams_ended else ""
    outcome.say(f"Done: {preview['params'].get('name', 'that device')} is signed out{stopped}.")


def _sign_out_all(call: Call, preview: dict[str, Any], outcome: Outcome) -> None:
    caller = call.signed_in
    with writing(call.engine) as session:
        result = account_security.sign_out_all_devices(
            session, caller.actor, caller.account_id, preview["confirmation_id"]
        )
    outcome.say(
        f"Done: I signed out {result.devices_signed_out} device(s) and stopped {result.streams_ended} "
        "stream(s). Sign in again on the devices you use."
    )


APPLIERS: dict[str, Callable[[Call, dict[str, Any], Outcome], None]] = {
    RESUME: _resume,
    UNDO_CANCELLATION: _undo_cancellation,
    SECURE_ACCOUNT: _secure_account,
    SIGN_OUT_DEVICE: _sign_out_device,
    SIGN_OUT_ALL: _sign_out_all,
}


class ActionApplyPendingChange(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.CONFIRM_FORM]

    def name(self) -> str:
        return "action_apply_pending_change"

    def handle(self, call: Call, outcome: Outcome) -> None:
        outcome.events += forms.clear(forms.CONFIRM_FORM)
        confirmed = call.turn.slots.get("change_confirmed")
        if confirmed is None:
            return
        if confirmed is False:
            outcome.say("Okay, I haven't changed anything.")
            return
        try:
            preview = checked_preview(call.turn.slots.get("pending_change"), call.signed_in, set(APPLIERS))
        except PreviewRejected as exc:
            outcome.say(f"Sorry: {exc}.")
            return
        APPLIERS[preview["kind"]](call, preview, outcome)
