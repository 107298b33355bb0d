"""Find card numbers and disclosed passwords in free text and mask them before anything is stored.

Card numbers: runs of 13 to 19 digits, optionally grouped by single spaces or dashes, that pass the Luhn
check and start like a payment card (2-6: Mastercard 2-series, Amex/Diners/JCB 3, Visa 4, Mastercard 5,
Discover/UnionPay 6). A random digit run (an order number, a phone number) passes Luhn one time in ten, so
the prefix rule keeps most of those readable; a masked card keeps only its last four digits, as on a
receipt. When a longer run of groups holds a card (e.g. "order 1234 4111 1111 1111 1111"), the card inside
is still found.

Passwords: a password word ("password", "passwd", "pw", "pwd", "passcode", "passphrase", "PIN") followed by
":", "=", "is", "was" or "to" and a value. After ":" or "=" the value is always masked; after a verb it is
masked unless it is an ordinary word describing the password ("my password is wrong"). A PIN value must
contain a digit.

Redacting text that was already redacted changes nothing, so every layer may redact again safely.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CARD = "card_number"
PASSWORD = "password"
CARD_PREFIX_DIGITS = frozenset("23456")
MIN_CARD_DIGITS, MAX_CARD_DIGITS = 13, 19
PASSWORD_MASK = "[password removed]"
CARD_MASK_START = "[card number removed"

# Digit groups separated by one space or dash; \b-free so "card:4111..." and "4111...!" are found too.
_DIGIT_RUN = re.compile(r"(?<!\d)\d+(?:[ -]\d+)*(?!\d)")
_GROUP = re.compile(r"\d+")
_PASSWORD = re.compile(
    r"(?P<label>\b(?:pass(?:word|wd|code|phrase)|pwd|pw|pin(?:\s*(?:code|number))?)\b)"
    r"(?P<sep>\s*(?P<punct>[:=])\s*|\s+(?P<verb>is|was|to)\s*(?::\s*)?)"
    r"(?P<value>\"[^\"]+\"|'[^']+'|[^\s\"']+)",
    re.IGNORECASE,
)
# Words that describe a password rather than disclose it ("my password is wrong / not working").
_DESCRIPTIVE_WORDS = frozenset(
    (
        "wrong", "incorrect", "invalid", "not", "no", "correct", "right", "fine", "ok", "okay", "expired",
        "locked", "too", "the", "a", "an", "being", "still", "always", "never", "reset", "changed", "different",
        "same", "working", "rejected", "case", "missing", "forgotten", "lost", "weak", "strong", "long",
        "short", "very", "really", "definitely", "also", "now", "new", "old", "mine", "set", "required",
        "needed", "empty", "blank", "something", "what", "that", "this", "it", "its", "my", "your", "their",
        "his", "her", "change", "update", "be", "been", "showing", "saved", "stored", "accepted", "sent",
        "ready", "unknown", "log", "login", "sign", "access", "get", "use", "work", "open", "enter", "unlock",
        "recover",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    kind: str  # CARD or PASSWORD
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Redacted:
    text: str
    kinds: tuple[str, ...]  # what was masked, each kind once, in order of first appearance

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def looks_like_card(digits: str) -> bool:
    return (
        MIN_CARD_DIGITS <= len(digits) <= MAX_CARD_DIGITS
        and digits[0] in CARD_PREFIX_DIGITS
        and luhn_valid(digits)
    )


def _card_findings(text: str) -> list[Finding]:
    findings = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [
            (m.start() + run.start(), m.end() + run.start(), m.group()) for m in _GROUP.finditer(run.group())
        ]
        first = 0
        while first < len(groups):
            # The longest span of whole groups starting here that is a card; else move one group on.
            for last in range(len(groups), first, -1):
                digits = "".join(group for _, _, group in groups[first:last])
                if len(digits) > MAX_CARD_DIGITS:
                    continue
                if looks_like_card(digits):
                    start, end = groups[first][0], groups[last - 1][1]
                    findings.append(Finding(CARD, start, end, f"{CARD_MASK_START}, ending {digits[-4:]}]"))
                    first = last
                    break
            else:
                first += 1
    return findings


def _password_findings(text: str) -> list[Finding]:
    findings = []
    for match in _PASSWORD.finditer(text):
        if text.startswith((PASSWORD_MASK, CARD_MASK_START), match.start("value")):
            continue  # already masked: redacting masked text again changes nothing
        value = match.group("value")
        bare = value.strip("\"'").rstrip(".,;!?)")  # for the word checks only
        if not bare:
            continue
        label = match.group("label").lower()
        if label.startswith("pin") and not any(char.isdigit() for char in bare):
            continue
        if match.group("punct") is None and bare.lower() in _DESCRIPTIVE_WORDS:
            continue
        # The whole token goes, trailing punctuation included: "hunter2!" may end in its own "!".
        findings.append(Finding(PASSWORD, match.start("value"), match.end("value"), PASSWORD_MASK))
    return findings


def find_secrets(text: str) -> list[Finding]:
    """Card numbers and disclosed passwords in `text`, in order, without overlaps."""
    findings = sorted(_card_findings(text) + _password_findings(text), key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for finding in findings:
        if kept and finding.start < kept[-1].end:
            continue  # e.g. "pin: 4111 1111 ..." found both ways; the first (longest) wins
        kept.append(finding)
    return kept


def redact_text(text: str) -> Redacted:
    findings = find_secrets(text)
    if not findings:
        return Redacted(text, ())
    pieces, cursor = [], 0
    for finding in findings:
        pieces.append(text[cursor : finding.start])
        pieces.append(finding.replacement)
        cursor = finding.end
    pieces.append(text[cursor:])
    kinds = tuple(dict.fromkeys(finding.kind for finding in findings))
    return Redacted("".join(pieces), kinds)


def redact(text: str) -> str:
    return redact_text(text).text


def redact_data(value: Any) -> Any:
    """`value` with every string inside (dict values and keys, lists, tuples) redacted; other types as is."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact_data(key): redact_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(item) for item in value]
    return value
