"""Drive the real action server code the way Rasa 3.6 does: webhook payloads with a tracker and the domain.

`Conversation` keeps the tracker state between turns like Rasa does: it fills `from_entity` slots from each
message using the mappings in bot/domain.yml (entity, role and intent conditions), appends the user, action
and slot events, and applies the SlotSet events the actions return. Each call goes either through
rasa_sdk's ActionExecutor in-process, or over HTTP to a running action server (`post`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DOMAIN_FILE = Path(__file__).resolve().parents[3] / "bot" / "domain.yml"
RASA_VERSION = "3.6.21"


def load_domain() -> dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text())


@dataclass
class Result:
    events: list[dict[str, Any]]
    responses: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return "\n".join(r.get("text") or "" for r in self.responses)

    @property
    def cards(self) -> list[dict[str, Any]]:
        cards = []
        for response in self.responses:
            custom = response.get("custom") or {}
            if custom.get("type") == "title_cards":
                cards += custom["cards"]
        return cards

    @property
    def card_ids(self) -> list[str]:
        return [card["id"] for card in self.cards]

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for r in self.responses for b in r.get("buttons") or []]

    @property
    def slots(self) -> dict[str, Any]:
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}


@dataclass
class Conversation:
    send: Callable[[dict[str, Any]], dict[str, Any]]
    domain: dict[str, Any]
    sender_id: str = "conversation-1"
    metadata: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    def _fill_slots(self, intent: str, entities: list[dict[str, Any]]) -> None:
        for name, spec in self.domain["slots"].items():
            for mapping in spec.get("mappings", []):
                if mapping.get("type") != "from_entity":
                    continue
                if mapping.get("intent") and intent not in mapping["intent"]:
                    continue
                values = [
                    e["value"]
                    for e in entities
                    if e["entity"] == mapping["entity"] and e.get("role") == mapping.get("role")
                ]
                if values:
                    self.slots[name] = values if spec["type"] == "list" else values[0]

    def say(
        self,
        action: str,
        text: str,
        intent: str,
        entities: tuple[tuple[str, ...], ...] = (),
        *,
        intent_ranking: list[dict[str, Any]] | None = None,
    ) -> Result:
        parsed = [
            {
                "entity": e[0],
                "value": e[1],
                **({"role": e[2]} if len(e) > 2 else {}),
                "start": 0,
                "end": len(text),
            }
            for e in entities
        ]
        self._fill_slots(intent, parsed)
        message = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95},
            "intent_ranking": intent_ranking or [{"name": intent, "confidence": 0.95}],
            "entities": parsed,
            "metadata": dict(self.metadata),
        }
        self.events.append(
            {"event": "user", "text": text, "parse_data": message, "metadata": dict(self.metadata)}
        )
        tracker = {
            "sender_id": self.sender_id,
            "slots": dict(self.slots),
            "latest_message": message,
            "events": list(self.events),
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
        body = self.send(
            {
                "next_action": action,
                "sender_id": self.sender_id,
                "tracker": tracker,
                "domain": self.domain,
                "version": RASA_VERSION,
            }
        )
        self.events.append({"event": "action", "name": action})
        for event in body["events"]:
            self.events.append(event)
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        return Result(body["events"], body["responses"])


def executor_sender(executor: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def send(payload: dict[str, Any]) -> dict[str, Any]:
        result = asyncio.run(executor.run(payload))
        return result.model_dump()

    return send
