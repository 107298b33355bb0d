"""The shape every support action shares: read the turn, screen it for secrets, verify the caller, run the
handler in a worker thread (database calls must not block the action server's event loop), reply.

A handler fills an `Outcome` (replies and events). Service errors (`accountdb.services.errors`) carry
messages meant for the user and become a "Sorry, I can't do that: ..." reply; anything else is logged with
the conversation id and the user is told the assistant is having trouble, so the bot never goes silent.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from accountdb.engine import session_scope
from accountdb.services.errors import ServiceError
from actions.conversation import Turn
from actions.replies import TROUBLE_TEXT, Button, Reply
from actions.secret_warning import is_warning
from actions.services import services
from actions.support import disclosures, forms
from actions.support.caller import Caller, identify_caller
from actions.support.texts import SIGN_IN_TEXT, sorry

logger = logging.getLogger(__name__)
REQUESTED_SLOT = "requested_slot"


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def say(self, text: str, buttons: Iterable[Button] = ()) -> Outcome:
        self.replies.append(Reply(text, list(buttons)))
        return self

    def set(self, **slots: Any) -> Outcome:
        self.events += [SlotSet(name, value) for name, value in slots.items()]
        return self

    def send(self, dispatcher: CollectingDispatcher) -> None:
        for reply in self.replies:
            dispatcher.utter_message(**reply.as_message())


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as session:
        yield session


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A unit of work that changes data. On SQLite it takes the write lock up front, so two workers
    retrying one confirmation wait for each other instead of failing with "database is locked"."""
    with session_scope(engine.execution_options(sqlite_begin="IMMEDIATE")) as session:
        yield session


@dataclass(frozen=True)
class Call:
    turn: Turn
    engine: Engine
    caller: Caller | None

    @property
    def signed_in(self) -> Caller:
        """The caller of an action that requires sign-in (the base class checked it)."""
        assert self.caller is not None
        return self.caller


def screen_disclosures(
    turn: Turn, outcome: Outcome, *, expected_secret_slot: str | None = None, pin_requested: bool = False
) -> list[str]:
    """Warn about secrets in the latest message (once per turn) and clear the slots holding one; returns
    their names.

    The channel usually masked them already and listed what it masked in the message metadata; the text
    is scanned as well, for messages that reached Rasa unmasked. `expected_secret_slot` (the parental PIN)
    is left alone, and while it is being asked for, an unmasked "PIN: 1234" is the answer rather than a
    disclosure: only card numbers in that text get a warning. A PIN the channel masked is gone, so the
    user is warned and the validator asks for the 4 digits again.
    """
    in_text = disclosures.disclosed(turn.text)
    if pin_requested:
        in_text = tuple(k for k in in_text if k != disclosures.PASSWORD)
    warning = disclosures.warning_for(disclosures.masked_kinds(turn.metadata) + in_text)
    leaked = [n for n in disclosures.slots_holding_secrets(turn.slots) if n != expected_secret_slot]
    if warning is None and leaked:  # a secret from an earlier turn still sits in a slot
        warning = disclosures.warning_for(
            tuple(k for name in leaked for k in disclosures.disclosed(str(turn.slots[name])))
        )
    if warning and not warned_this_turn(turn):
        outcome.say(warning)
        logger.info(
            "conversation %s: user typed a card number or password; warned, cleared slots %s",
            turn.sender_id,
            leaked,
        )
    outcome.set(**dict.fromkeys(leaked))
    return leaked


