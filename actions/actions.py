"""The rasa-sdk actions named in bot/domain.yml (see docs/dialogue.md): thin wrappers around actions.flows.

Each action reads the turn from the tracker, runs its flow in a worker thread (database queries and model
scoring must not block the action server's event loop, which serves every conversation), sends one reply
and returns slot events. If anything fails (database down, a bug) the user is told the assistant is
having trouble, and the error is logged with the conversation id; the bot never goes silent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from accountdb.services.redaction import redact
from actions import flows
from actions.conversation import Turn
from actions.replies import TROUBLE_TEXT
from actions.secret_warning import secrets_in_message, warning_for
from actions.services import Services, services

logger = logging.getLogger(__name__)

Flow = Callable[[Turn, Services], flows.Outcome]


def screened_turn(tracker: Tracker, dispatcher: CollectingDispatcher) -> Turn:
    """The turn, after warning about a card number or password in the message (the warning goes first).

    The channel normally masked them already (bot/channels.py); a message that reached Rasa unmasked is
    masked here, so no flow sees, stores or echoes the value.
    """
    turn = Turn.from_tracker(tracker)
    kinds = secrets_in_message(turn.text, turn.metadata)
    if kinds:
        dispatcher.utter_message(text=warning_for(kinds))
        logger.info("conversation %s: the message held %s; warned the user", turn.sender_id, ", ".join(kinds))
        turn = replace(turn, text=redact(turn.text))
    return turn


class FlowAction(Action, ABC):
    """Runs `flow` for the turn; subclasses only name themselves and their flow."""

    flow: Flow

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        turn = screened_turn(tracker, dispatcher)
        try:
            outcome = await asyncio.to_thread(type(self).flow, turn, services())
        except Exception:
            logger.exception(
                "%s failed in conversation %s (intent %s); told the user we're having trouble",
                self.name(),
                turn.sender_id,
                turn.intent,
            )
            dispatcher.utter_message(text=TROUBLE_TEXT)
            return []
        dispatcher.utter_message(**outcome.reply.as_message())
        return [SlotSet(name, value) for name, value in outcome.slots.items()]


class ActionRecommend(FlowAction):
    flow = staticmethod(flows.recommend)

    def name(self) -> str:
        return "action_recommend"


class ActionSimilarTitles(FlowAction):
    flow = staticmethod(flows.similar_titles)

    def name(self) -> str:
        return "action_similar_titles"


class ActionTrending(FlowAction):
    flow = staticmethod(flows.trending)

    def name(self) -> str:
        return "action_trending"


class ActionSearchDescription(FlowAction):
    flow = staticmethod(flows.search_description)

    def name(self) -> str:
        return "action_search_description"


class ActionTitleInfo(FlowAction):
    flow = staticmethod(flows.title_info)

    def name(self) -> str:
        return "action_title_info"


class ActionFeedback(FlowAction):
    flow = staticmethod(flows.feedback)

    def name(self) -> str:
        return "action_feedback"


class ActionAddToList(FlowAction):
    flow = staticmethod(flows.add_to_list)

    def name(self) -> str:
        return "action_add_to_list"


class ActionShowList(FlowAction):
    flow = staticmethod(flows.show_list)

    def name(self) -> str:
        return "action_show_list"


class ActionContinueWatching(FlowAction):
    flow = staticmethod(flows.continue_watching)

    def name(self) -> str:
        return "action_continue_watching"


class ActionChooseOption(FlowAction):
    flow = staticmethod(flows.choose_option)

    def name(self) -> str:
        return "action_choose_option"


class ActionResetConstraints(FlowAction):
    flow = staticmethod(flows.reset_constraints)

    def name(self) -> str:
        return "action_reset_constraints"


class ActionDefaultAskAffirmation(Action):
    """Replaces Rasa's "Did you mean 'request_recommendation'?" with a question people can read."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        outcome = flows.ask_affirmation(screened_turn(tracker, dispatcher), ranking)
        dispatcher.utter_message(**outcome.reply.as_message())
        return []


def _warm_up_in_server_worker() -> None:
    """Load the catalog, models and embeddings as soon as a server worker imports the actions.

    rasa-sdk offers no start-up hook; its Sanic worker processes are marked by SANIC_WORKER_NAME, so only
    they warm up (the supervising process and tests stay light). MARQUEE_ACTIONS_WARM_UP=0 turns it off.
    """
    if not os.environ.get("SANIC_WORKER_NAME") or os.environ.get("MARQUEE_ACTIONS_WARM_UP", "1") == "0":
        return

    def warm() -> None:
        try:
            services().warm_up()
        except Exception:
            logger.exception("warm-up failed; the first turns will load what they need (or report trouble)")

    threading.Thread(target=warm, name="marquee-warm-up", daemon=True).start()


_warm_up_in_server_worker()
