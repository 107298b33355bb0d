"""Input channels that never leave a subscriber without an answer.

When the action server is down or a custom action fails, Rasa 3.6 logs the error, drops the action's events
and goes on listening: the subscriber sees nothing. These channels keep Rasa's own REST and socket.io
behaviour (same names, so the same URLs) and add one thing: a user message that produced no bot message at
all gets an honest "I'm having trouble" reply. Every Marquee turn answers with at least one message, so
silence always means something failed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

logger = logging.getLogger(__name__)

TROUBLE_REPLY = (
    "Sorry, I'm having trouble right now and couldn't finish that. Please try again in a moment. "
    "If it keeps happening, our support team can help."
)
# Housekeeping messages a client sends on its own; they legitimately produce no reply.
SILENT_COMMANDS = ("/session_start", "/restart")


class _ReplyCountingOutput(OutputChannel):
    """Passes every bot message through to the channel's own output and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.replies = 0

    def name(self) -> str:  # type: ignore[override]
        return self.inner.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.replies += 1
        await self.inner.send_response(recipient_id, message)


def answer_silence(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[None]]:
    async def handle(message: UserMessage) -> None:
        counting = _ReplyCountingOutput(message.output_channel)
        message.output_channel = counting
        await on_new_message(message)
        text = (message.text or "").strip()
        if counting.replies == 0 and not text.startswith(SILENT_COMMANDS):
            logger.warning(
                "conversation %s: the turn produced no reply (action server down or an action failed); "
                "telling the user we are having trouble",
                message.sender_id,
            )
            await counting.inner.send_response(message.sender_id, {"text": TROUBLE_REPLY})

    return handle


class TroubleAwareRestInput(RestInput):
    """Rasa's REST channel (served at /webhooks/rest/webhook) that answers silence."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        return super().blueprint(answer_silence(on_new_message))


class TroubleAwareSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel that answers silence."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(answer_silence(on_new_message))
