"""Billing: the next charge, invoice history, "I was charged twice", "my payment failed", and a secure link
to change the card. The assistant never asks for card numbers."""

from __future__ import annotations

from accountdb.models import SubscriptionStatus
from accountdb.services import billing
from accountdb.services.tickets import TicketCategory
from actions.replies import Button, payload
from actions.support.base import Call, Outcome, SupportAction, reading, writing
from actions.support.context import turn_id
from actions.support.escalation import escalate
from actions.support.texts import day, money

INVOICES_SHOWN = 6
UPDATE_CARD_BUTTON = Button("Update my card", payload("update_payment_method"))


class ActionNextCharge(SupportAction):
    def name(self) -> str:
        return "action_next_charge"

    def handle(self, call: Call, outcome: Outcome) -> None:
        with reading(call.engine) as session:
            charge = billing.next_charge(session, call.signed_in.actor, call.signed_in.account_id)
        plan = f"{charge.plan_name} plan"
        if charge.charge_date is None or charge.amount_cents is None:
            ends = day(charge.ends_on) if charge.ends_on else "the end of this period"
            outcome.say(f"Your {plan} ends on {ends}, so there are no further charges.")
            return
        amount = money(charge.amount_cents, charge.currency)
        when = day(charge.charge_date)
        if charge.subscription_status == SubscriptionStatus.PAST_DUE:
            outcome.say(
                f"Your last payment failed. We'll try to charge {amount} again on {when}.",
                [Button("Why did it fail?", payload("payment_failed")), UPDATE_CARD_BUTTON],
            )
            return
        if charge.subscription_status == SubscriptionStatus.PAUSED:
            outcome.say(f"Your {plan} is paused. Billing restarts on {when} with {amount}.")
            return
        notes = []
        if charge.discount_percent:
            notes.append(f"{charge.discount_percent}% discount")
        if charge.credit_applied_cents:
            notes.append(f"{money(charge.credit_applied_cents, charge.currency)} credit")
        extra = (
            f" That's the list price of {money(charge.list_price_cents, charge.currency)} less your "
            f"{' and '.join(notes)}."
            if notes
            else ""
        )
        outcome.say(f"Your next charge is {amount} on {when} for the {plan}.{extra}")


class ActionInvoiceHistory(SupportAction):
    def name(self) -> str:
        return "action_invoice_history"

    def handle(self, call: Call, outcome: Outcome) -> None:
        with reading(call.engine) as session:
            invoices = billing.invoice_history(
                session, call.signed_in.actor, call.signed_in.account_id, limit=INVOICES_SHOWN
            )
        if not invoices:
            outcome.say("There are no invoices on your account yet.")
            return
        lines = [f"Your last {len(invoices)} invoice{'s' if len(invoices) != 1 else ''}:"]
        for invoice in invoices:
            paid = f"paid {day(invoice.paid_at)}" if invoice.paid_at else invoice.status.replace("_", " ")
            lines.append(
                f"- {invoice.number}: {money(invoice.amount_cents, invoice.currency)} for "
                f"{day(invoice.period_start)} to {day(invoice.period_end)}, {paid}"
            )
        outcome.say("\n".join(lines))


class ActionCheckDoubleCharge(SupportAction):
    def name(self) -> str:
        return "action_check_double_charge"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        with reading(call.engine) as session:
            report = billing.check_duplicate_charge(session, caller.actor, caller.account_id)
        if not report.duplicate:
            checked = [
                f"- {money(c.amount_cents, c.currency)} on {day(c.charged_at)} ({c.invoice_number})"
                for c in report.charges
            ]
            lines = [f"I checked your recent charges and found no duplicate: {report.explanation}."]
            if checked:
                lines += ["Charges in the last four months:", *checked]
            outcome.say("\n".join(lines), [Button("Talk to a person", payload("talk_to_agent"))])
            return
        first, second = report.charges
        receipt = escalate(
            call,
            TicketCategory.BILLING,
            f"Duplicate charge {first.invoice_number} / {second.invoice_number}",
            confirmation_id=turn_id(call.turn, "duplicate_charge"),
            details={
                "payments": [first.payment_id, second.payment_id],
                "invoices": [first.invoice_number, second.invoice_number],
                "amount_cents": first.amount_cents,
                "currency": first.currency,
            },
        )
        card = f" to your {first.card}" if first.card else ""
        outcome.say(
            f"You're right: you were charged {money(first.amount_cents, first.currency)} twice{card} for "
            f"{day(first.period_start)} to {day(first.period_end)} (on {day(first.charged_at)} and "
            f"{day(second.charged_at)}). I've opened ticket {receipt.reference} for our billing team to refund "
            f"the duplicate; you'll hear from them {receipt.expected_response}."
        )


class ActionExplainFailedPayment(SupportAction):
    def name(self) -> str:
        return "action_explain_failed_payment"

    def handle(self, call: Call, outcome: Outcome) -> None:
        with reading(call.engine) as session:
            failure = billing.explain_failed_payment(session, call.signed_in.actor, call.signed_in.account_id)
        if failure is None:
            outcome.say("None of your payments has failed. Your billing is up to date.")
            return
        card = f" on your {failure.card}" if failure.card else ""
        amount = money(failure.amount_cents, failure.currency)
        if failure.settled:
            outcome.say(
                f"A payment of {amount}{card} failed on {day(failure.attempted_at)} because {failure.cause}, "
                f"but a later attempt paid invoice {failure.invoice_number}. There's nothing you need to do."
            )
            return
        retry = f" We'll try again on {day(failure.next_retry)}." if failure.next_retry else ""
        outcome.say(
            f"Your payment of {amount}{card} on {day(failure.attempted_at)} failed because {failure.cause}. "
            f"To fix it: {failure.fix}.{retry}",
            [UPDATE_CARD_BUTTON],
        )


class ActionPaymentMethodLink(SupportAction):
    def name(self) -> str:
        return "action_payment_method_link"

    def handle(self, call: Call, outcome: Outcome) -> None:
        caller = call.signed_in
        with writing(call.engine) as session:
            link = billing.payment_method_update_link(
                session, caller.actor, caller.account_id, turn_id(call.turn, "payment_method_link")
            )
        outcome.say(
            f"Here's a secure page where you can change your card yourself: {link.url}\nIt works once and "
            f"expires at {link.expires_at:%H:%M} UTC. I never need your card number in this chat."
        )
