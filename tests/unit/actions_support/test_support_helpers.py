"""The pure parts: secret screening of slots, preview checks, the PIN seal, reasons and months in words."""

from __future__ import annotations

import pytest

from actions.support.caller import Caller, conversation_id
from actions.support.confirmation import PreviewRejected, checked_preview, make_preview
from actions.support.disclosures import CARD_WARNING, PASSWORD_WARNING, slots_holding_secrets, warning_for
from actions.support.pin_seal import SealBroken, seal_pin, unseal_pin
from actions.support.subscription import months_of, reason_of

ALICE = Caller(1, 1, "conv-1")
BOB = Caller(2, 3, "conv-1")


def test_slots_holding_card_numbers_or_passwords_are_found_anywhere_inside() -> None:
    slots = {
        "cancel_reason": "pay with 4111-1111-1111-1111",
        "playback_symptoms": "order 12345, no sound",
        "retention_offer": {"note": ["password: swordfish"]},
        "plan_target": "premium",
        "pause_months": 2.0,
    }
    assert slots_holding_secrets(slots) == ["cancel_reason", "retention_offer"]
    assert warning_for(("card_number", "password")) == f"{CARD_WARNING} {PASSWORD_WARNING}"
    assert warning_for(()) is None


def test_previews_are_bound_to_their_account_kind_and_content() -> None:
    preview = make_preview("pause", ALICE, {"months": 2})
    assert checked_preview(preview, ALICE, {"pause"}) is preview
    assert make_preview("pause", ALICE, {"months": 2})["confirmation_id"] != preview["confirmation_id"]
    with pytest.raises(PreviewRejected, match="different account"):
        checked_preview(preview, BOB, {"pause"})
    with pytest.raises(PreviewRejected, match="nothing was changed"):
        checked_preview(preview, ALICE, {"cancel"})
    altered = {**preview, "params": {"months": 3}}
    with pytest.raises(PreviewRejected, match="could not be verified"):
        checked_preview(altered, ALICE, {"pause"})
    with pytest.raises(PreviewRejected):
        checked_preview("not a preview", ALICE, {"pause"})


def test_pin_seal_round_trip_is_bound_to_the_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", "s" * 40)
    sealed = seal_pin("0042", "conv-1")
    assert "0042" not in sealed and unseal_pin(sealed, "conv-1") == "0042"
    with pytest.raises(SealBroken):
        unseal_pin(sealed, "conv-2")
    with pytest.raises(SealBroken):
        unseal_pin(sealed[:-4] + "AAAA", "conv-1")
    with pytest.raises(SealBroken):
        unseal_pin("0042", "conv-1")
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", "t" * 40)  # another deployment's secret
    with pytest.raises(SealBroken):
        unseal_pin(sealed, "conv-1")


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ("price", "price"),
        ("it's way too expensive", "price"),
        ("travelling for the summer", "temporary"),
        ("I never use it, no time", "not_watching"),
        ("the app keeps crashing", "technical"),
        ("nothing good to watch anymore", "content"),
        ("my cat hates the intro music", "other"),
    ],
)
def test_cancellation_reason_from_the_subscribers_words(words: str, reason: str) -> None:
    assert reason_of(words) == reason


@pytest.mark.parametrize(
    ("value", "months"),
    [("2", 2), (3.0, 3), ("two months", 2), ("a month", 1), ("six", None), (True, None), (2.5, None)],
)
def test_months_in_words(value, months) -> None:  # noqa: ANN001
    assert months_of(value) == months


def test_long_sender_ids_become_a_digest_the_audit_log_can_hold() -> None:
    assert conversation_id("abc") == "abc"
    long_id = conversation_id("x" * 500)
    assert long_id.startswith("sha256:") and len(long_id) <= 100 and long_id == conversation_id("x" * 500)