def warned_this_turn(turn: Turn) -> bool:
    """Whether an earlier action of this turn already warned: in a form, the validator screens the message
    first and the action asking the next question screens it again; the subscriber reads the warning once."""
    for event in reversed(turn.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and is_warning(event.get("text")):
            return True
    return False


class SupportAction(Action, ABC):
    """A one-shot support action, or a form's ask/submit action."""

    requires_sign_in: ClassVar[bool] = True
    # Slots to clear when the action refuses a signed-out caller (a form's, for its submit action).
    owned_slots: ClassVar[tuple[str, ...]] = ()
    # For a form's action_ask_<slot> that shows a preview: when no preview could be made (signed out, or a
    # service refused), the form ends instead of asking a question about nothing.
    preview_slot: ClassVar[str | None] = None

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def handle(self, call: Call, outcome: Outcome) -> None: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        turn = Turn.from_tracker(tracker)
        try:
            outcome = await asyncio.to_thread(self._run, turn)
        except Exception:
            logger.exception(
                "%s failed in conversation %s (intent %s); told the user we're having trouble",
                self.name(),
                turn.sender_id,
                turn.intent,
            )
            dispatcher.utter_message(text=TROUBLE_TEXT)
            ended = [SlotSet(REQUESTED_SLOT, None)] if self.preview_slot else []
            return [SlotSet(name, None) for name in self.owned_slots] + ended
        outcome.send(dispatcher)
        return outcome.events

    def _run(self, turn: Turn) -> Outcome:
        engine = services().engine
        outcome = Outcome()
        screen_disclosures(turn, outcome)
        caller = identify_caller(engine, turn)
        if caller is None and self.requires_sign_in:
            outcome.say(SIGN_IN_TEXT).set(**dict.fromkeys(self.owned_slots))
            if self.preview_slot:
                outcome.set(**{REQUESTED_SLOT: None})
            return outcome
        try:
            self.handle(Call(turn, engine, caller), outcome)
        except ServiceError as exc:
            logger.info("%s in conversation %s refused: %s", self.name(), turn.sender_id, exc)
            outcome.say(sorry(exc)).set(**dict.fromkeys(self.owned_slots))
        if self.preview_slot and not any(
            e.get("name") == self.preview_slot and e.get("value") for e in outcome.events
        ):
            outcome.set(**{REQUESTED_SLOT: None})
        return outcome


class SupportFormValidator(FormValidationAction, ABC):
    """validate_<form>: verifies the caller on every turn and keeps secrets out of the form's slots.

    A signed-out caller (or a token that stopped verifying mid-form) ends the form at once: the validator
    says "please sign in", clears the form's slots and sets `requested_slot` to None, which Rasa's
    FormAction takes as "done" (the submit action then finds nothing confirmed and stays silent).
    """

    # A slot whose answer is itself a secret (the parental PIN): it is sealed by its validator, not cleared.
    secret_slot: ClassVar[str | None] = None

    @property
    @abstractmethod
    def form(self) -> str:
        """The form's name; subclasses set it as a class attribute (which also makes them concrete)."""

    def name(self) -> str:
        return f"validate_{self.form}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        turn = Turn.from_tracker(tracker)
        try:
            caller = await asyncio.to_thread(identify_caller, services().engine, turn)
        except Exception:
            logger.exception("%s could not verify the caller in conversation %s", self.name(), turn.sender_id)
            dispatcher.utter_message(text=TROUBLE_TEXT)
            return forms.clear(self.form) + [SlotSet(REQUESTED_SLOT, None)]
        screened = Outcome()
        leaked = screen_disclosures(
            turn,
            screened,
            expected_secret_slot=self.secret_slot,
            pin_requested=self.secret_slot is not None
            and tracker.get_slot(REQUESTED_SLOT) == self.secret_slot,
        )
        screened.send(dispatcher)
        if caller is None:
            dispatcher.utter_message(text=SIGN_IN_TEXT)
            return screened.events + forms.clear(self.form) + [SlotSet(REQUESTED_SLOT, None)]
        _blank_candidates(tracker, leaked)
        return screened.events + await super().run(dispatcher, tracker, domain)

    @staticmethod
    async def caller_of(tracker: Tracker) -> Caller | None:
        return await asyncio.to_thread(identify_caller, services().engine, Turn.from_tracker(tracker))

    @staticmethod
    async def in_worker(function: Any, *args: Any) -> Any:
        """Run a database call off the event loop."""
        return await asyncio.to_thread(function, services().engine, *args)

    def end_form(self, tracker: Tracker, dispatcher: CollectingDispatcher, text: str) -> dict[str, Any]:
        """What a validate_<slot> method returns to end the form after telling the user why.

        It clears the form's slots and sets `requested_slot` to None. `next_requested_slot` is told through
        the (per-call) tracker object, because rasa-sdk would otherwise pick the next missing slot again.
        """
        dispatcher.utter_message(text=text)
        tracker.marquee_form_ended = True  # type: ignore[attr-defined]
        return {**dict.fromkeys(forms.FORM_SLOTS[self.form]), REQUESTED_SLOT: None}

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any] | None:
        if getattr(tracker, "marquee_form_ended", False):
            return SlotSet(REQUESTED_SLOT, None)
        return await super().next_requested_slot(dispatcher, tracker, domain)


def _blank_candidates(tracker: Tracker, names: list[str]) -> None:
    """Replace secret-holding slot candidates (the SlotSet events Rasa appended for this turn) with None,
    so no validate_<slot> method ever sees, echoes or keeps them."""
    if not names:
        return
    for event in reversed(tracker.events):
        if event.get("event") != "slot":
            break
        if event.get("name") in names:
            event["value"] = None
    for name in names:
        tracker.slots[name] = None
