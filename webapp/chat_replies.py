"""Turning Rasa's REST replies into the small, validated shape the chat page renders.

Rasa's REST channel answers with a list of messages, each with any of `text`, `buttons`, `image` and
`custom`. The page only ever receives fields listed here, with checked types, so a malformed or hostile
custom payload cannot smuggle markup or unexpected structure into the browser.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

TITLE_CARDS_KEY = "title_cards"
# The custom payload with which the assistant asks for a secret (the parental PIN, actions/support/parental.py).
INPUT_HINT_TYPE = "input_hint"
MAX_BUTTONS = 12
MAX_CARDS = 20


class QuickReply(BaseModel):
    title: str
    payload: str


class TitleCard(BaseModel):
    id: int | str
    title: str
    year: int | None = None
    type: Literal["movie", "series"] | None = None
    genres: list[str] = Field(default_factory=list)
    runtime: int | None = Field(default=None, description="minutes, for movies")
    seasons: int | None = Field(default=None, description="for series")
    maturity: str | None = None
    reason: str | None = Field(default=None, description="why the assistant suggests it")


class BotMessage(BaseModel):
    text: str | None = None
    buttons: list[QuickReply] = Field(default_factory=list)
    title_cards: list[TitleCard] = Field(default_factory=list)
    image: str | None = None
    # The answer to this message is a secret: the page takes it in a password field and never shows it.
    secret_input: bool = False


def to_bot_messages(replies: list[dict[str, Any]]) -> list[BotMessage]:
    messages = []
    for reply in replies:
        message = BotMessage(
            text=_string(reply.get("text")),
            buttons=_buttons(reply.get("buttons")),
            title_cards=_title_cards(reply.get("custom")),
            image=_image_url(reply.get("image")),
            secret_input=_asks_for_secret(reply.get("custom")),
        )
        if message.text or message.buttons or message.title_cards or message.image or message.secret_input:
            messages.append(message)
    return messages


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _buttons(value: Any) -> list[QuickReply]:
    if not isinstance(value, list):
        return []
    buttons = []
    for button in value[:MAX_BUTTONS]:
        if not isinstance(button, dict):
            continue
        title = _string(button.get("title"))
        payload = _string(button.get("payload")) or title
        if title and payload:
            buttons.append(QuickReply(title=title, payload=payload))
    return buttons


def _title_cards(custom: Any) -> list[TitleCard]:
    # Accept both {"title_cards": [...]} and {"type": "title_cards", "cards": [...]}.
    if not isinstance(custom, dict):
        return []
    raw_cards = custom.get(TITLE_CARDS_KEY)
    if raw_cards is None and custom.get("type") == TITLE_CARDS_KEY:
        raw_cards = custom.get("cards")
    if not isinstance(raw_cards, list):
        return []
    cards = []
    for raw in raw_cards[:MAX_CARDS]:
        if not isinstance(raw, dict):
            continue
        card_id = raw.get("id")
        title = _string(raw.get("title"))
        if title is None or not isinstance(card_id, int | str) or isinstance(card_id, bool):
            continue
        kind = raw.get("type")
        genres = raw.get("genres")
        if isinstance(genres, str):
            genres = [g.strip() for g in genres.split(",")]
        cards.append(
            TitleCard(
                id=card_id,
                title=title,
                year=_int(raw.get("year")),
                type=kind if kind in ("movie", "series") else None,
                genres=[g for g in genres if isinstance(g, str) and g] if isinstance(genres, list) else [],
                runtime=_int(
                    raw.get("runtime") if raw.get("runtime") is not None else raw.get("runtime_minutes")
                ),
                seasons=_int(raw.get("seasons")),
                maturity=_string(raw.get("maturity")),
                reason=_string(raw.get("reason")),
            )
        )
    return cards


def _asks_for_secret(custom: Any) -> bool:
    return (
        isinstance(custom, dict) and custom.get("type") == INPUT_HINT_TYPE and custom.get("input") == "secret"
    )


def _image_url(value: Any) -> str | None:
    # Only http(s) images: a javascript: or data: URL in an <img> is an injection vector.
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None
