"""What a support action reads from the conversation besides the latest message: which turn this is (for
idempotency), the recent intents, and the transcript and slots a ticket carries to the support team."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from accountdb.services.redaction import redact
from accountdb.services.tickets import ConversationContext
from accountdb.services.tickets import Turn as TranscriptTurn
from actions.conversation import Turn

RECENT_INTENTS = 10
TRANSCRIPT_TURNS = 20
# The ticket service keeps the latest whole turns that fit its excerpt (4,000 characters): one very long
# message would push itself and every turn before it out. Each turn is cut to this length instead.
MAX_TURN_CHARS = 500
# Never copied into a ticket: the sealed PIN is useless to an agent, and previews repeat what the
# transcript already says.
SLOTS_KEPT_OUT_OF_TICKETS = frozenset({"parental_pin", "requested_slot"})


def latest_user_event(turn: Turn) -> dict[str, Any] | None:
    return next((e for e in reversed(turn.events) if e.get("event") == "user"), None)


def turn_id(turn: Turn, purpose: str) -> str:
    """A stable id for "this user message, for this purpose": a retried action call gets the same id.

    Rasa gives each user message a `message_id`; trackers built by other clients may lack it, so the
    message's timestamp and text stand in.
    """
    event = latest_user_event(turn) or {}
    marker = event.get("message_id") or f"{event.get('timestamp')}|{event.get('text')}|{len(turn.events)}"
    digest = hashlib.sha256(f"{turn.sender_id}\x1f{purpose}\x1f{marker}".encode()).hexdigest()
    return f"turn-{digest[:32]}"


def recent_intents(turn: Turn, limit: int = RECENT_INTENTS) -> tuple[str, ...]:
    intents = [
        ((e.get("parse_data") or {}).get("intent") or {}).get("name")
        for e in turn.events
        if e.get("event") == "user"
    ]
    return tuple(i for i in intents if i)[-limit:]


def transcript(turn: Turn, limit: int = TRANSCRIPT_TURNS) -> tuple[TranscriptTurn, ...]:
    """The latest user and bot messages, oldest first, each redacted and at most MAX_TURN_CHARS long."""
    lines = []
    for event in turn.events:
        speaker = {"user": "subscriber", "bot": "assistant"}.get(event.get("event", ""))
        text = event.get("text")
        if speaker and isinstance(text, str) and text.strip():
            lines.append(TranscriptTurn(speaker, shortened(redact(" ".join(text.split())))))
    return tuple(lines[-limit:])


def shortened(text: str) -> str:
    """`text` cut to MAX_TURN_CHARS, marked with an ellipsis. Cut after redacting, so that the cut can never
    leave part of a card number that redaction would no longer recognise."""
    return text if len(text) <= MAX_TURN_CHARS else text[: MAX_TURN_CHARS - 1] + "…"


def ticket_slots(slots: dict[str, Any]) -> dict[str, Any]:
    kept = {
        name: value
        for name, value in slots.items()
        if value not in (None, [], {}) and name not in SLOTS_KEPT_OUT_OF_TICKETS
    }
    return json.loads(json.dumps(kept, default=str))


def conversation_context(turn: Turn) -> ConversationContext:
    return ConversationContext(
        intents=recent_intents(turn), slots=ticket_slots(turn.slots), transcript=transcript(turn)
    )
