"""The assistant's input hint reaches the chat page as `secret_input`, and only in its exact shape."""

from __future__ import annotations

from webapp.chat_replies import to_bot_messages

HINT = {"type": "input_hint", "input": "secret", "slot": "parental_pin"}


def test_the_pin_question_and_its_hint_reach_the_page():
    messages = to_bot_messages(
        [
            {
                "text": "Type a new 4-digit PIN",
                "buttons": [{"title": "Keep the current PIN", "payload": "/deny"}],
            },
            {"custom": HINT},
        ]
    )
    assert [(m.text, m.secret_input) for m in messages] == [("Type a new 4-digit PIN", False), (None, True)]


def test_other_custom_payloads_do_not_ask_for_a_secret():
    for custom in ({"type": "input_hint", "input": "text"}, {"input": "secret"}, "secret", ["input_hint"]):
        assert to_bot_messages([{"text": "hi", "custom": custom}])[0].secret_input is False
    # A custom payload that is neither cards nor the hint is dropped, as before.
    assert to_bot_messages([{"custom": {"type": "input_hint", "input": "text"}}]) == []
