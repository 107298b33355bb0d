"""What the assistant sends back: short text, quick-reply buttons and the title-card payload.

Every reply reads well as plain text (text-only channels drop buttons' structure and custom payloads), and
carries the same titles as `{"type": "title_cards", "cards": [...]}` for web clients (docs/dialogue.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pycountry

from actions.catalog_snapshot import TitleFacts

TROUBLE_TEXT = (
    "I'm having trouble right now and can't reach the catalog. Please try again in a minute; "
    "if it keeps happening, our support team can help."
)


def payload(intent: str, **entities: str) -> str:
    """A Rasa intent payload such as `/choose_option{"ordinal":"2"}`."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, separators=(',', ':'), ensure_ascii=False)}"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)

    def as_message(self) -> dict[str, Any]:
        """Keyword arguments for `dispatcher.utter_message`."""
        message: dict[str, Any] = {"text": self.text}
        if self.buttons:
            message["buttons"] = [button.as_dict() for button in self.buttons]
        if self.cards:
            message["json_message"] = {"type": "title_cards", "cards": self.cards}
        return message


def _duration(facts: TitleFacts) -> str:
    if facts.kind == "series":
        if facts.seasons:
            return f"{facts.seasons} season" + ("s" if facts.seasons != 1 else "")
        return "series"
    if facts.runtime_minutes:
        hours, minutes = divmod(facts.runtime_minutes, 60)
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return "movie"


def title_card(facts: TitleFacts, reason: str | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {
        "id": facts.id,
        "title": facts.title,
        "year": facts.year,
        "type": facts.kind,
        "genres": list(facts.genres),
        "maturity": facts.maturity_rating,
    }
    if facts.kind == "series":
        card["seasons"] = facts.seasons
    else:
        card["runtime_minutes"] = facts.runtime_minutes
    if reason:
        card["reason"] = reason
    return card


def title_line(position: int | None, facts: TitleFacts, reason: str | None) -> str:
    """`1. Title (year) – reason`, with the length so a text-only user can judge it."""
    prefix = f"{position}. " if position is not None else ""
    details = ", ".join(part for part in (_duration(facts), facts.maturity_rating) if part)
    line = f"{prefix}{facts.label} [{details}]"
    return f"{line} – {reason}" if reason else line


def title_list_reply(
    intro: str,
    titles: Sequence[tuple[TitleFacts, str | None]],
    *,
    follow_ups: Sequence[Button] = (),
    outro: str | None = None,
) -> Reply:
    """A numbered list of titles: one line each, a button per title (by position), then follow-ups."""
    lines = [intro]
    lines += [title_line(position, facts, reason) for position, (facts, reason) in enumerate(titles, start=1)]
    if outro:
        lines.append(outro)
    buttons = [
        Button(f"{position}. {facts.title}", payload("choose_option", ordinal=str(position)))
        for position, (facts, _) in enumerate(titles, start=1)
    ]
    return Reply("\n".join(lines), buttons + list(follow_ups), [title_card(f, r) for f, r in titles])


RECOMMENDATION_FOLLOW_UPS = (
    Button("Another one", payload("refine_another")),
    Button("Something shorter", payload("refine_shorter")),
)


def which_one_reply(question: str, options: Sequence[TitleFacts]) -> Reply:
    """Disambiguation: one button per candidate, each naming year and kind so the choice is clear."""
    lines = [question]
    buttons = []
    for position, facts in enumerate(options, start=1):
        description = f"{facts.year or 'year unknown'}, {facts.kind}"
        if facts.cast:
            description += f", with {facts.cast[0]}"
        lines.append(f"{position}. {facts.title} ({description})")
        buttons.append(
            Button(f"{facts.title} ({facts.year or facts.kind})", payload("choose_option", title=facts.id))
        )
    return Reply("\n".join(lines), buttons, [title_card(f) for f in options])


def title_detail_buttons(facts: TitleFacts) -> list[Button]:
    return [
        Button("More like this", payload("ask_similar", title=facts.id)),
        Button("Add to My List", payload("add_to_list", title=facts.id)),
    ]


def region_name(code: str) -> str:
    """ "DE" -> "Germany", "KR" -> "South Korea"; unknown codes are returned as they are."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def _unavailable_sentence(facts: TitleFacts, region: str, here: str) -> str:
    status = facts.availability.get(region)
    elsewhere = sorted(facts.watchable_regions - {region})
    where = f" It is available in {', '.join(region_name(r) for r in elsewhere[:5])}." if elsewhere else ""
    kind = "series" if facts.kind == "series" else "movie"
    if status is None or status.unavailable_reason == "not_licensed":
        return (
            f"{facts.title} isn't available in {here}: we don't hold the rights to this {kind} there.{where}"
        )
    if status.unavailable_reason == "coming_soon":
        when = (
            f" on {status.available_from:%B} {status.available_from.day}, {status.available_from.year}"
            if status.available_from
            else " soon"
        )
        return f"{facts.title} is coming to {here}{when}; it can't be played there yet."
    if status.unavailable_reason == "license_expired":
        return f"{facts.title} has left {here}: our license for this {kind} there has expired.{where}"
    return f"{facts.title} can't be played in {here} right now.{where}"


def availability_sentence(facts: TitleFacts, region: str, here: str) -> str:
    if facts.watchable_in(region):
        return f"Yes, {facts.title} is available to watch in {here}."
    return _unavailable_sentence(facts, region, here)


def format_date(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"
