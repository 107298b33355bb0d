"""Cancel (reason -> retention offer -> confirm), pause (how long -> confirm), resume, and undo a pending
cancellation.

cancel_subscription_form asks `cancel_reason` (an entity, or the subscriber's own words mapped to a reason;
the words are kept, redacted, as the cancellation note), then, when the services have an offer that fits
the reason and the account's history, `retention_accepted`, and unless the offer was taken,
`cancel_confirmed`. Cancelling takes effect at the end of the paid period. pause_subscription_form asks
`pause_months` and `pause_confirmed`. Resume and undo need only a yes: they preview and hand over to
confirm_change_form.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from accountdb.models import SubscriptionStatus
from accountdb.services import plans, subscription
from accountdb.services.errors import Conflict, ServiceError
from accountdb.services.records import account_for, require_live_subscription
from accountdb.services.redaction import redact
from accountdb.services.subscription import MAX_NOTE_CHARS, MAX_PAUSE_MONTHS, CancellationReason, OfferKind
from accountdb.services.tickets import TicketCategory
from actions.replies import Button, payload
from actions.support import forms
from actions.support.base import Call, Outcome, SupportAction, SupportFormValidator, reading, writing
from actions.support.caller import Caller
from actions.support.confirm import RESUME, UNDO_CANCELLATION, ask_to_confirm
from actions.support.confirmation import PreviewRejected, checked_preview, make_preview
from actions.support.escalation import escalate, ticket_sentence
from actions.support.texts import STOP_BUTTON, day, money, sorry, yes_no

CANCEL = "cancel"
PAUSE = "pause"
RETENTION_KINDS = {
    OfferKind.DOWNGRADE: "retention_downgrade",
    OfferKind.DISCOUNT: "retention_discount",
    OfferKind.PAUSE: "retention_pause",
    OfferKind.SUPPORT: "retention_support",
}
# The subscriber's words -> reason, first match wins (so "the app keeps crashing" is technical, not content).
REASON_WORDS: tuple[tuple[CancellationReason, tuple[str, ...]], ...] = (
    (CancellationReason.PRICE, ("expensive", "price", "cost", "afford", "money", "cheaper", "budget", "pay")),
    (CancellationReason.TEMPORARY, ("travel", "moving", "vacation", "holiday", "break", "temporar", "away", "abroad")),
    (CancellationReason.NOT_WATCHING, ("don't watch", "dont watch", "not watching", "no time", "busy", "rarely",
                                       "don't use", "not using", "never use", "barely")),
    (CancellationReason.TECHNICAL, ("buffer", "crash", "error", "doesn't work", "not working", "quality", "bug",
                                    "playback", "freez", "lag", "app")),
    (CancellationReason.CONTENT, ("nothing to watch", "nothing good", "content", "catalog", "shows", "movies",
                                  "selection", "boring", "watched everything", "seen everything")),
)  # fmt: skip
MONTH_WORDS = {"a": 1, "one": 1, "1": 1, "two": 2, "2": 2, "three": 3, "3": 3, "a couple": 2, "couple": 2}
UNDO_BUTTON = Button("Undo my cancellation", payload("undo_cancellation"))


def reason_of(value: str) -> CancellationReason:
    text = value.strip().lower()
    try:
        return CancellationReason(text)
    except ValueError:
        pass
    for reason, words in REASON_WORDS:
        if any(word in text for word in words):
            return reason
    return CancellationReason.OTHER


def months_of(value: Any) -> int | None:
    """ "2", 2.0, "two months", "a month" -> 2, 2, 2, 1; None when no number of months is there."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else None
    text = str(value or "").strip().lower()
    match = re.search(r"\b(\d+)\b", text)
    if match:
        return int(match.group(1))
    for word, months in sorted(MONTH_WORDS.items(), key=lambda pair: -len(pair[0])):
        if re.search(rf"\b{re.escape(word)}\b", text):
            return months
    return None


def _ends_on(engine: Any, caller: Caller) -> tuple[date, bool, bool]:
    """(the day a cancellation would take effect, whether one is already pending, whether it is paused)."""
    with reading(engine) as session:
        account_for(session, caller.actor, caller.account_id)
        live = require_live_subscription(session, caller.account_id)
        paused = live.status == SubscriptionStatus.PAUSED
        return (date.today() if paused else live.current_period_end), live.cancel_at_period_end, paused


