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


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` of Rasa 3.6.21 with the validator built once per class."""
    error = best_match(_response_validator(type(self)).iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    """Replace Rasa's per-call work with the once-only versions above (idempotent)."""
    global _installed
    if _installed:
        return
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _installed = True
    logger.debug("Marquee run-time fixes installed: action replies validated with a prebuilt validator")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class Marquee_RulePolicy(RulePolicy):  # noqa: N801 - the suffix is how Rasa recognises it
    """Rasa's RulePolicy, unchanged; named in bot/config.yml so that loading a model installs the fixes.

    Its own name, because Rasa registers components by class name (a second "RulePolicy" would replace
    Rasa's own in the registry); ending in "_RulePolicy", because Rasa tells rule and memoization predictions
    from machine-learnt ones by the policy name's suffix (`rasa test`'s "in training data" share)."""


install()

__all__ = ["Marquee_RulePolicy", "install"]
