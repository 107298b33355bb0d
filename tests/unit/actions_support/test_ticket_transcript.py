"""The transcript excerpt a ticket carries: one very long message must not crowd out the conversation."""

from __future__ import annotations

from accountdb.services.tickets import transcript_excerpt
from actions.conversation import Turn
from actions.support.context import MAX_TURN_CHARS, transcript

CARD = "4111 1111 1111 1111"


def turn_with(*messages: tuple[str, str]) -> Turn:
    events = tuple({"event": kind, "text": text} for kind, text in messages)
    return Turn("conv-1", messages[-1][1], None, (), {}, {}, events)


def test_a_very_long_message_is_cut_and_the_turns_before_it_stay_in_the_excerpt() -> None:
    long_reason = "my budget is tight " + "blah " * 2000 + CARD
    turn = turn_with(
        ("user", "cancel my subscription"),
        ("bot", "May I ask why you'd like to cancel?"),
        ("user", long_reason),
        ("bot", "Before you go: would you like the Basic plan instead?"),
        ("user", "let me talk to a person"),
    )
    lines = transcript(turn)
    assert max(len(line.text) for line in lines) == MAX_TURN_CHARS
    assert lines[2].text.startswith("my budget is tight blah blah") and lines[2].text.endswith("…")
    excerpt = transcript_excerpt(lines)
    assert excerpt.splitlines()[0] == "Subscriber: cancel my subscription"
    assert "Subscriber: let me talk to a person" in excerpt


def test_a_card_number_at_the_cut_is_masked_before_cutting() -> None:
    text = "x" * (MAX_TURN_CHARS - 10) + " " + CARD
    [line] = transcript(turn_with(("user", text)))
    assert "4111" not in line.text and "1111 1111" not in line.text
