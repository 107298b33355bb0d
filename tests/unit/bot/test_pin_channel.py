"""A parental-control PIN typed at the PIN step never reaches Rasa: the input channels replace it with a
placeholder and hand the digits on sealed (bot/channels.py, actions/support/pin_seal.py).

pin_channel_probe.py serves the real channels on a real Sanic server with Rasa 3.6 and a real tracker store
(.venv-rasa) and reports what the stand-in agent received, what the client got back and every log line.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from actions.secret_warning import PASSWORD_WARNING, REDACTED_KEY, is_warning
from actions.support.pin_seal import PIN_PLACEHOLDER, SEALED_PIN_KEY, unseal_pin

ROOT = Path(__file__).resolve().parents[3]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
PROBE = Path(__file__).with_name("pin_channel_probe.py")
SECRET = "pin-probe-secret-that-is-long-enough-0123456789"
PIN = "4826"
HIDDEN = {
    "bare_pin": PIN,
    "labelled_pin": PIN,
    "spaced_pin": PIN,
    "sentence_pin": PIN,
    "mistyped_pin": "48261",
    "tracker_unreachable": PIN,  # unknown step: hidden rather than risk the PIN
}
UNTOUCHED = {
    "keep": "no, keep the old one",
    "film_year_elsewhere": "1917",
    "bare_digits_no_conversation": "2012",
    "client_forged_keys": "something funny",
}
CHANNELS = ("rest", "socketio")


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    if not RASA_PYTHON.exists():
        reason = f"{RASA_PYTHON} is missing; run `make setup` to build the Rasa environment"
        if os.environ.get("MARQUEE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (MARQUEE_REQUIRE_SERVICES=1, so this is an error)", pytrace=False)
        pytest.skip(reason)
    env = {**os.environ, "MARQUEE_TOKEN_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [str(RASA_PYTHON), str(PROBE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, f"the PIN channel probe failed:\n{run.stderr[-4000:]}"
    return json.loads(run.stdout)


@pytest.fixture(autouse=True)
def _same_secret_as_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", SECRET)


def received(probe: dict[str, Any], channel: str, name: str) -> dict[str, Any]:
    [message] = probe[channel][name]["received"]
    return message


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_pin_at_the_pin_step_reaches_rasa_only_as_a_placeholder_and_sealed(probe, channel) -> None:
    for name, digits in HIDDEN.items():
        message = received(probe, channel, name)
        assert message["text"] == PIN_PLACEHOLDER, name
        assert unseal_pin(message["metadata"][SEALED_PIN_KEY], message["sender"]) == digits, name
        assert REDACTED_KEY not in message["metadata"], name  # an answer, not a disclosure: no warning
        replies = [reply.get("text") for reply in probe[channel][name]["replies"]]
        assert replies == [f"you said: {PIN_PLACEHOLDER}"], name
        assert message["metadata"]["marquee_token"] == "token-for-the-probe"  # the client's metadata stays


@pytest.mark.parametrize("channel", CHANNELS)
def test_other_messages_keep_their_text_and_a_client_cannot_hand_in_a_pin(probe, channel) -> None:
    for name, text in UNTOUCHED.items():
        message = received(probe, channel, name)
        assert message["text"] == text, name
        assert SEALED_PIN_KEY not in message["metadata"] and "marquee_held_text" not in message["metadata"], (
            name
        )


@pytest.mark.parametrize("channel", CHANNELS)
def test_passwords_are_still_masked_and_a_labelled_pin_elsewhere_is_one(probe, channel) -> None:
    for name, text in (
        ("password_at_pin_step", "my password is [password removed]"),
        ("labelled_pin_elsewhere", "my pin is [password removed]"),
    ):
        message = received(probe, channel, name)
        assert message["text"] == text and message["metadata"][REDACTED_KEY] == ["password"], name
        replies = [reply.get("text") for reply in probe[channel][name]["replies"]]
        assert replies[0] == PASSWORD_WARNING and sum(map(is_warning, replies)) == 1, name


def test_no_pin_reaches_the_agent_the_client_or_the_logs(probe) -> None:
    for channel in CHANNELS:
        for name, turn in probe[channel].items():
            for message in turn["received"]:
                message["metadata"].pop(SEALED_PIN_KEY, None)  # ciphertext, checked by unsealing above
            dumped = json.dumps(turn)
            for secret in (PIN, "48 26", "48261", "Hunter2-Secret"):
                assert secret not in dumped, (channel, name, secret)
    log = probe["log"].replace(str(probe["port"]), "<port>")
    for secret in (PIN, "48 26", "48261", "Hunter2-Secret"):
        assert secret not in log
    assert "conversation rest-at-pin-bare_pin: hid the PIN typed at the PIN step" in probe["log"]
    assert "could not read the tracker; hiding the PIN-shaped message" in probe["log"]
