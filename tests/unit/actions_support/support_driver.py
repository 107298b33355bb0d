"""Drive the support actions the way Rasa 3.6 does, through rasa_sdk's real ActionExecutor.

`Chat` keeps a tracker (slots, events, active loop) and, for each user message, does what Rasa's
processor does: `action_extract_slots` fills slots from the domain's mappings (intent / not_intent
filters, `active_loop` / `requested_slot` conditions, first mapping with a value wins, the last entity
value for non-list slots), then either the active form runs (FormAction: validation through
validate_<form>, rejection when nothing was extracted, asking the next slot through action_ask_<slot> or
utter_ask_<slot>, deactivation when `requested_slot` becomes None), or the action a rule would pick runs.
FollowupAction events run their action next; when a form deactivates, its submit action (the rule
`active_loop: null -> submit`) runs. The domain is bot/domain.yml.

This mirrors rasa/core/actions/forms.py and action.py of rasa 3.6.21 (see the .venv-rasa copy); it is a
test driver, not a dialogue policy: the test says which action a rule would run outside forms.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
RASA_VERSION = "3.6.21"
REQUESTED_SLOT = "requested_slot"
# What data/rules.yml runs when a form deactivates (docs/support-dialogue.md, "Rules").
SUBMITS = {
    "change_plan_form": "action_change_plan",
    "cancel_subscription_form": "action_cancel_subscription",
    "pause_subscription_form": "action_pause_subscription",
    "confirm_change_form": "action_apply_pending_change",
    "playback_form": "action_playback_done",
    "parental_controls_form": "action_set_parental_controls",
}


def load_domain() -> dict[str, Any]:
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())
    domain["slots"].setdefault(REQUESTED_SLOT, {"type": "any", "mappings": [{"type": "custom"}]})
    return domain


@dataclass
class Result:
    events: list[dict[str, Any]]
    responses: list[dict[str, Any]]
    actions: list[str] = field(default_factory=list)  # every action run, in order (utter_* included)
    rejected: bool = False
    message_id: str = ""

    @property
    def text(self) -> str:
        return "\n".join(r.get("text") or "" for r in self.responses)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for r in self.responses for b in r.get("buttons") or []]

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for b in self.buttons]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == kind]

    @property
    def loops(self) -> list[str | None]:
        """Names in the ActiveLoop events, in order (None = the form was deactivated)."""
        return [e.get("name") for e in self.of_type("active_loop")]

    @property
    def slots(self) -> dict[str, Any]:
        return {e["name"]: e["value"] for e in self.of_type("slot")}


@dataclass
class Chat:
    executor: Any
    domain: dict[str, Any]
    sender_id: str = field(default_factory=lambda: f"chat-{uuid.uuid4().hex[:8]}")
    metadata: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    active_loop: str | None = None
    latest_message: dict[str, Any] = field(default_factory=dict)
    rejected: bool = False

    # -- one user turn -------------------------------------------------------------------------------------

    def say(
        self,
        text: str,
        intent: str,
        entities: dict[str, str] | None = None,
        *,
        action: str | None = None,
        message_id: str | None = None,
    ) -> Result:
        """The user says `text`; the active form handles it, or else `action` (the rule's pick) runs.

        Passing the `message_id` of an earlier result (after `restore`) replays that very message, as Rasa
        does when it retries a turn whose action call timed out.
        """
        self.user(text, intent, entities, message_id)
        result = Result([], [], message_id=self.latest_message["message_id"])
        if self.active_loop is not None:
            self._run_form(self.active_loop, result)
            if not result.rejected:
                return result
            if intent == "stop":  # rule: active_loop <form> + intent stop -> action_stop_support_form
                self._run("action_stop_support_form", result)
                return result
        if action is not None:
            self._run(action, result)
        return result

    def then(self, action: str) -> Result:
        """Run `action` next in the same turn, as a rule's next step does (data/rules_support.yml)."""
        result = Result([], [], message_id=self.latest_message.get("message_id", ""))
        self._run(action, result)
        return result

    def user(
        self, text: str, intent: str, entities: dict[str, str] | None = None, message_id: str | None = None
    ) -> None:
        parsed = [
            {"entity": k, "value": v, "start": 0, "end": len(text)} for k, v in (entities or {}).items()
        ]
        self.latest_message = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.97},
            "intent_ranking": [{"name": intent, "confidence": 0.97}],
            "entities": parsed,
            "metadata": dict(self.metadata),
            "message_id": message_id or uuid.uuid4().hex,
        }
        self.events.append(
            {
                "event": "user",
                "text": text,
                "parse_data": self.latest_message,
                "metadata": dict(self.metadata),
                "message_id": self.latest_message["message_id"],
                "timestamp": float(len(self.events)),
            }
        )
        self.rejected = False
        self._record("action_listen")
        self._apply(
            [{"event": "slot", "name": n, "value": v} for n, v in self._extract_slots(intent, parsed)]
        )

    def snapshot(self) -> dict[str, Any]:
        """The tracker as it is now; `restore` puts it back (a retried or repeated turn)."""
        return copy.deepcopy(
            {k: getattr(self, k) for k in ("slots", "events", "active_loop", "latest_message", "metadata")}
        )

    def restore(self, state: dict[str, Any]) -> None:
        for key, value in copy.deepcopy(state).items():
            setattr(self, key, value)

    # -- action_extract_slots ------------------------------------------------------------------------------

    def _condition_matches(self, mapping: dict[str, Any]) -> bool:
        conditions = mapping.get("conditions")
        if not conditions:
            return True
        for condition in conditions:
            loop = condition.get("active_loop")
            if loop and loop == self.active_loop:
                wanted = condition.get(REQUESTED_SLOT)
                if not wanted or wanted == self.slots.get(REQUESTED_SLOT):
                    return True
        return False

    def _extract_slots(self, intent: str, entities: list[dict[str, Any]]) -> list[tuple[str, Any]]:
        found = []
        for name, spec in self.domain["slots"].items():
            for mapping in spec.get("mappings", []):
                kind = mapping.get("type")
                wanted_intents = mapping.get("intent")
                if isinstance(wanted_intents, str):
                    wanted_intents = [wanted_intents]
                if wanted_intents and intent not in wanted_intents:
                    continue
                if intent in (mapping.get("not_intent") or []):
                    continue
                if not self._condition_matches(mapping):
                    continue
                values: list[Any] = []
                if kind == "from_entity":
                    values = [
                        e["value"]
                        for e in entities
                        if e["entity"] == mapping["entity"] and e.get("role") == mapping.get("role")
                    ]
                elif kind == "from_intent":
                    values = [mapping.get("value")]
                elif kind == "from_text":
                    values = [self.latest_message["text"]]
                if values:
                    found.append((name, values if spec["type"] == "list" else values[-1]))
                    break
        return found

    # -- running actions -----------------------------------------------------------------------------------

    def _tracker(self, events: list[dict[str, Any]], slots: dict[str, Any], active_loop: str | None) -> dict:
        return {
            "sender_id": self.sender_id,
            "slots": slots,
            "latest_message": self.latest_message,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }

    def _call(self, action: str, events: list[dict], slots: dict, active_loop: str | None) -> dict[str, Any]:
        payload = {
            "next_action": action,
            "sender_id": self.sender_id,
            "tracker": self._tracker(copy.deepcopy(events), copy.deepcopy(slots), active_loop),
            "domain": self.domain,
            "version": RASA_VERSION,
        }
        response = asyncio.run(self.executor.run(payload))
        return response.model_dump() if response is not None else {"events": [], "responses": []}

    def _record(self, name: str) -> None:
        self.events.append({"event": "action", "name": name})

    def _apply(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.events.append(event)
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
            elif event.get("event") == "active_loop":
                self.active_loop = event.get("name")

    def _run(self, action: str, result: Result) -> None:
        if action in self.domain.get("forms", {}):
            self._run_form(action, result)
            return
        result.actions.append(action)
        if action.startswith("utter_"):
            for template in self.domain["responses"][action][:1]:
                result.responses.append(_rendered(template))
                self.events.append({"event": "bot", "text": template.get("text")})
            self._record(action)
            return
        body = self._call(action, self.events, self.slots, self.active_loop)
        self._record(action)
        self._bot(body["responses"], result)
        result.events += body["events"]
        self._apply(body["events"])
        for event in body["events"]:
            if event.get("event") == "followup":
                self._run(event["name"], result)

    def _bot(self, responses: list[dict[str, Any]], result: Result) -> None:
        result.responses += responses
        for response in responses:
            self.events.append({"event": "bot", "text": response.get("text")})

    # -- FormAction ----------------------------------------------------------------------------------------

    def _required(self, form: str) -> list[str]:
        return list(self.domain["forms"][form]["required_slots"])

    def _validate(
        self, form: str, candidates: dict[str, Any], result: Result, loop: str | None
    ) -> list[dict]:
        requested = self.slots.get(REQUESTED_SLOT) if loop == form else None
        extra = [
            {"event": "slot", "name": REQUESTED_SLOT, "value": requested},
            {"event": "action", "name": form},
        ]
        extra += [{"event": "slot", "name": n, "value": v} for n, v in candidates.items()]
        slots = {**self.slots, REQUESTED_SLOT: requested, **candidates}
        result.actions.append(f"validate_{form}")
        body = self._call(f"validate_{form}", self.events + extra, slots, loop)
        self._bot(body["responses"], result)
        return body["events"]

    @staticmethod
    def _done(events: list[dict[str, Any]]) -> bool:
        last_requested = next(
            (e for e in reversed(events) if e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT),
            None,
        )
        last_loop = next((e for e in reversed(events) if e.get("event") == "active_loop"), None)
        return (last_requested is not None and last_requested["value"] is None) or (
            last_loop is not None and last_loop.get("name") is None
        )

    def _run_form(self, form: str, result: Result) -> None:
        result.actions.append(form)
        events: list[dict[str, Any]] = []
        activating = self.active_loop != form
        if activating:
            events.append({"event": "active_loop", "name": form})
            prefilled = {s: self.slots[s] for s in self._required(form) if self.slots.get(s) is not None}
            events += self._validate(form, prefilled, result, None)
        if not self._done(events):
            if not [e for e in events if e.get("event") != "active_loop"]:
                candidates = self._candidates(form)
                validation = self._validate(form, candidates, result, None if activating else form)
                validated = any(
                    e.get("event") == "slot" and e.get("name") != REQUESTED_SLOT for e in validation
                )
                requested = self.slots.get(REQUESTED_SLOT) if not activating else None
                if requested and not candidates and not validated:
                    result.rejected = True  # ActionExecutionRejection: the rules pick another action
                    return
                events += validation
            events += self._request_next_slot(form, events, result)
        self._apply(events)
        result.events += events
        self._record(form)
        if self._done(events):
            self._apply([{"event": "active_loop", "name": None}])
            result.events.append({"event": "active_loop", "name": None})
            self._run(SUBMITS[form], result)

    def _candidates(self, form: str) -> dict[str, Any]:
        index = max(i for i, e in enumerate(self.events) if e.get("event") == "user")
        wanted = set(self._required(form)) | {self.slots.get(REQUESTED_SLOT)}
        return {
            e["name"]: e["value"]
            for e in self.events[index:]
            if e.get("event") == "slot" and e.get("name") in wanted
        }

    def _request_next_slot(self, form: str, events: list[dict[str, Any]], result: Result) -> list[dict]:
        if self._done(events):
            return [{"event": "slot", "name": REQUESTED_SLOT, "value": None}]
        slot = next(
            (e["value"] for e in events if e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT), None
        )
        slots = dict(self.slots)
        for event in events:
            if event.get("event") == "slot":
                slots[event["name"]] = event["value"]
        out: list[dict[str, Any]] = []
        if not slot:
            slot = next((s for s in self._required(form) if slots.get(s) is None), None)
            out.append({"event": "slot", "name": REQUESTED_SLOT, "value": slot})
        if not slot:
            return [{"event": "slot", "name": REQUESTED_SLOT, "value": None}]
        slots[REQUESTED_SLOT] = slot
        for name in (
            f"action_ask_{form}_{slot}",
            f"utter_ask_{form}_{slot}",
            f"action_ask_{slot}",
            f"utter_ask_{slot}",
        ):
            if name in self.domain["actions"]:
                result.actions.append(name)
                body = self._call(name, self.events + events + out, slots, form)
                self._bot(body["responses"], result)
                return out + body["events"]
            if name in self.domain["responses"]:
                result.actions.append(name)
                template = _rendered(self.domain["responses"][name][0])
                result.responses.append(template)
                return out + [{"event": "bot", "text": template.get("text")}]
        return out


def _rendered(template: Any) -> Any:
    """A domain response as Rasa sends it: its interpolation turns escaped braces ({{ }}) into single ones."""
    if isinstance(template, str):
        return template.replace("{{", "{").replace("}}", "}")
    if isinstance(template, dict):
        return {key: _rendered(value) for key, value in template.items()}
    if isinstance(template, list):
        return [_rendered(value) for value in template]
    return template
