"""Escalation to the support team: a ticket carrying the conversation's context, and the reference and
expected response time told to the subscriber. Refund requests and legal questions always come here."""

from __future__ import annotations

from typing import Any

from accountdb.services import tickets
from accountdb.services.redaction import redact
from accountdb.services.tickets import TicketCategory, TicketReceipt
from actions.support.base import Call, Outcome, SupportAction, writing
from actions.support.context import conversation_context, recent_intents, turn_id

SUBJECT_WORDS_CHARS = 120
TEAMS = {
    TicketCategory.BILLING: "billing",
    TicketCategory.REFUND: "billing",
    TicketCategory.LEGAL: "legal",
    TicketCategory.PLAYBACK: "technical support",
    TicketCategory.SECURITY: "account security",
    TicketCategory.ACCOUNT: "account",
    TicketCategory.CONTENT: "content",
    TicketCategory.OTHER: "support",
}
# "Talk to a person" goes to the team of what the conversation was about (latest matching intent wins).
CATEGORY_OF_INTENT = {
    "ask_next_charge": TicketCategory.BILLING,
    "ask_invoices": TicketCategory.BILLING,
    "charged_twice": TicketCategory.BILLING,
    "payment_failed": TicketCategory.BILLING,
    "update_payment_method": TicketCategory.BILLING,
    "request_refund": TicketCategory.REFUND,
    "legal_question": TicketCategory.LEGAL,
    "playback_problem": TicketCategory.PLAYBACK,
    "too_many_streams": TicketCategory.ACCOUNT,
    "compare_plans": TicketCategory.ACCOUNT,
    "change_plan": TicketCategory.ACCOUNT,
    "cancel_subscription": TicketCategory.ACCOUNT,
    "pause_subscription": TicketCategory.ACCOUNT,
    "resume_subscription": TicketCategory.ACCOUNT,
    "undo_cancellation": TicketCategory.ACCOUNT,
    "set_parental_controls": TicketCategory.ACCOUNT,
    "reset_password": TicketCategory.SECURITY,
    "account_locked": TicketCategory.SECURITY,
    "account_compromised": TicketCategory.SECURITY,
}
SUBJECTS = {
    TicketCategory.REFUND: "Refund request",
    TicketCategory.LEGAL: "Legal question",
}


def escalate(
    call: Call,
    category: TicketCategory,
    subject: str,
    *,
    confirmation_id: str,
    details: dict[str, Any] | None = None,
    priority: str | None = None,
) -> TicketReceipt:
    caller = call.signed_in
    with writing(call.engine) as session:
        return tickets.open_ticket(
            session,
            caller.actor,
            caller.account_id,
            category,
            subject,
            conversation_context(call.turn),
            confirmation_id,
            priority=priority,
            details=details,
        )


def ticket_sentence(receipt: TicketReceipt) -> str:
    team = TEAMS.get(TicketCategory(receipt.category), "support")
    return (
        f"I've passed this to our {team} team. Your reference is {receipt.reference}, and you'll get an "
        f"answer {receipt.expected_response}."
    )


def category_for(call: Call) -> TicketCategory:
    intent_category = CATEGORY_OF_INTENT.get(call.turn.intent or "")
    if intent_category is not None:
        return intent_category
    for intent in reversed(recent_intents(call.turn)):
        if intent in CATEGORY_OF_INTENT:
            return CATEGORY_OF_INTENT[intent]
    return TicketCategory.OTHER


class ActionEscalate(SupportAction):
    """talk_to_agent, request_refund, legal_question: open a ticket and say what happens next."""

    def name(self) -> str:
        return "action_escalate"

    def handle(self, call: Call, outcome: Outcome) -> None:
        category = category_for(call)
        words = redact(" ".join(call.turn.text.split()))[:SUBJECT_WORDS_CHARS]
        subject = (
            f"{SUBJECTS.get(category, 'Subscriber asked for a person')}: {words}"
            if words
            else (SUBJECTS.get(category, "Subscriber asked for a person"))
        )
        confirmation_id = turn_id(call.turn, f"escalate:{category.value}")
        invoice = call.turn.entity("invoice_number")
        if category == TicketCategory.REFUND and invoice:
            caller = call.signed_in
            with writing(call.engine) as session:
                receipt = tickets.request_refund(
                    session, caller.actor, caller.account_id, invoice, words,
                    conversation_context(call.turn), confirmation_id,
                )  # fmt: skip
        else:
            receipt = escalate(call, category, subject, confirmation_id=confirmation_id)
        lead = {
            TicketCategory.REFUND: "Refunds are decided by our billing team, not by me. ",
            TicketCategory.LEGAL: "I can't give legal answers, but our legal team can. ",
        }.get(category, "")
        outcome.say(lead + ticket_sentence(receipt))
