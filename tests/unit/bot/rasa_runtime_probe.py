"""Runs in the Rasa environment (.venv-rasa): checks bot/rasa_runtime.py against Rasa 3.6 itself and prints
JSON for test_rasa_runtime.py.

For each action-server reply below (valid ones and every kind of invalid one), it records what stock
`jsonschema.validate` against Rasa's own response schema says, and what `RemoteAction._validate_action_result`
says once bot.rasa_runtime is imported; and how often the response schema itself was checked against the
meta-schema while validating them.

`PYTHONPATH=. .venv-rasa/bin/python tests/unit/bot/rasa_runtime_probe.py`
"""

from __future__ import annotations

import json
import sys

import jsonschema
from jsonschema import validators
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.ensemble import is_not_in_training_data
from rasa.core.policies.rule_policy import RulePolicy as RasaRulePolicy
from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.utils.common import all_subclasses

REPLIES = {
    "recommendation": {
        "events": [
            {"event": "slot", "timestamp": None, "name": "last_suggestions", "value": ["12", "7", "3"]},
            {"event": "slot", "timestamp": None, "name": "focus_title_id", "value": "12"},
        ],
        "responses": [
            {
                "text": "Here are three picks.",
                "buttons": [{"title": "More like the first", "payload": "/refine_more_like"}],
                "custom": {"cards": [{"id": "12", "title": "Butter and Ash"}]},
            }
        ],
    },
    "no events": {"events": [], "responses": [{"text": "Sorry, I'm having trouble."}]},
    "empty": {},
    "followup and form events": {
        "events": [
            {"event": "active_loop", "name": "cancel_subscription_form"},
            {"event": "followup", "name": "action_listen"},
            {"event": "reset_slots"},
        ]
    },
    "slot without a name": {"events": [{"event": "slot", "value": 1}]},
    "slot name not a string": {"events": [{"event": "slot", "name": 3}]},
    "unknown event": {"events": [{"event": "nonsense"}]},
    "events not a list": {"events": {"event": "slot"}},
    "response not an object": {"responses": ["hello"]},
    "user text not a string": {"events": [{"event": "user", "text": 5}]},
    "every common event kind": {
        "events": [
            {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 0.9}}},
            {"event": "bot", "text": "Hello", "data": {"buttons": []}},
            {"event": "action", "name": "action_listen", "policy": None, "confidence": None},
            {"event": "slot", "name": "plan_target", "value": None, "timestamp": 1.5},
            {"event": "session_started", "metadata": {"marquee_token": "t"}},
            {"event": "user_featurization", "use_text_for_featurization": False},
        ]
    },
    "event without its kind": {"events": [{"name": "plan_target", "value": "basic"}]},
    "kind not a string": {"events": [{"event": 7}]},
    "event not an object": {"events": ["slot"]},
    "timestamp not a number": {"events": [{"event": "followup", "name": "x", "timestamp": "now"}]},
    "metadata not an object": {"events": [{"event": "reset_slots", "metadata": []}]},
    "entities without values": {"events": [{"event": "entities", "entities": [{"entity": "plan"}]}]},
    "one good event, one bad": {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "slot"}]},
    "reply not an object": ["events"],
    "response selector not an object": {
        "events": [{"event": "user", "parse_data": {"response_selector": ["faq"]}}]
    },
}


def outcome(check) -> dict:  # noqa: ANN001 - a zero-argument callable
    try:
        check()
    except jsonschema.ValidationError as error:
        return {"valid": False, "message": error.message, "path": list(error.path)}
    return {"valid": True}


def outcome_of(call) -> str:  # noqa: ANN001 - a zero-argument callable
    try:
        return repr(call())
    except ValueError as error:
        return f"ValueError: {error}"


def main() -> int:
    stock_resolve = Event.resolve_by_type
    schema = RemoteAction.action_response_format_spec()
    stock = {name: outcome(lambda r=reply: jsonschema.validate(r, schema)) for name, reply in REPLIES.items()}

    import bot.rasa_runtime as runtime

    validator_class = validators.validator_for(schema)
    original_check = validator_class.check_schema.__func__
    schema_checks = []

    def counting_check(cls, checked_schema, *args, **kwargs):  # noqa: ANN001, ANN202
        schema_checks.append(1)
        return original_check(cls, checked_schema, *args, **kwargs)

    validator_class.check_schema = classmethod(counting_check)
    action = RemoteAction("action_recommend", None)
    patched = {
        name: outcome(lambda r=reply: action._validate_action_result(r)) for name, reply in REPLIES.items()
    }
    for _ in range(20):
        action._validate_action_result(REPLIES["recommendation"])
    runtime.install()  # a second install changes nothing

    # Event types: every known name, unknown names, "topic" and a default resolve as the stock scan does.
    names = sorted({cls.type_name for cls in all_subclasses(Event)})
    event_types = {
        "names": len(names),
        "same_classes": [name for name in names if Event.resolve_by_type(name) is stock_resolve(name)],
        "topic": Event.resolve_by_type("topic"),
        "unknown_with_default": Event.resolve_by_type("no_such_event", SlotSet) is SlotSet,
        "unknown_error": outcome_of(lambda: Event.resolve_by_type("no_such_event")),
        "stock_unknown_error": outcome_of(lambda: stock_resolve("no_such_event")),
    }
    remembered_before = len(runtime._event_classes)

    class ProbeEvent(SlotSet):  # defining a (concrete) subclass makes the lookup start afresh
        type_name = "marquee_probe"

    event_types["forgotten_on_new_subclass"] = remembered_before > 0 and not runtime._event_classes
    event_types["new_subclass_found"] = Event.resolve_by_type("marquee_probe") is ProbeEvent

    registered = DefaultV1Recipe._registered_components.get(runtime.Marquee_RulePolicy.__name__)
    rasa_entry = DefaultV1Recipe._registered_components["RulePolicy"]
    print(
        json.dumps(
            {
                "stock": stock,
                "patched": patched,
                "schema_checks_for_validations": [len(schema_checks), len(REPLIES) + 20],
                "event_types": event_types,
                "policy": {
                    "subclass_of_rasa_rule_policy": issubclass(runtime.Marquee_RulePolicy, RasaRulePolicy),
                    "graph_component": issubclass(runtime.Marquee_RulePolicy, GraphComponent),
                    "registered_class": registered.clazz.__module__ + "." + registered.clazz.__name__
                    if registered
                    else None,
                    "own_attributes": sorted(
                        name for name in vars(runtime.Marquee_RulePolicy) if not name.startswith("_")
                    ),
                    # How `rasa test` and the ensemble name a prediction of the first policy.
                    "counted_as_memorised": not is_not_in_training_data(
                        f"policy_0_{runtime.Marquee_RulePolicy.__name__}", 1.0
                    ),
                    "rasa_rule_policy_registered_as": f"{rasa_entry.clazz.__module__}.{rasa_entry.clazz.__name__}",
                },
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
