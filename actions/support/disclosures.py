"""Card numbers and passwords typed into chat: warn the user, and never keep them in a slot.

The Rasa channels mask such values before Rasa sees the message and say so in the message metadata
(`actions.secret_warning`). Every support action and form validator still scans the latest user message
itself, in case a message arrived unmasked. When it held a secret, the user gets the warning and every slot
whose value contains one is cleared (SlotSet None). What the actions store elsewhere (tickets, audit
entries, notes) passes through `accountdb.services.redaction` as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accountdb.services.redaction import CARD, PASSWORD, redact_data, redact_text
from actions.secret_warning import CARD_WARNING, PASSWORD_WARNING, masked_kinds, warning_for

__all__ = [
    "CARD",
    "CARD_WARNING",
    "PASSWORD",
    "PASSWORD_WARNING",
    "disclosed",
    "holds_secret",
    "masked_kinds",
    "slots_holding_secrets",
    "warning_for",
]


def disclosed(text: str) -> tuple[str, ...]:
    """The kinds of secret in `text` (CARD, PASSWORD), in order of first appearance."""
    return redact_text(text or "").kinds


def holds_secret(value: Any) -> bool:
    # Slot values come from JSON (no tuples), so "redaction changed it" is a plain comparison.
    return redact_data(value) != value


def slots_holding_secrets(slots: Mapping[str, Any]) -> list[str]:
    """Names of the slots whose value (or anything inside it) contains a card number or password."""
    return [name for name, value in slots.items() if value is not None and holds_secret(value)]
