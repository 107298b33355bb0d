"""Input channels that mask secrets before Rasa sees a message and never leave a subscriber without an answer.

These keep Rasa's own REST and socket.io behaviour (same names, so the same URLs) and add two things:

- Card numbers and passwords typed into the chat are masked (accountdb.services.redaction) in the message
  text before it reaches Rasa: Rasa builds the UserUttered event, its logs and the action server's tracker
  from `UserMessage.text`, so none of them ever holds the clear value. What was masked (the kinds, never
  the values) goes into the message metadata under `marquee_redacted`; the actions read it and start
  their reply with a warning (actions.secret_warning). On a turn answered without a custom action (a
  plain response such as "out of scope"), the channel sends that warning itself, ahead of the replies.
- A parental-control PIN typed when the form asks for it (the conversation's tracker has
  `parental_controls_form` active and `requested_slot: parental_pin`) is replaced by a placeholder, and its
  digits go on sealed in the metadata (actions.support.pin_seal), for the form's validator only. The
  channel asks the tracker store, so it needs nothing from the client; only messages that look like a PIN
  (digits, optionally after "PIN" / "my new pin is") cost that look-up. Elsewhere such a message is left
  as typed ("1917" may be a film).
- When the action server is down or a custom action fails, Rasa 3.6 logs the error, drops the action's
  events and goes on listening: the subscriber would see nothing. A user message that produced no bot
  message at all gets an honest "I'm having trouble" reply. Every Marquee turn answers with at least one
  message, so silence always means something failed.
"""

from __future__ import annotations

import logging
import re
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
from actions.identity import TokenSecretMissing
from actions.secret_warning import REDACTED_KEY, is_warning, masked_kinds, merge_kinds, warning_for
from actions.support.pin_seal import PIN_PLACEHOLDER, SEALED_PIN_KEY, SealBroken, seal_pin, unseal_pin

logger = logging.getLogger(__name__)

TROUBLE_REPLY = (
    "Sorry, I'm having trouble right now and couldn't finish that. Please try again in a moment. "
    "If it keeps happening, our support team can help."
)
# Housekeeping messages a client sends on its own; they legitimately produce no reply.
SILENT_COMMANDS = ("/session_start", "/restart")

PIN_FORM = "parental_controls_form"
PIN_SLOT = "parental_pin"
REQUESTED_SLOT = "requested_slot"
# Longer digit runs are not a PIN answer, not even a mistyped one (card numbers are redacted instead).
MAX_PIN_ANSWER_DIGITS = 8
# A message that is only digits (spaces, dots or dashes between them), perhaps after "PIN", "my new pin is".
_PIN_SHAPED = re.compile(
    r"(?:(?:my\s+)?(?:new\s+)?pin(?:\s*code)?(?:\s+(?:is|to|should\s+be|will\s+be))?\s*[:=]?\s*)?"
    r"(?P<digits>\d(?:[\d\s.\-]*\d)?)[.!]?",
    re.IGNORECASE,
)
# REST only: the text of a PIN-shaped message, sealed, from reading the request until the turn knows
# whether the conversation is at the PIN step (Rasa's REST handler logs the text it read on failure).
HELD_TEXT_KEY = "marquee_held_text"
# Whether a conversation's form is asking for the PIN now.
PinStepLookup = Callable[[str], Awaitable[bool]]


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


def pin_digits(text: Any) -> str | None:
    """The digits of a message that is only a PIN (or a mistyped one); None for any other message."""
    if not isinstance(text, str):
        return None
    match = _PIN_SHAPED.fullmatch(text.strip())
    if match is None:
        return None
    digits = "".join(char for char in match["digits"] if char.isdigit())
    return digits if len(digits) <= MAX_PIN_ANSWER_DIGITS else None


def is_pin_step(tracker: Any) -> bool:
    """Whether a Rasa tracker's parental-controls form is asking for the PIN."""
    return (
        tracker is not None
        and tracker.active_loop_name == PIN_FORM
        and tracker.get_slot(REQUESTED_SLOT) == PIN_SLOT
    )


class TrackerPinStep:
    """Looks the conversation up in the running agent's tracker store (where `rasa run` keeps it).

    `blueprint` is the channel's blueprint; Sanic records the app on it when the app registers it.
    """

    def __init__(self) -> None:
        self.blueprint: Blueprint | None = None

    async def __call__(self, sender_id: str) -> bool:
        assert self.blueprint is not None, "the channel's blueprint is set before it is registered"
        agent = next(iter(self.blueprint.apps)).ctx.agent
        return is_pin_step(await agent.tracker_store.retrieve(sender_id))


def seal_held_text(text: str, sender_id: Any) -> str | None:
    """`text` sealed for the conversation; None when no secret is configured (then nothing is held)."""
    try:
        return seal_pin(text, str(sender_id))
    except TokenSecretMissing as exc:
        logger.error("cannot seal a PIN-shaped message for conversation %s: %s", sender_id, exc)
        return None


