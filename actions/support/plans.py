"""Plans: compare them (prices and features from the database), and change plan through a form that shows
the proration preview and the effective date, and applies the change only after an explicit yes.

change_plan_form asks `plan_target` (validated against the plans on sale and the current plan) and
`plan_change_confirmed` (asked by action_ask_plan_change_confirmed, which shows the preview and keeps it in
`plan_change_preview`); action_change_plan applies it with the preview's confirmation id. Naming another
plan mid-form replaces the target and asks again with a fresh preview.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from accountdb.services import plans
from accountdb.services.errors import Conflict, InvalidRequest, NotFound, PreviewOutdated, ServiceError
from accountdb.services.plans import PlanOption
from actions.replies import Button, payload
from actions.support import forms
from actions.support.base import Call, Outcome, SupportAction, SupportFormValidator, reading, writing
from actions.support.caller import Caller
from actions.support.confirmation import PreviewRejected, checked_preview, make_preview
from actions.support.texts import STOP_BUTTON, day, money, sorry, yes_no

PLAN_CHANGE = "plan_change"


def plan_line(option: PlanOption) -> str:
    screens = f"{option.screens} screen{'s' if option.screens != 1 else ''} at once"
    downloads = (
        f"downloads on {option.downloads_devices} device{'s' if option.downloads_devices != 1 else ''}"
        if option.downloads_devices
        else "no downloads"
    )
    mine = " (your plan)" if option.current else ""
    return (
        f"- {option.name}{mine}: {money(option.monthly_price_cents, option.currency)} a month, "
        f"{screens}, {option.resolution}, {downloads}"
    )


def plan_buttons(options: list[PlanOption]) -> list[Button]:
    return [
        Button(f"Switch to {o.name}", payload("change_plan", plan=o.code)) for o in options if not o.current
    ]


def _options(engine: Any, caller: Caller | None) -> list[PlanOption]:
    with reading(engine) as session:
        if caller is None:
            return plans.compare_plans(session)
        return plans.compare_plans(session, caller.actor, caller.account_id)


class ActionComparePlans(SupportAction):
    requires_sign_in = False  # prices and features are public; the current plan is marked when signed in

    def name(self) -> str:
        return "action_compare_plans"

    def handle(self, call: Call, outcome: Outcome) -> None:
        options = _options(call.engine, call.caller)
        lines = ["Our plans:", *(plan_line(o) for o in options)]
        if call.caller is None:
            lines.append("Sign in and I can switch your plan for you.")
        outcome.say("\n".join(lines), plan_buttons(options) if call.caller is not None else [])


class ActionAskPlanTarget(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.CHANGE_PLAN_FORM]

    def name(self) -> str:
        return "action_ask_plan_target"

    def handle(self, call: Call, outcome: Outcome) -> None:
        options = _options(call.engine, call.caller)
        lines = ["Which plan would you like?", *(plan_line(o) for o in options)]
        outcome.say("\n".join(lines), [*plan_buttons(options), STOP_BUTTON])


def _preview_text(preview: plans.PlanChangePreview, names: dict[str, str]) -> str:
    old, new = names.get(preview.from_plan, preview.from_plan), names.get(preview.to_plan, preview.to_plan)
    lines = [
        f"Switching from {old} ({money(preview.old_price_cents, preview.currency)} a month) to {new} "
        f"({money(preview.new_price_cents, preview.currency)} a month) takes effect today, "
        f"{day(preview.effective_date)}."
    ]
    days_left = f"the {preview.remaining_days} days left of this billing period"
    if preview.proration_cents > 0:
        lines.append(
            f"For {days_left} you'll be charged {money(preview.proration_cents, preview.currency)} now."
        )
    elif preview.proration_cents < 0:
        lines.append(
            f"For {days_left} you'll get a credit of {money(-preview.proration_cents, preview.currency)} "
            "on your next invoices."
        )
    lines.append(
        f"From {day(preview.next_charge_date)} you'll pay {money(preview.next_charge_cents, preview.currency)} "
        "a month. Shall I make the change?"
    )
    return " ".join(lines)


class ActionAskPlanChangeConfirmed(SupportAction):
    owned_slots = forms.FORM_SLOTS[forms.CHANGE_PLAN_FORM]
    preview_slot = "plan_change_preview"

    def name(self) -> str:
        return "action_ask_plan_change_confirmed"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        target = call.turn.slot_text("plan_target") or ""
        with reading(call.engine) as session:
            preview = plans.preview_plan_change(session, caller.actor, caller.account_id, target)
            names = {o.code: o.name for o in plans.compare_plans(session)}
        shown = {"from": preview.from_plan, "to": preview.to_plan, "proration_cents": preview.proration_cents}
        outcome.say(
            _preview_text(preview, names), [*yes_no("Yes, change my plan", "No, keep my plan"), STOP_BUTTON]
        )
        outcome.set(
            plan_change_preview=make_preview(
                PLAN_CHANGE, caller, {"plan": preview.to_plan}, shown=shown,
                service_confirmation_id=preview.confirmation_id,
            )
        )  # fmt: skip


class ValidateChangePlanForm(SupportFormValidator):
    form = forms.CHANGE_PLAN_FORM

    async def validate_plan_target(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if not isinstance(value, str) or not value.strip():
            return {"plan_target": None}
        caller = await self.caller_of(tracker)
        try:
            preview = await self.in_worker(_check_target, caller, value)
        except (InvalidRequest, NotFound) as exc:
            dispatcher.utter_message(text=sorry(exc))
            return {"plan_target": None, "plan_change_confirmed": None, "plan_change_preview": None}
        except (Conflict, ServiceError) as exc:
            return self.end_form(tracker, dispatcher, sorry(exc))
        # A new (or changed) choice always gets a fresh preview and a fresh yes.
        return {"plan_target": preview.to_plan, "plan_change_confirmed": None, "plan_change_preview": None}

    def validate_plan_change_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        return {"plan_change_confirmed": value if isinstance(value, bool) else None}


def _check_target(engine: Any, caller: Caller, value: str) -> plans.PlanChangePreview:
    with reading(engine) as session:
        return plans.preview_plan_change(session, caller.actor, caller.account_id, value)


class ActionChangePlan(SupportAction):
    """The form's submit: apply the confirmed preview once, or say that nothing changed."""

    owned_slots = forms.FORM_SLOTS[forms.CHANGE_PLAN_FORM]

    def name(self) -> str:
        return "action_change_plan"

    def handle(self, call: Call, outcome: Outcome) -> None:
        outcome.events += forms.clear(forms.CHANGE_PLAN_FORM)
        confirmed = call.turn.slots.get("plan_change_confirmed")
        if confirmed is None:
            return  # the form ended early and already said why
        if confirmed is False:
            outcome.say("Okay, I haven't changed anything: your plan stays as it is.")
            return
        caller = call.signed_in
        try:
            preview = checked_preview(call.turn.slots.get("plan_change_preview"), caller, {PLAN_CHANGE})
        except PreviewRejected as exc:
            outcome.say(f"Sorry: {exc}.")
            return
        try:
            with writing(call.engine) as session:
                result = plans.change_plan(
                    session,
                    caller.actor,
                    caller.account_id,
                    preview["params"]["plan"],
                    preview["confirmation_id"],
                )
                names = {o.code: o.name for o in plans.compare_plans(session)}
        except PreviewOutdated:
            outcome.say(
                "Your subscription changed since I showed you the preview, so I haven't changed anything. "
                "Ask me again and I'll show you an up-to-date preview."
            )
            return
        money_line = ""
        if result.invoice_number:
            money_line = (
                f" {money(result.proration_cents, result.currency)} for the rest of this period is billed now "
                f"(invoice {result.invoice_number})."
            )
        elif result.credit_cents:
            money_line = (
                f" A credit of {money(result.credit_cents, result.currency)} comes off your next invoices."
            )
        outcome.say(
            f"Done: you're on {names.get(result.to_plan, result.to_plan)} from today, {day(result.effective_date)}."
            f"{money_line} Your next regular charge is on {day(result.next_charge_date)}."
        )
