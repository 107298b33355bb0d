"""Rasa NLU component: the last word on entities before the dialogue sees them.

It runs after RegexEntityExtractor and EntitySynonymMapper (lookup tables for genres, moods, kinds,
languages, countries) and:

1. drops duplicate and contained matches of the same entity type ("tv show" and "show");
2. gives negated genres and moods the role ``exclude`` ("not horror", "nothing too dark");
3. adds runtime, era, kids' age and ordinal entities with normalised values ("under 2 hours" -> "120");
4. adds best-effort ``person`` and ``title`` spans from cue words ("starring X", "something like X").

Values are documented in docs/dialogue.md. The rules live in plain modules next to this one so that they
are unit-tested without Rasa.
"""

from __future__ import annotations

import datetime
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_ROLE,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.constraint_values import Span, find_constraint_values
from bot.components.cue_spans import find_people, find_titles
from bot.components.negation import is_negated

NEGATABLE_ENTITIES = ("genre", "mood")
EXCLUDE_ROLE = "exclude"
FALLBACK_INTENT = "nlu_fallback"
# Intents where "with X" / "by X" is likely a person the user wants to see.
PERSON_INTENTS = frozenset({"request_recommendation", "ask_similar", "refine_more_like"})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class MarqueeEntityRefiner(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MarqueeEntityRefiner:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        this_year = datetime.date.today().year
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):  # button payloads carry their own entities
                continue
            entities = _without_contained_duplicates(message.get(ENTITIES, []))
            for entity in entities:
                if entity[ENTITY_ATTRIBUTE_TYPE] in NEGATABLE_ENTITIES and is_negated(
                    text, entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
                ):
                    entity[ENTITY_ATTRIBUTE_ROLE] = EXCLUDE_ROLE
            intent = _classified_intent(message)
            spans = find_constraint_values(text, this_year)
            spans += find_titles(text, intent)
            if intent in PERSON_INTENTS:
                spans += find_people(text)
            for span in spans:
                if not _overlaps_any(span, entities):
                    entities.append(self._entity(span))
            entities.sort(key=lambda entity: entity[ENTITY_ATTRIBUTE_START])
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def _entity(self, span: Span) -> dict[str, Any]:
        return {
            ENTITY_ATTRIBUTE_TYPE: span.entity,
            ENTITY_ATTRIBUTE_START: span.start,
            ENTITY_ATTRIBUTE_END: span.end,
            ENTITY_ATTRIBUTE_VALUE: span.value,
            EXTRACTOR: self.__class__.__name__,
        }


def _classified_intent(message: Message) -> str | None:
    """The classifier's best guess, even when FallbackClassifier replaced it with nlu_fallback."""
    name = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    if name != FALLBACK_INTENT:
        return name
    ranking = [item[INTENT_NAME_KEY] for item in message.get(INTENT_RANKING_KEY) or []]
    return next((item for item in ranking if item != FALLBACK_INTENT), None)


def _without_contained_duplicates(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the longest of overlapping matches of one type: "tv show" and "show" are one mention."""
    kept: list[dict[str, Any]] = []
    by_length = sorted(
        entities, key=lambda e: e[ENTITY_ATTRIBUTE_END] - e[ENTITY_ATTRIBUTE_START], reverse=True
    )
    for entity in by_length:
        if not any(
            other[ENTITY_ATTRIBUTE_TYPE] == entity[ENTITY_ATTRIBUTE_TYPE] and _overlap(entity, other)
            for other in kept
        ):
            kept.append(dict(entity))
    return sorted(kept, key=lambda e: e[ENTITY_ATTRIBUTE_START])


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a[ENTITY_ATTRIBUTE_START] < b[ENTITY_ATTRIBUTE_END]
        and b[ENTITY_ATTRIBUTE_START] < a[ENTITY_ATTRIBUTE_END]
    )


def _overlaps_any(span: Span, entities: list[dict[str, Any]]) -> bool:
    return any(
        span.start < e[ENTITY_ATTRIBUTE_END] and e[ENTITY_ATTRIBUTE_START] < span.end for e in entities
    )
