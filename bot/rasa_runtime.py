"""Per-turn work that Rasa 3.6 repeats for nothing, done once instead; and the RulePolicy that loads it.

Measured with bench/assistant/profiled_rasa.py (cProfile of `rasa run` under the benchmark's conversation
mix) and then per call in .venv-rasa (CPU time):

- **Action-server replies are validated against a schema that is itself re-validated on every call.**
  `RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks the ~20-event response
  schema against the JSON-Schema meta-schema, builds a validator and only then validates the reply: 35 ms
  of CPU per custom-action call, 31 ms of it the meta-schema check (the largest single cost of a Marquee
  turn, over half of the Rasa server's profile). Here the validator is built (and the schema checked) once
  per action class; each reply is validated exactly as before: same schema, same error chosen
  (`best_match`), same message, still raised as `jsonschema.ValidationError`. 1.2 ms per call.

  Replies are then checked with a fast path first: Rasa's event schema is a `oneOf` over 23 event kinds
  told apart by `"event": {"const": ...}`, so jsonschema tries all 23 for every event (4.3 ms for a reply
  with 10 events). An event whose kind has a unique const can only match that kind's schema, so the fast
  path validates each event against its own kind (plus the common fields) only. Whenever the fast path
  finds anything wrong, the full validation above runs and decides, so an invalid reply raises exactly the
  error stock Rasa raises; the fast path is used only when the schema has the shape it relies on.
- **Every event read back is looked up by scanning all Event subclasses.** `Event.resolve_by_type` walks
  the class tree for each event deserialised (the tracker store's trackers, the action server's events):
  0.06 ms per event, for a tracker of 60 events 4 ms per message. Found classes are remembered; the memory
  is cleared whenever a new Event subclass is defined, and names it does not know go the stock way.

Nothing else changes: no check is skipped, no event or reply is altered.

Rasa loads this module because `bot/config.yml` names :class:`Marquee_RulePolicy` below as the rule policy: it is
Rasa's RulePolicy, unchanged, registered under this module, so every process that loads a Marquee model
(`rasa run` for the demo, the tests, the benchmark and the Docker image) installs these fixes before it
answers anyone. `install()` is idempotent.
"""

from __future__ import annotations

import logging
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

logger = logging.getLogger(__name__)

# RemoteAction (and any subclass with its own response schema) -> a validator for that schema.
_response_validators: dict[type, Any] = {}
_installed = False


def _response_validator(action_class: type[RemoteAction]) -> Any:
    validator = _response_validators.get(action_class)
    if validator is None:
        schema = action_class.action_response_format_spec()
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)  # what jsonschema.validate does on every call
        validator = _response_validators[action_class] = validator_class(schema)
    return validator


class _FastResponseCheck:
    """Says "valid" only for replies the full response schema accepts (see the module docstring).

    Built from the schema itself: the reply schema with the events' items left open, the common part of an
    event (its schema without `oneOf`), and one validator per event kind, keyed by its const.
    """

    def __init__(self, schema: dict[str, Any], validator_class: Any) -> None:
        events = schema["properties"]["events"]
        event = events["items"]
        kinds = event["oneOf"]
        consts = [kind["properties"]["event"]["const"] for kind in kinds]
        if len(set(consts)) != len(consts) or "event" not in event.get("required", ()):
            raise ValueError("event kinds are not told apart by a unique, required 'event' const")
        open_events = {**events, "items": {}}
        self._reply = validator_class(
            {**schema, "properties": {**schema["properties"], "events": open_events}}
        )
        self._event_common = validator_class({key: value for key, value in event.items() if key != "oneOf"})
        self._kinds = {const: validator_class(kind) for const, kind in zip(consts, kinds, strict=True)}

    def accepts(self, result: Any) -> bool:
        if not self._reply.is_valid(result):
            return False
        events = result.get("events")
        if not isinstance(events, list):
            return True  # absent (the schema does not require it); any other type failed above
        for event in events:
            kind = self._kinds.get(event.get("event")) if isinstance(event, dict) else None
            if kind is None or not self._event_common.is_valid(event) or not kind.is_valid(event):
                return False
        return True


# RemoteAction class -> its fast check, or None where its schema does not have the shape relied on.
_fast_checks: dict[type, _FastResponseCheck | None] = {}


def _fast_check(action_class: type[RemoteAction]) -> _FastResponseCheck | None:
    if action_class not in _fast_checks:
        schema = action_class.action_response_format_spec()
        try:
            _fast_checks[action_class] = _FastResponseCheck(schema, validators.validator_for(schema))
        except (KeyError, TypeError, ValueError):
            logger.debug("%s: response schema not of the expected shape; full validation only", action_class)
            _fast_checks[action_class] = None
    return _fast_checks[action_class]


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` of Rasa 3.6.21: the fast check first, else the full validation
    with the validator built once per class (and the same error as stock Rasa)."""
    fast = _fast_check(type(self))
    if fast is not None and fast.accepts(result):
        return True
    error = best_match(_response_validator(type(self)).iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


# Event type name -> class, as the stock lookup found it; emptied when any Event subclass is defined.
_event_classes: dict[str, type[Event]] = {}
_stock_resolve_by_type = Event.resolve_by_type


def _resolve_event_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """`Event.resolve_by_type` of Rasa 3.6.21, remembering what the scan of the subclasses found."""
    if not isinstance(type_name, str):
        return _stock_resolve_by_type(type_name, default)
    event_class = _event_classes.get(type_name)
    if event_class is not None:
        return event_class
    for candidate in all_subclasses(Event):
        if candidate.type_name == type_name:
            _event_classes[type_name] = candidate
            return candidate
    return _stock_resolve_by_type(type_name, default)  # unknown names: None, the default, or ValueError


def _forget_event_classes(cls: type, **kwargs: Any) -> None:
    """A new Event subclass may take a name first in the scan: look everything up afresh."""
    _event_classes.clear()
    super(Event, cls).__init_subclass__(**kwargs)


def install() -> None:
    """Replace Rasa's per-call work with the once-only versions above (idempotent)."""
    global _installed
    if _installed:
        return
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.__init_subclass__ = classmethod(_forget_event_classes)  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(_resolve_event_type)  # type: ignore[method-assign]
    _installed = True
    logger.debug("Marquee run-time fixes installed: action replies and event types")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class Marquee_RulePolicy(RulePolicy):  # noqa: N801 - the suffix is how Rasa recognises it
    """Rasa's RulePolicy, unchanged; named in bot/config.yml so that loading a model installs the fixes.

    Its own name, because Rasa registers components by class name (a second "RulePolicy" would replace
    Rasa's own in the registry); ending in "_RulePolicy", because Rasa tells rule and memoization predictions
    from machine-learnt ones by the policy name's suffix (`rasa test`'s "in training data" share)."""


install()

__all__ = ["Marquee_RulePolicy", "install"]
