"""The warning a subscriber gets after typing a card number or a password into the chat.

The Rasa input channels (bot/channels.py) mask those values before Rasa sees the message, and list the
kinds they masked (never the values) in the message metadata under `REDACTED_KEY`. Every custom action
that answers a turn puts the warning first (actions.actions, actions.support.base); on turns that Rasa
answers with a plain response, the channel sends it itself. Both sides recognise the warning by its
opening words (`is_warning`), so the subscriber reads it once per turn.

This module needs only the standard library and accountdb.services.redaction, because the Rasa server
(Python 3.10, without the project installed) imports it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accountdb.services.redaction import CARD, PASSWORD, redact_text

REDACTED_KEY = "marquee_redacted"
KINDS = (CARD, PASSWORD)
WARNING_LEAD = "For your safety I removed"

CARD_WARNING = (
    f"{WARNING_LEAD} the card number from your message. Never share card details or passwords in chat; "
    "to update your payment method I can send you a secure link."
)
PASSWORD_WARNING = (
    f"{WARNING_LEAD} the password from your message. Never share it with anyone, not even with us; treat "
    "it as exposed: I can send you a link to reset it."
)


def masked_kinds(metadata: Any) -> tuple[str, ...]:
    """The kinds a channel masked, read from the message metadata; unknown or malformed entries are
    ignored, since metadata comes over the network."""
    if not isinstance(metadata, Mapping):
        return ()
    listed = metadata.get(REDACTED_KEY)
    if not isinstance(listed, list | tuple):
        return ()
    return tuple(kind for kind in KINDS if kind in listed)


def merge_kinds(*groups: Iterable[str]) -> tuple[str, ...]:
    """The known kinds in any of `groups`, each once, in the order of `KINDS`."""
    found = {kind for group in groups for kind in group}
    return tuple(kind for kind in KINDS if kind in found)


def secrets_in_message(text: str | None, metadata: Any) -> tuple[str, ...]:
    """What the latest message held: what the channel masked, plus anything still in the text (a message
    that reached Rasa some other way, e.g. its HTTP API, arrives unmasked)."""
    return merge_kinds(masked_kinds(metadata), redact_text(text or "").kinds)


def warning_for(kinds: Iterable[str]) -> str | None:
    kinds = tuple(kinds)
    parts = [CARD_WARNING] if CARD in kinds else []
    if PASSWORD in kinds:
        parts.append(PASSWORD_WARNING)
    return " ".join(parts) or None


def is_warning(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(WARNING_LEAD)