def _offer(engine: Any, caller: Caller, reason: CancellationReason) -> dict[str, Any] | None:
    with reading(engine) as session:
        offer = subscription.retention_offer(session, caller.actor, caller.account_id, reason.value)
    return None if offer.kind == OfferKind.NONE else dataclasses.asdict(offer)


class ValidateCancelSubscriptionForm(SupportFormValidator):
    form = forms.CANCEL_FORM

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        slots = ["cancel_reason"]
        if tracker.slots.get("retention_offer"):
            slots.append("retention_accepted")
        if tracker.slots.get("retention_accepted") is not True:
            slots.append("cancel_confirmed")
        return slots

    async def validate_cancel_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if not isinstance(value, str) or not value.strip():
            return {"cancel_reason": None}
        reason = reason_of(value)
        own_words = value.strip().lower() != reason.value
        caller = await self.caller_of(tracker)
        try:
            ends_on, already, _ = await self.in_worker(_ends_on, caller)
            if already:
                dispatcher.utter_message(
                    text=f"Your subscription already ends on {day(ends_on)}. If you'd rather keep it, I can undo "
                    "the cancellation.",
                    buttons=[UNDO_BUTTON.as_dict()],
                )
                return self.end_form(tracker, dispatcher, "So there's nothing more to cancel.")
            offer = await self.in_worker(_offer, caller, reason)
        except ServiceError as exc:
            return self.end_form(tracker, dispatcher, sorry(exc))
        return {
            "cancel_reason": reason.value,
            "cancel_note": redact(" ".join(value.split()))[:MAX_NOTE_CHARS] if own_words else None,
            "retention_offer": offer,
            "retention_accepted": None,
            "cancel_confirmed": None,
            "cancel_preview": None,
        }

    def validate_retention_accepted(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is True:
            return {"retention_accepted": True}  # cancel_preview holds the offer that was accepted
        # Declined (or unclear): the offer's preview must not be mistaken for the cancellation's.
        return {"retention_accepted": value if value is False else None, "cancel_preview": None}

    def validate_cancel_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"cancel_confirmed": value if isinstance(value, bool) else None}


class ActionAskRetentionAccepted(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.CANCEL_FORM]
    preview_slot = "cancel_preview"

    def name(self) -> str:
        return "action_ask_retention_accepted"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        offer = call.turn.slots.get("retention_offer") or {}
        kind = offer.get("kind")
        if kind == OfferKind.DOWNGRADE:
            with reading(call.engine) as session:
                preview = plans.preview_plan_change(
                    session, caller.actor, caller.account_id, offer["plan_code"]
                )
            credit = (
                f" The switch happens today and you get {money(-preview.proration_cents, preview.currency)} back "
                "as credit for the rest of this period."
                if preview.proration_cents < 0
                else " The switch happens today."
            )
            text = (
                f"would you like to switch to the cheaper {offer['plan_code'].title()} plan for "
                f"{money(preview.new_price_cents, preview.currency)} a month instead?{credit}"
            )
            stored = make_preview(
                RETENTION_KINDS[OfferKind.DOWNGRADE], caller, {"plan": preview.to_plan},
                shown={"offer": text}, service_confirmation_id=preview.confirmation_id,
            )  # fmt: skip
        elif kind == OfferKind.DISCOUNT:
            text = (
                f"would you like {offer['discount_percent']}% off your next {offer['discount_cycles']} monthly "
                "charges instead?"
            )
            stored = make_preview(RETENTION_KINDS[OfferKind.DISCOUNT], caller, {}, shown={"offer": text})
        elif kind == OfferKind.PAUSE:
            text = (
                f"would you like to pause for up to {offer['pause_months']} month(s) at no charge instead? You "
                "keep watching until the end of what you've paid for."
            )
            stored = make_preview(
                RETENTION_KINDS[OfferKind.PAUSE],
                caller,
                {"months": int(offer["pause_months"])},
                shown={"offer": text},
            )
        elif kind == OfferKind.SUPPORT:
            text = (
                "would you let our technical team try to fix the problem first? I'll open a ticket for them."
            )
            stored = make_preview(RETENTION_KINDS[OfferKind.SUPPORT], caller, {}, shown={"offer": text})
        else:
            return  # no offer: the form should not have asked; preview_slot ends it
        outcome.say(
            f"I'm sorry to hear that. Before you go: {text}",
            [*yes_no("Yes, I'd like that", "No, cancel anyway"), STOP_BUTTON],
        )
        outcome.set(cancel_preview=stored)


