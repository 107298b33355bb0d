"""bot/rasa_runtime.py: Rasa 3.6 validates every action-server reply exactly as before, but builds the
validator (and checks the response schema) once instead of on every call and checks each event against its
own kind first; event classes are looked up as before, but remembered.

Rasa code runs in the Rasa environment (.venv-rasa): rasa_runtime_probe.py validates a set of valid and
invalid replies with stock `jsonschema.validate` and with the installed fix, and these tests compare.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
PROBE = Path(__file__).with_name("rasa_runtime_probe.py")
RASA_ADVICE = (
    ". Failed to validate Action server response from API, make sure your response from the Action endpoint "
    "is valid. For more information about the format visit https://rasa.com/docs/rasa/custom-actions"
)


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    if not RASA_PYTHON.exists():
        reason = f"{RASA_PYTHON} is missing; run `make setup` to build the Rasa environment"
        if os.environ.get("MARQUEE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (MARQUEE_REQUIRE_SERVICES=1, so this is an error)", pytrace=False)
        pytest.skip(reason)
    run = subprocess.run(
        [str(RASA_PYTHON), str(PROBE)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"the Rasa runtime probe failed:\n{run.stderr[-4000:]}"
    return json.loads(run.stdout)


def test_valid_replies_pass_and_invalid_ones_fail_as_stock_rasa_decides(probe: dict[str, Any]) -> None:
    stock, patched = probe["stock"], probe["patched"]
    assert stock.keys() == patched.keys()
    assert {name for name, result in stock.items() if result["valid"]} == {
        "recommendation",
        "no events",
        "empty",
        "followup and form events",
        "every common event kind",
    }
    for name, result in stock.items():
        assert patched[name]["valid"] == result["valid"], name


def test_an_invalid_reply_raises_the_same_error_with_rasas_advice(probe: dict[str, Any]) -> None:
    for name, result in probe["stock"].items():
        if result["valid"]:
            continue
        patched = probe["patched"][name]
        assert patched["message"] == result["message"] + RASA_ADVICE, name
        assert patched["path"] == result["path"], name


def test_the_response_schema_is_checked_once_not_per_reply(probe: dict[str, Any]) -> None:
    checks, validations = probe["schema_checks_for_validations"]
    assert validations > 20
    assert checks == 1


def test_the_configured_rule_policy_is_rasas_own_under_its_own_name(probe: dict[str, Any]) -> None:
    policy = probe["policy"]
    assert policy["subclass_of_rasa_rule_policy"] and policy["graph_component"]
    assert policy["registered_class"] == "bot.rasa_runtime.Marquee_RulePolicy"
    assert policy["own_attributes"] == []  # no behaviour of its own
    assert policy["counted_as_memorised"]  # its predictions count as rules, as RulePolicy's do
    assert policy["rasa_rule_policy_registered_as"] == "rasa.core.policies.rule_policy.RulePolicy"


def test_event_types_resolve_to_the_classes_the_stock_scan_finds(probe: dict[str, Any]) -> None:
    event_types = probe["event_types"]
    assert event_types["names"] > 20
    assert len(event_types["same_classes"]) == event_types["names"]
    assert event_types["topic"] is None
    assert event_types["unknown_with_default"]
    assert event_types["unknown_error"] == event_types["stock_unknown_error"]
    assert event_types["unknown_error"].startswith("ValueError: Unknown event name")


def test_a_new_event_subclass_is_found_after_earlier_lookups(probe: dict[str, Any]) -> None:
    assert probe["event_types"]["forgotten_on_new_subclass"]
    assert probe["event_types"]["new_subclass_found"]
