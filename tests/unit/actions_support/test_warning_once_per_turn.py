"""A card number or password typed into a form is warned about once per turn, although the form's validator
and the action that asks the next question both screen the same message."""

from __future__ import annotations

from actions.secret_warning import CARD_WARNING, REDACTED_KEY, is_warning

MASKED_REASON = "too expensive, my card is [card number removed, ending 1111] so charge less"


def test_a_masked_card_in_a_form_answer_is_warned_about_once(chat, world, engine) -> None:
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("cancel my subscription", "cancel_subscription", action="cancel_subscription_form")
    conversation.metadata[REDACTED_KEY] = ["card_number"]
    offered = conversation.say(MASKED_REASON, "inform")
    texts = [r.get("text") for r in offered.responses]
    assert texts[0] == CARD_WARNING, texts
    assert sum(map(is_warning, texts)) == 1, texts
    assert "Before you go" in offered.text  # the turn's own question follows the warning