class ActionAskCancelConfirmed(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.CANCEL_FORM]
    preview_slot = "cancel_preview"

    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        ends_on, _, paused = _ends_on(call.engine, caller)
        reason = call.turn.slot_text("cancel_reason") or CancellationReason.OTHER.value
        note = call.turn.slot_text("cancel_note") or ""
        when = (
            "Your subscription is paused, so it would end today."
            if paused
            else f"You can keep watching until {day(ends_on)} and you won't be charged again; you can undo it "
            "until then."
        )
        outcome.say(
            f"{when} Cancel your subscription?", [*yes_no("Yes, cancel it", "No, keep it"), STOP_BUTTON]
        )
        outcome.set(
            cancel_preview=make_preview(
                CANCEL, caller, {"reason": reason, "note": note}, shown={"ends_on": ends_on.isoformat()}
            )
        )


def _apply_offer(call: Call, preview: dict[str, Any], outcome: Outcome) -> None:
    caller = call.signed_in
    kind, cid = preview["kind"], preview["confirmation_id"]
    if kind == RETENTION_KINDS[OfferKind.SUPPORT]:
        receipt = escalate(
            call, TicketCategory.PLAYBACK, "Wants to cancel over a technical problem; fix it first",
            confirmation_id=cid, details={"cancel_reason": "technical"},
        )  # fmt: skip
        outcome.say(f"Thank you for giving us the chance. {ticket_sentence(receipt)}")
        return
    with writing(call.engine) as session:
        if kind == RETENTION_KINDS[OfferKind.DOWNGRADE]:
            result = plans.change_plan(
                session, caller.actor, caller.account_id, preview["params"]["plan"], cid
            )
            text = f"Done: you're on the {result.to_plan.title()} plan from today."
        elif kind == RETENTION_KINDS[OfferKind.DISCOUNT]:
            discount = subscription.accept_retention_discount(session, caller.actor, caller.account_id, cid)
            text = f"Done: {discount.percent_off}% off your next {discount.cycles} monthly charges."
        else:
            state = subscription.pause(
                session, caller.actor, caller.account_id, int(preview["params"]["months"]), cid
            )
            text = (
                f"Done: your subscription pauses at the end of this period and billing restarts on "
                f"{day(state.paused_until)}."
            )
    outcome.say(f"{text} Your subscription isn't cancelled.")


class ActionCancelSubscription(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.CANCEL_FORM]

    def name(self) -> str:
        return "action_cancel_subscription"

    def handle(self, call: Call, outcome: Outcome) -> None:
        outcome.events += forms.clear(forms.CANCEL_FORM)
        slots = call.turn.slots
        accepted, confirmed = slots.get("retention_accepted"), slots.get("cancel_confirmed")
        if accepted is not True and confirmed is None:
            return
        if accepted is not True and confirmed is False:
            outcome.say("Okay, I haven't cancelled anything: your subscription stays as it is.")
            return
        kinds = set(RETENTION_KINDS.values()) if accepted is True else {CANCEL}
        try:
            preview = checked_preview(slots.get("cancel_preview"), call.signed_in, kinds)
        except PreviewRejected as exc:
            outcome.say(f"Sorry: {exc}.")
            return
        if accepted is True:
            _apply_offer(call, preview, outcome)
            return
        caller = call.signed_in
        with writing(call.engine) as session:
            result = subscription.cancel(
                session, caller.actor, caller.account_id, preview["params"]["reason"], preview["confirmation_id"],
                note=preview["params"].get("note") or "",
            )  # fmt: skip
        if result.ended_now:
            outcome.say("Done: your subscription is cancelled as of today. You won't be charged again.")
            return
        outcome.say(
            f"Done: your subscription ends on {day(result.ends_on)} and you won't be charged again. Changed your "
            "mind? Ask me to undo the cancellation any time before then.",
            [UNDO_BUTTON],
        )


# -- pause ---------------------------------------------------------------------------------------------------


def _pause_window(engine: Any, caller: Caller, months: int) -> tuple[date, date]:
    with reading(engine) as session:
        account_for(session, caller.actor, caller.account_id)
        live = require_live_subscription(session, caller.account_id)
        if live.status != SubscriptionStatus.ACTIVE or live.cancel_at_period_end or live.paused_until:
            state = (
                "set to end" if live.cancel_at_period_end
                else f"already pausing until {day(live.paused_until)}" if live.paused_until
                else live.status.replace("_", " ")
            )  # fmt: skip
            raise Conflict(f"your subscription is {state}, so it can't be paused now")
        return live.current_period_end, subscription.add_months(live.current_period_end, months)


