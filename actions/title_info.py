"""Answers about one title: what it is about, how long it is, who is in it, its rating, where it plays.

Which of these the user wants is read from their words ("how long is it" -> length); when nothing
specific is asked, the answer is a short overview that still mentions availability when it cannot be
watched in the viewer's region.
"""

from __future__ import annotations

import re
from enum import StrEnum

from actions.activity import AudienceScore
from actions.catalog_snapshot import TitleFacts
from actions.constraint_values import language_name
from actions.replies import availability_sentence, region_name

# Fewer ratings than this say little about a title; the answer says so instead of quoting a percentage.
MIN_RATINGS_FOR_SCORE = 5


class Aspect(StrEnum):
    ABOUT = "about"
    LENGTH = "length"
    CAST = "cast"
    RATING = "rating"
    AVAILABILITY = "availability"
    OVERVIEW = "overview"


_ASPECT_WORDS: tuple[tuple[Aspect, re.Pattern[str]], ...] = (
    (
        Aspect.AVAILABILITY,
        re.compile(
            r"\b(available|availab\w*|stream\w*|can i (watch|see)|can't i|cannot|why not|where can|here|my (country|region)|in my area|on marquee|region)\b"
        ),
    ),
    (
        Aspect.LENGTH,
        re.compile(
            r"\b(how long|length|runtime|run time|minutes|hours|duration|how many (seasons|episodes)|seasons?|episodes?)\b"
        ),
    ),
    (
        Aspect.CAST,
        re.compile(
            r"\b(who(?:'s| is| are)? in|cast|starring|stars|actors?|actress|director|directed|who made)\b"
        ),
    ),
    (
        Aspect.RATING,
        re.compile(
            r"\b(rating|rated|any good|worth|reviews?|good\??$|is it good|age rating|suitable|ok for kids|okay for kids)\b"
        ),
    ),
    (Aspect.ABOUT, re.compile(r"\b(about|plot|story|synopsis|premise|what is it|what's it|describe)\b")),
)


def aspect_of(text: str) -> Aspect:
    lowered = text.lower()
    for aspect, pattern in _ASPECT_WORDS:
        if pattern.search(lowered):
            return aspect
    return Aspect.OVERVIEW


def _duration_sentence(facts: TitleFacts) -> str:
    if facts.kind == "series":
        if facts.seasons:
            return (
                f"{facts.title} is a series with {facts.seasons} season{'s' if facts.seasons != 1 else ''}."
            )
        return f"{facts.title} is a series; I don't know how many seasons it has."
    if facts.runtime_minutes:
        hours, minutes = divmod(facts.runtime_minutes, 60)
        spoken = f"{hours} h {minutes:02d} min" if hours else f"{minutes} minutes"
        return f"{facts.title} runs {facts.runtime_minutes} minutes ({spoken})."
    return f"I don't know how long {facts.title} is."


def _cast_sentence(facts: TitleFacts) -> str:
    parts = []
    if facts.cast:
        parts.append(f"{facts.title} stars {_join(list(facts.cast[:4]))}.")
    if facts.directors:
        parts.append(f"Directed by {_join(list(facts.directors))}.")
    return " ".join(parts) or f"I don't have cast details for {facts.title}."


def _rating_sentence(facts: TitleFacts, score: AudienceScore) -> str:
    sentence = f"{facts.title} is rated {facts.maturity_rating}."
    if score.rated >= MIN_RATINGS_FOR_SCORE:
        sentence += f" {round(100 * score.share)}% of the {score.rated} viewers who rated it liked it."
    elif score.rated:
        sentence += f" Only {score.rated} viewer{'s have' if score.rated != 1 else ' has'} rated it so far."
    else:
        sentence += " Nobody has rated it yet."
    return sentence


def _about_sentence(facts: TitleFacts) -> str:
    kind = "series" if facts.kind == "series" else "movie"
    genres = ", ".join(g.lower() for g in facts.genres[:3])
    described = f"{genres} {kind}" if genres else kind
    article = "an" if described[0] in "aeiou" else "a"
    opener = f"{facts.label} is {article} {described}"
    if facts.language and facts.language != "en":
        opener += f" in {language_name(facts.language)}"
    description = facts.description.strip()
    return f"{opener}. {description}" if description else f"{opener}."


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def answer(facts: TitleFacts, aspect: Aspect, region: str, score: AudienceScore) -> str:
    where = region_name(region)
    if aspect is Aspect.ABOUT:
        return _about_sentence(facts)
    if aspect is Aspect.LENGTH:
        return _duration_sentence(facts)
    if aspect is Aspect.CAST:
        return _cast_sentence(facts)
    if aspect is Aspect.RATING:
        return _rating_sentence(facts, score)
    if aspect is Aspect.AVAILABILITY:
        return availability_sentence(facts, region, where)
    overview = [_about_sentence(facts), _duration_sentence(facts), f"Rated {facts.maturity_rating}."]
    if not facts.watchable_in(region):
        overview.append(availability_sentence(facts, region, where))
    return " ".join(overview)
