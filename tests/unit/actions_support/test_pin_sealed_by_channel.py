"""The parental-controls form takes the PIN the Rasa channel sealed into the message metadata (bot/channels.py
hides the digits from Rasa at the PIN step), asks for it with a password-field hint, and applies it."""

from __future__ import annotations

import json

from accountdb.engine import session_scope
from accountdb.models import Profile
from actions.support.parental import SECRET_INPUT_HINT
from actions.support.pin_seal import PIN_PLACEHOLDER, SEALED_PIN_KEY, seal_pin


def _at_pin_step(chat, world):  # noqa: ANN001, ANN202
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("set parental controls", "set_parental_controls", action="parental_controls_form")
    conversation.say("kids", "inform")
    asked = conversation.say("TV-Y7", "inform", {"maturity_rating": "TV-Y7"})
    return conversation, asked


def test_the_pin_question_carries_the_secret_input_hint_and_a_keep_button(chat, world, engine) -> None:  # noqa: ANN001
    _, asked = _at_pin_step(chat, world)
    assert "Type a new 4-digit PIN" in asked.text
    assert any(r.get("custom") == SECRET_INPUT_HINT for r in asked.responses)
    assert "/deny" in asked.payloads and "/stop" in asked.payloads


def test_the_sealed_pin_is_taken_whatever_the_nlu_made_of_the_placeholder(chat, world, engine) -> None:  # noqa: ANN001
    conversation, _ = _at_pin_step(chat, world)
    conversation.metadata[SEALED_PIN_KEY] = seal_pin("2580", conversation.sender_id)
    # The placeholder may be classified as anything, even "stop"; the sealed PIN is still the answer.
    confirm = conversation.say(PIN_PLACEHOLDER, "stop")
    conversation.metadata.pop(SEALED_PIN_KEY)
    assert "set the new PIN you typed" in confirm.text
    assert conversation.slots["parental_pin"].startswith("sealed:")
    done = conversation.say("yes", "affirm")
    assert "Kids's new PIN is set" in done.text and done.slots["parental_pin"] is None
    with session_scope(engine) as session:
        assert session.get(Profile, world.alice_kids).check_pin("2580")
    assert "2580" not in json.dumps(conversation.events)


def test_a_sealed_answer_that_is_not_four_digits_is_asked_again(chat, world, engine) -> None:  # noqa: ANN001
    conversation, _ = _at_pin_step(chat, world)
    conversation.metadata[SEALED_PIN_KEY] = seal_pin("25801", conversation.sender_id)
    again = conversation.say(PIN_PLACEHOLDER, "inform")
    assert "exactly 4 digits" in again.text and conversation.slots.get("parental_pin") is None
    assert "25801" not in again.text


def test_a_pin_sealed_for_another_conversation_is_refused(chat, world, engine) -> None:  # noqa: ANN001
    conversation, _ = _at_pin_step(chat, world)
    conversation.metadata[SEALED_PIN_KEY] = seal_pin("2580", "someone-else")
    again = conversation.say(PIN_PLACEHOLDER, "inform")
    assert "exactly 4 digits" in again.text and conversation.slots.get("parental_pin") is None