class ValidatePauseSubscriptionForm(SupportFormValidator):
    form = forms.PAUSE_FORM

    async def validate_pause_months(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:
            return {"pause_months": None}
        months = months_of(value)
        if months is None or not 1 <= months <= MAX_PAUSE_MONTHS:
            # The form asks again right after this (utter_ask_pause_months, with its buttons): just say why.
            dispatcher.utter_message(text=f"A pause can last 1 to {MAX_PAUSE_MONTHS} months.")
            return {"pause_months": None}
        caller = await self.caller_of(tracker)
        try:
            await self.in_worker(_pause_window, caller, months)
        except ServiceError as exc:
            return self.end_form(tracker, dispatcher, sorry(exc))
        return {"pause_months": float(months), "pause_confirmed": None, "pause_preview": None}

    def validate_pause_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"pause_confirmed": value if isinstance(value, bool) else None}


class ActionAskPauseConfirmed(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.PAUSE_FORM]
    preview_slot = "pause_preview"

    def name(self) -> str:
        return "action_ask_pause_confirmed"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        months = months_of(call.turn.slots.get("pause_months")) or 1
        starts, until = _pause_window(call.engine, caller, months)
        outcome.say(
            f"You'd keep watching until {day(starts)}, then your subscription pauses until {day(until)}: no "
            f"charges in between, and billing restarts on {day(until)}. Pause it?",
            [*yes_no("Yes, pause it", "No, keep it running"), STOP_BUTTON],
        )
        outcome.set(
            pause_preview=make_preview(PAUSE, caller, {"months": months}, shown={"until": until.isoformat()})
        )


class ActionPauseSubscription(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.PAUSE_FORM]

    def name(self) -> str:
        return "action_pause_subscription"

    def handle(self, call: Call, outcome: Outcome) -> None:
        outcome.events += forms.clear(forms.PAUSE_FORM)
        confirmed = call.turn.slots.get("pause_confirmed")
        if confirmed is None:
            return
        if confirmed is False:
            outcome.say("Okay, I haven't paused anything: your subscription keeps running.")
            return
        caller = call.signed_in
        try:
            preview = checked_preview(call.turn.slots.get("pause_preview"), caller, {PAUSE})
        except PreviewRejected as exc:
            outcome.say(f"Sorry: {exc}.")
            return
        with writing(call.engine) as session:
            state = subscription.pause(
                session,
                caller.actor,
                caller.account_id,
                int(preview["params"]["months"]),
                preview["confirmation_id"],
            )
        outcome.say(
            f"Done: your subscription pauses at the end of this period and restarts on {day(state.paused_until)}. "
            "Ask me to resume it any time."
        )


# -- resume and undo -----------------------------------------------------------------------------------------


class ActionPreviewResume(SupportAction):
    def name(self) -> str:
        return "action_preview_resume"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        with reading(call.engine) as session:
            account_for(session, caller.actor, caller.account_id)
            live = require_live_subscription(session, caller.account_id)
            status, paused_until, period_end = live.status, live.paused_until, live.current_period_end
            plan_name = live.plan.name
        if status == SubscriptionStatus.PAUSED:
            question = (
                f"Resuming starts a new billing period today: your {plan_name} plan is charged today and then "
                "monthly. Resume now?"
            )
        elif paused_until is not None:
            question = (
                f"Your subscription is set to pause on {day(period_end)}. Cancel that pause, so it simply renews "
                f"on {day(period_end)}?"
            )
        else:
            outcome.say(
                "Your subscription isn't paused and no pause is planned, so there's nothing to resume."
            )
            return
        ask_to_confirm(outcome, caller, RESUME, {}, question, "Yes, resume", "No, stay paused")


class ActionPreviewUndoCancellation(SupportAction):
    def name(self) -> str:
        return "action_preview_undo_cancellation"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        with reading(call.engine) as session:
            account_for(session, caller.actor, caller.account_id)
            live = require_live_subscription(session, caller.account_id)
            pending, period_end = live.cancel_at_period_end, live.current_period_end
        if not pending:
            outcome.say("There's no cancellation waiting on your subscription, so there's nothing to undo.")
            return
        ask_to_confirm(
            outcome, caller, UNDO_CANCELLATION, {},
            f"Your subscription is set to end on {day(period_end)}. Undo the cancellation, so it keeps renewing?",
            "Yes, keep my subscription", "No, let it end",
        )  # fmt: skip
