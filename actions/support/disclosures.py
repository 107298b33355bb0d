"""Card numbers and passwords typed into chat: warn the user, and never keep them in a slot.

Every support action and form validator scans the latest user message. When it holds a secret, the user
gets a warning and every slot whose value contains one is cleared (SlotSet None). What the actions store
elsewhere (tickets, audit entries, notes) passes through `accountdb.services.redaction` as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accountdb.services.redaction import CARD, PASSWORD, redact_data, redact_text

__all__ = ["CARD", "PASSWORD", "disclosed", "holds_secret", "slots_holding_secrets", "warning_for"]

CARD_WARNING = (
    "Please don't type card numbers into this chat: I never need one. I've masked it in everything I "
    "keep (tickets and notes). To change your card, ask me for a secure payment link."
)
PASSWORD_WARNING = (
    "Please don't share your password, not even with us. I've masked it in everything I keep (tickets "
    "and notes), but treat it as exposed: ask me to reset your password."
)


def disclosed(text: str) -> tuple[str, ...]:
    """The kinds of secret in `text` (CARD, PASSWORD), in order of first appearance."""
    return redact_text(text or "").kinds


def warning_for(kinds: tuple[str, ...]) -> str | None:
    parts = [CARD_WARNING] if CARD in kinds else []
    if PASSWORD in kinds:
        parts.append(PASSWORD_WARNING)
    return " ".join(parts) or None


def holds_secret(value: Any) -> bool:
    # Slot values come from JSON (no tuples), so "redaction changed it" is a plain comparison.
    return redact_data(value) != value


def slots_holding_secrets(slots: Mapping[str, Any]) -> list[str]:
    """Names of the slots whose value (or anything inside it) contains a card number or password."""
    return [name for name, value in slots.items() if value is not None and holds_secret(value)]
