"""Input channels that mask secrets before Rasa sees a message and never leave a subscriber without an answer.

These keep Rasa's own REST and socket.io behaviour (same names, so the same URLs) and add two things:

- Card numbers and passwords typed into the chat are masked (accountdb.services.redaction) in the message
  text before it reaches Rasa: Rasa builds the UserUttered event, its logs and the action server's tracker
  from `UserMessage.text`, so none of them ever holds the clear value. What was masked (the kinds, never
  the values) goes into the message metadata under `marquee_redacted`; the actions read it and start
  their reply with a warning (actions.secret_warning). On a turn answered without a custom action (a
  plain response such as "out of scope"), the channel sends that warning itself, ahead of the replies.
- When the action server is down or a custom action fails, Rasa 3.6 logs the error, drops the action's
  events and goes on listening: the subscriber would see nothing. A user message that produced no bot
  message at all gets an honest "I'm having trouble" reply. Every Marquee turn answers with at least one
  message, so silence always means something failed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from accountdb.services.redaction import redact_text
from actions.secret_warning import REDACTED_KEY, is_warning, masked_kinds, merge_kinds, warning_for

logger = logging.getLogger(__name__)

TROUBLE_REPLY = (
    "Sorry, I'm having trouble right now and couldn't finish that. Please try again in a moment. "
    "If it keeps happening, our support team can help."
)
# Housekeeping messages a client sends on its own; they legitimately produce no reply.
SILENT_COMMANDS = ("/session_start", "/restart")


class _TurnOutput(OutputChannel):
    """Passes every bot message of one turn on to the channel's own output and counts them.

    While `holding`, messages are kept until the turn ends (`flush`), so that a warning can still go first.
    """

    def __init__(self, inner: OutputChannel, *, holding: bool) -> None:
        self.inner = inner
        self.holding = holding
        self.held: list[dict[str, Any]] = []
        self.replies = 0

    def name(self) -> str:  # type: ignore[override]
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.replies += 1
        if self.holding:
            self.held.append(message)
        else:
            await self.inner.send_response(recipient_id, message)

    async def flush(self, recipient_id: str, first: str | None = None) -> None:
        """Sends `first` (unless a held message already is a warning), then the held messages.

        `first` is not counted as a reply: a warning alone still means the turn itself went silent.
        """
        if first is not None and not any(is_warning(message.get("text")) for message in self.held):
            await self.inner.send_response(recipient_id, {"text": first})
        held, self.held, self.holding = self.held, [], False
        for message in held:
            await self.inner.send_response(recipient_id, message)


def mask_secrets(message: UserMessage, *, flagged_by_channel: bool) -> tuple[str, ...]:
    """Masks card numbers and passwords in `message.text` and records the kinds in its metadata.

    Returns the kinds masked in this message. `flagged_by_channel` says whether `REDACTED_KEY` in the
    metadata was written by our own channel (the REST channel masks while reading the request); otherwise
    it came from the client and is replaced.
    """
    redacted = redact_text(message.text) if isinstance(message.text, str) else None
    if redacted is not None and redacted.changed:
        message.text = redacted.text
    metadata = message.metadata
    earlier = masked_kinds(metadata) if flagged_by_channel else ()
    kinds = merge_kinds(earlier, redacted.kinds if redacted is not None else ())
    if metadata is None:
        metadata = message.metadata = {}
    if not isinstance(metadata, dict):
        if kinds:
            logger.warning(
                "conversation %s: masked %s, but the client's metadata is a %s, not an object, so the "
                "actions cannot be told; the channel warns the user itself",
                message.sender_id,
                ", ".join(kinds),
                type(metadata).__name__,
            )
        return kinds
    if kinds:
        metadata[REDACTED_KEY] = list(kinds)
        logger.info("conversation %s: masked %s in the user's message", message.sender_id, ", ".join(kinds))
    else:
        metadata.pop(REDACTED_KEY, None)
    return kinds


def guard_turns(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], *, flagged_by_channel: bool = False
) -> Callable[[UserMessage], Awaitable[None]]:
    """Wraps Rasa's message handler: masks secrets first, then makes sure the turn warns and answers."""

    async def handle(message: UserMessage) -> None:
        kinds = mask_secrets(message, flagged_by_channel=flagged_by_channel)
        output = _TurnOutput(message.output_channel, holding=bool(kinds))
        message.output_channel = output
        try:
            await on_new_message(message)
        except Exception:
            # Logged here (the text is masked) so the failure gets the trouble reply below instead of silence.
            logger.exception("conversation %s: Rasa failed to handle the message", message.sender_id)
        finally:
            await output.flush(message.sender_id, warning_for(kinds))
        text = (message.text or "").strip()
        if output.replies == 0 and not text.startswith(SILENT_COMMANDS):
            logger.warning(
                "conversation %s: the turn produced no reply (action server down or an action failed); "
                "telling the user we are having trouble",
                message.sender_id,
            )
            await output.inner.send_response(message.sender_id, {"text": TROUBLE_REPLY})

    return handle


class TroubleAwareRestInput(RestInput):
    """Rasa's REST channel (served at /webhooks/rest/webhook) that masks secrets and answers silence.

    It masks while reading the request, because Rasa's REST handler logs the text it read when handling
    fails or times out.
    """

    def _extract_message(self, req: Request) -> str | None:
        text = super()._extract_message(req)
        return redact_text(text).text if isinstance(text, str) else text

    def get_metadata(self, request: Request) -> dict[str, Any]:
        metadata = super().get_metadata(request)
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise InvalidUsage(
                f'"metadata" must be a JSON object (or left out), not a {type(metadata).__name__}. '
                'Send it as {"marquee_token": "...", ...}.'
            )
        # Only what this channel finds counts; a client can neither set nor clear the flag.
        metadata = {key: value for key, value in metadata.items() if key != REDACTED_KEY}
        text = super()._extract_message(request)
        kinds = redact_text(text).kinds if isinstance(text, str) else ()
        if kinds:
            metadata[REDACTED_KEY] = list(kinds)
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        return super().blueprint(guard_turns(on_new_message, flagged_by_channel=True))


class TroubleAwareSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel that masks secrets and answers silence."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(guard_turns(on_new_message))
        sio = self.sio
        assert sio is not None  # set by SocketIOInput.blueprint

        # Replaces Rasa's handler: python-socketio 5.12+ made AsyncServer.enter_room a coroutine, which Rasa
        # 3.6 calls without awaiting, so with session_persistence the client never joined its session's
        # room and every bot message (sent to that room) was lost.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            data = data if isinstance(data, dict) else {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"], namespace=self.namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)
            logger.debug("socket.io client %s joined session %s", sid, data["session_id"])

        return blueprint
