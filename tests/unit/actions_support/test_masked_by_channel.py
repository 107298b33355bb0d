"""Support actions warn about secrets the Rasa channel already masked (bot/channels.py): the text they get
holds only the mask, and the message metadata says what was removed."""

from __future__ import annotations

from actions.secret_warning import CARD_WARNING, PASSWORD_WARNING, REDACTED_KEY, is_warning

MASKED_CARD = "my card number is [card number removed, ending 1111], why was I charged twice?"


def test_masked_card_is_warned_about_from_the_metadata(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.metadata[REDACTED_KEY] = ["card_number"]
    result = conversation.say(MASKED_CARD, "charged_twice", action="action_check_double_charge")
    assert result.text.startswith(CARD_WARNING)
    assert sum(is_warning(r.get("text")) for r in result.responses) == 1
    assert len(result.responses) > 1  # the answer to the question follows


def test_masked_password_is_warned_about_even_when_signed_out(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat()
    conversation.metadata[REDACTED_KEY] = ["password"]
    result = conversation.say(
        "locked out, my password is [password removed]", "account_locked", action="action_explain_lock"
    )
    assert result.text.startswith(PASSWORD_WARNING)


def test_masked_text_without_the_flag_gets_no_warning(chat, world, engine) -> None:  # noqa: ANN001
    # The mask itself is not a secret: only the channel's flag (or a clear value) triggers the warning.
    result = chat(world.alice, world.alice_profile).say(
        MASKED_CARD, "charged_twice", action="action_check_double_charge"
    )
    assert not any(is_warning(r.get("text")) for r in result.responses)


def test_a_labelled_pin_masked_by_the_channel_is_warned_about_and_asked_again(chat, world, engine) -> None:  # noqa: ANN001
    conversation = chat(world.alice, world.alice_profile)
    conversation.say("set parental controls", "set_parental_controls", action="parental_controls_form")
    conversation.say("kids", "inform")
    conversation.say("TV-Y7", "inform", {"maturity_rating": "TV-Y7"})
    conversation.metadata[REDACTED_KEY] = ["password"]
    masked = conversation.say("my pin is [password removed]", "inform")
    assert masked.text.startswith(PASSWORD_WARNING) and "exactly 4 digits" in masked.text
    assert conversation.slots.get("parental_pin") is None
    conversation.metadata.pop(REDACTED_KEY)
    digits = conversation.say("4321", "inform")
    assert conversation.slots["parental_pin"].startswith("sealed:")
    assert not any(is_warning(r.get("text")) for r in digits.responses)
