"""Card numbers and disclosed passwords are masked; ordinary numbers and sentences about passwords are not."""

import pytest

from accountdb.services.redaction import CARD, PASSWORD, luhn_valid, redact, redact_data, redact_text

# Test numbers published by card networks: all pass Luhn.
VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"


@pytest.mark.parametrize(
    "text",
    [
        f"my card is {VISA}",
        "my card is 4111 1111 1111 1111 ok",
        "card: 4111-1111-1111-1111.",
        f"number {MASTERCARD}, expiry 12/29",
        f"amex {AMEX} thanks",
        "it's 3782 822463 10005",
    ],
)
def test_valid_card_numbers_are_masked_to_their_last_four(text):
    result = redact_text(text)
    assert result.kinds == (CARD,)
    assert "ending " in result.text
    digits = "".join(ch for ch in result.text if ch.isdigit())
    assert (
        digits in {"1111", "4444", "0005", "122029".replace("2029", "") + "4444", "12294444"}
        or len(digits) <= 8
    )
    for card in (VISA, MASTERCARD, AMEX):
        assert card not in "".join(ch for ch in result.text if ch.isdigit())


@pytest.mark.parametrize(
    "text",
    [
        "my order number is 4111111111111112",  # fails Luhn
        "order 1234567890123456 arrived",  # fails Luhn
        "call me on +44 20 7946 0958",
        "invoice INV-2026-00000042 and ticket 7364528",
        "reference 0000000000000000",  # Luhn-valid zeros, but no card starts with 0
        "99999999999999999999999 is too long for a card",
    ],
)
def test_other_digit_runs_are_left_alone(text):
    assert redact(text) == text


def test_a_card_inside_a_longer_run_of_groups_is_still_found():
    assert (
        redact("order 1234 4111 1111 1111 1111 please")
        == "order 1234 [card number removed, ending 1111] please"
    )


def test_luhn():
    assert luhn_valid(VISA) and luhn_valid(AMEX)
    assert not luhn_valid("4111111111111112")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my password is hunter2", "my password is [password removed]"),
        ("My Password is hunter2.", "My Password is [password removed]"),
        ("pw: s3cr3t! and more", "pw: [password removed] and more"),
        ("password='correct horse' ok", "password=[password removed] ok"),
        ("pwd=abc", "pwd=[password removed]"),
        ("the passcode was 987654", "the passcode was [password removed]"),
        ("my pin is 4321", "my pin is [password removed]"),
        ("changed my password to Tr0ub4dor", "changed my password to [password removed]"),
    ],
)
def test_password_disclosures_are_masked(text, expected):
    result = redact_text(text)
    assert result.text == expected
    assert result.kinds == (PASSWORD,)


@pytest.mark.parametrize(
    "text",
    [
        "The app says my password is wrong but it works on the website.",
        "I forgot my password",
        "my password is not working",
        "I need my password to log in",
        "my pin is lost",
        "I passed the test",
    ],
)
def test_talking_about_passwords_is_not_masked(text):
    assert redact(text) == text


def test_both_kinds_in_one_message_and_nested_data():
    data = {"note": f"pw: x1 card {VISA}", "turns": ["hello", "password is abc123"], "count": 3}
    cleaned = redact_data(data)
    assert cleaned["count"] == 3
    assert cleaned["turns"] == ["hello", "password is [password removed]"]
    assert "x1" not in cleaned["note"] and VISA not in cleaned["note"]
    assert redact_text(data["note"]).kinds == (PASSWORD, CARD)


def test_injection_looking_text_is_kept_as_text():
    text = "Robert'); DROP TABLE support_tickets;-- <script>alert(1)</script>"
    assert redact(text) == text