async def hide_pin(message: UserMessage, at_pin_step: PinStepLookup, *, flagged_by_channel: bool) -> bool:
    """At the PIN step, replaces a PIN-shaped message by PIN_PLACEHOLDER and seals its digits into the
    metadata (SEALED_PIN_KEY); any other message keeps its text. Returns whether a PIN was hidden.

    A client can neither hand in a sealed PIN nor a held text: both keys are dropped unless this channel
    wrote them (`flagged_by_channel`: the REST channel holds the text while it reads the request).
    """
    metadata = message.metadata if isinstance(message.metadata, dict) else None
    held = None
    if metadata is not None:
        metadata.pop(SEALED_PIN_KEY, None)
        held = metadata.pop(HELD_TEXT_KEY, None)
    if flagged_by_channel and held is not None:
        try:
            message.text = unseal_pin(held, message.sender_id)
        except SealBroken:
            logger.error(
                "conversation %s: the held message could not be unsealed; it stays hidden", message.sender_id
            )
    digits = pin_digits(message.text)
    if digits is None:
        return False
    try:
        at_step = await at_pin_step(message.sender_id)
    except Exception:
        # Without the tracker the step is unknown: hiding a non-PIN costs one answer, showing a PIN costs the PIN.
        logger.exception(
            "conversation %s: could not read the tracker; hiding the PIN-shaped message", message.sender_id
        )
        at_step = True
    if not at_step:
        return False
    message.text = PIN_PLACEHOLDER
    sealed = seal_held_text(digits, message.sender_id)
    if sealed is not None and message.metadata is None:
        message.metadata = metadata = {}
    if sealed is not None and metadata is not None:
        metadata[SEALED_PIN_KEY] = sealed
    elif sealed is not None:
        logger.warning(
            "conversation %s: the client's metadata is a %s, not an object, so the PIN cannot be handed on; "
            "the form will ask for it again",
            message.sender_id,
            type(message.metadata).__name__,
        )
    logger.info("conversation %s: hid the PIN typed at the PIN step", message.sender_id)
    return True


def guard_turns(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    at_pin_step: PinStepLookup,
    *,
    flagged_by_channel: bool = False,
) -> Callable[[UserMessage], Awaitable[None]]:
    """Wraps Rasa's message handler: hides a PIN at the PIN step and masks secrets first, then makes sure
    the turn warns and answers."""

    async def handle(message: UserMessage) -> None:
        await hide_pin(message, at_pin_step, flagged_by_channel=flagged_by_channel)
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
    fails or times out. For the same reason a PIN-shaped message is read as PIN_PLACEHOLDER, its text held
    sealed in the metadata until the turn knows whether it answers the PIN question.
    """

    def _extract_message(self, req: Request) -> str | None:
        text = super()._extract_message(req)
        if not isinstance(text, str):
            return text
        if pin_digits(text) is not None and self._held_text(req) is not None:
            return PIN_PLACEHOLDER
        return redact_text(text).text

    def _held_text(self, req: Request) -> str | None:
        text = super()._extract_message(req)
        sender = req.json.get("sender") if isinstance(req.json, dict) else None
        return (
            seal_held_text(text, sender) if isinstance(text, str) and pin_digits(text) is not None else None
        )

    def get_metadata(self, request: Request) -> dict[str, Any]:
        metadata = super().get_metadata(request)
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise InvalidUsage(
                f'"metadata" must be a JSON object (or left out), not a {type(metadata).__name__}. '
                'Send it as {"marquee_token": "...", ...}.'
            )
        # Only what this channel finds counts; a client can neither set nor clear the flag, nor hold a text.
        channel_keys = (REDACTED_KEY, HELD_TEXT_KEY, SEALED_PIN_KEY)
        metadata = {key: value for key, value in metadata.items() if key not in channel_keys}
        held = self._held_text(request)
        if held is not None:
            # Masked (or not) once the text is back, when the turn knows whether it is the PIN.
            metadata[HELD_TEXT_KEY] = held
            return metadata
        text = super()._extract_message(request)
        kinds = redact_text(text).kinds if isinstance(text, str) else ()
        if kinds:
            metadata[REDACTED_KEY] = list(kinds)
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        at_pin_step = TrackerPinStep()
        at_pin_step.blueprint = super().blueprint(
            guard_turns(on_new_message, at_pin_step, flagged_by_channel=True)
        )
        return at_pin_step.blueprint


class TroubleAwareSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel that masks secrets and answers silence."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        at_pin_step = TrackerPinStep()
        blueprint = at_pin_step.blueprint = super().blueprint(guard_turns(on_new_message, at_pin_step))
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
