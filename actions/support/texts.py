"""Wording shared by the support actions: sign-in, apologies, money, dates and yes/no buttons."""

from __future__ import annotations

from datetime import date, datetime

from accountdb.services.errors import ServiceError
from accountdb.services.pricing import format_amount
from actions.replies import Button, format_date, payload

SIGN_IN_TEXT = (
    "Please sign in to the Marquee app or website first, then ask me again. I can only look at or change "
    "account details for the signed-in account holder."
)
STOPPED_TEXT = "Okay, I've stopped there. Nothing was changed."


def money(amount_cents: int, currency: str) -> str:
    return format_amount(amount_cents, currency)


def day(value: date | datetime) -> str:
    return format_date(value.date() if isinstance(value, datetime) else value)


def sentence(text: str) -> str:
    """A service message ("the subscription is paused; resume it first") as a sentence."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def sorry(error: ServiceError | str) -> str:
    reason = sentence(str(error))
    return f"Sorry, I can't do that: {reason[:1].lower()}{reason[1:]}"


def yes_no(yes: str = "Yes, go ahead", no: str = "No, keep things as they are") -> list[Button]:
    return [Button(yes, payload("affirm")), Button(no, payload("deny"))]


STOP_BUTTON = Button("Stop", payload("stop"))
AGENT_BUTTON = Button("Talk to a person", payload("talk_to_agent"))
