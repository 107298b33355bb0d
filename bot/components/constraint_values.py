"""Find runtime, era, kids' age and ordinal phrases in a message and turn them into plain values.

Pure Python (no Rasa import) so the rules can be unit-tested in the app environment; the Rasa component in
``entity_refiner.py`` wraps it. Each finder returns :class:`Span` objects whose ``start``/``end`` point into
the original text and whose ``value`` is the normalised string from docs/dialogue.md:

- runtime: maximum minutes, "under 2 hours" -> "120";
- era: "<min>-<max>" years with either side open, "80s" -> "1980-1989", "from 2015" -> "2015-";
- age: years, "my 8 year old" -> "8";
- ordinal: 1-based position, "the second one" -> "2", "the last one" -> "-1".
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    entity: str
    start: int
    end: int
    value: str


_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "twenty": 20, "thirty": 30,
    "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "couple": 2, "a couple": 2,
}  # fmt: skip
_NUMBER = (
    r"(?:\d+(?:[.,]\d+)?|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"
)


def _number(token: str) -> float:
    token = token.strip().lower().replace(",", ".")
    return float(_NUMBER_WORDS[token]) if token in _NUMBER_WORDS else float(token)


# --- runtime -------------------------------------------------------------------------------------------

# "at least 2 hours" is a minimum, which the recommender does not filter on: such phrases are skipped.
_AT_LEAST = re.compile(r"(?:over|more than|longer than|at least|minimum|min\.?)\s*$", re.I)
_HOURS = r"(?:hours?|hrs?|h)"
_MINUTES = r"(?:minutes?|mins?|m)"
_RUNTIME = re.compile(
    rf"""\b(?:
        (?P<hm_h>\d+)\s*h(?:ours?|rs?)?\s*(?:and\s*)?(?P<hm_m>\d+)\s*{_MINUTES}?   # 1h30, 1 hour 30 min
      | (?P<hh_n>{_NUMBER})\s*(?:and\s+a\s+half|&\s*a\s*half)\s*{_HOURS}            # 2 and a half hours
      | (?:an?\s+)?hour\s+and\s+a\s+half                                            # an hour and a half
      | half\s+an?\s+hour                                                            # half an hour
      | (?P<h_n>{_NUMBER})(?:\s+of)?\s*-?\s*{_HOURS}                                # 2 hours, a couple of hours
      | (?P<m_n>{_NUMBER})\s*-?\s*{_MINUTES}                                        # 90 minutes, 45min
      | an?\s+hour
    )\b""",
    re.I | re.X,
)
_QUICK = re.compile(r"\b(?:quick(?:ie)?|short(?!er\b)|(?:not|nothing)\s+too\s+long|bite-?sized)\b", re.I)
QUICK_MINUTES = 45


def find_runtimes(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _RUNTIME.finditer(text):
        if _AT_LEAST.search(text[: match.start()]):
            continue
        minutes = _runtime_minutes(match)
        if minutes and 0 < minutes <= 600:
            spans.append(Span("runtime", match.start(), match.end(), str(round(minutes))))
    for match in _QUICK.finditer(text):
        if not _overlaps(match.start(), match.end(), spans):
            spans.append(Span("runtime", match.start(), match.end(), str(QUICK_MINUTES)))
    return spans


def _runtime_minutes(match: re.Match[str]) -> float | None:
    groups = match.groupdict()
    phrase = match.group(0).lower()
    if groups["hm_h"]:
        return int(groups["hm_h"]) * 60 + int(groups["hm_m"])
    if groups["hh_n"]:
        return (_number(groups["hh_n"]) + 0.5) * 60
    if "hour and a half" in phrase:
        return 90
    if phrase.startswith("half"):
        return 30
    if groups["h_n"]:
        return _number(groups["h_n"]) * 60
    if groups["m_n"]:
        return _number(groups["m_n"])
    return 60  # "an hour"


# --- era -----------------------------------------------------------------------------------------------

_DECADE_WORDS = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000,
}  # fmt: skip
_YEAR = r"(?:19|20)\d\d"
_ERA = re.compile(
    rf"""(?:
        \b(?:between|from)\s+(?P<r_lo>{_YEAR})\s*(?:and|to|-|–|until|till)\s*(?P<r_hi>{_YEAR})\b
      | \b(?P<b_lo>{_YEAR})\s*(?:-|–|to)\s*(?P<b_hi>{_YEAR})\b
      | \b(?:from|since|after|newer\s+than|later\s+than|post-?)\s*(?:the\s+year\s+)?(?P<after>{_YEAR})\b
      | \b(?P<onwards>{_YEAR})\s*(?:or\s+(?:later|newer|after)|onwards?|and\s+(?:later|newer|up)|\+)
      | \b(?:before|pre-?|older\s+than|until|till|prior\s+to|earlier\s+than)\s*(?P<before>{_YEAR})\b
      | (?:\b|')(?:the\s+)?(?P<decade>(?:19|20)?\d0)'?s\b
      | \b(?P<decade_word>{"|".join(_DECADE_WORDS)})\b
      | \b(?P<this_year>this\s+year)\b
      | \b(?P<last_year>last\s+year)\b
      | \b(?P<recent>recent(?:ly)?|newer|latest|last\s+(?:few|couple(?:\s+of)?)\s+years)\b
      | (?<!year\s)(?<!years\s)(?<!year-)(?<!years-)(?<!yr\s)\b(?P<old>old(?:er)?|classics?|vintage|oldies|golden\s+age)\b(?![\s-]*(?:year|yr))
      | \b(?:in\s+|from\s+|of\s+)?(?P<year>{_YEAR})\b
    )""",
    re.I | re.X,
)
RECENT_YEARS = 3
OLD_UNTIL = 1989


def find_eras(text: str, this_year: int) -> list[Span]:
    spans: list[Span] = []
    for match in _ERA.finditer(text):
        value = _era_value(match.groupdict(), this_year)
        if value:
            spans.append(Span("era", match.start(), match.end(), value))
    return spans


def _era_value(g: dict[str, str | None], this_year: int) -> str | None:
    if g["r_lo"] or g["b_lo"]:
        low, high = sorted((int(g["r_lo"] or g["b_lo"]), int(g["r_hi"] or g["b_hi"])))
        return f"{low}-{high}"
    if g["after"]:  # "from", "since" and "after 2015" all mean "2015 or later" in conversation
        return f"{g['after']}-"
    if g["onwards"]:
        return f"{g['onwards']}-"
    if g["before"]:
        return f"-{int(g['before']) - 1}"
    if g["decade"]:
        digits = g["decade"]
        if len(digits) == 2:  # "80s" -> 1980s; "00s" and "10s" are this century
            digits = ("20" if digits in ("00", "10") else "19") + digits
        start = int(digits)
        return f"{start}-{start + 9}"
    if g["decade_word"]:
        start = _DECADE_WORDS[g["decade_word"].lower()]
        return f"{start}-{start + 9}"
    if g["this_year"]:
        return f"{this_year}-{this_year}"
    if g["last_year"]:
        return f"{this_year - 1}-{this_year - 1}"
    if g["recent"]:
        return f"{this_year - RECENT_YEARS}-"
    if g["old"]:
        return f"-{OLD_UNTIL}"
    if g["year"]:
        return f"{g['year']}-{g['year']}"
    return None


# --- kids' age -----------------------------------------------------------------------------------------

_AGE_WORDS = {"baby": 1, "toddler": 3, "preschooler": 4, "tween": 11, "teen": 13, "teenager": 13}
_AGE = re.compile(
    rf"""\b(?:
        (?P<n>{_NUMBER})\s*-?\s*(?:years?|yrs?|yr)\s*-?\s*olds?
      | (?P<yo>\d{{1,2}})\s*(?:yo|y/o|y\.o\.?|yrs?\s+old)
      | (?:aged?|ages)\s+(?P<aged>\d{{1,2}})
      | (?:my|our|a|the|for)\s+(?:\w+\s+)?(?P<word>{"|".join(_AGE_WORDS)})s?
    )\b""",
    re.I | re.X,
)


def find_ages(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _AGE.finditer(text):
        g = match.groupdict()
        if g["word"]:
            age = _AGE_WORDS[g["word"].lower()]
            start = match.start("word")
        else:
            age = int(_number(g["n"] or g["yo"] or g["aged"]))
            start = match.start()
        if 0 < age <= 18:
            spans.append(Span("age", start, match.end(), str(age)))
    return spans


# --- ordinals ------------------------------------------------------------------------------------------

_ORDINAL_WORDS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "last": -1, "top": 1,
}  # fmt: skip
_ORDINAL = re.compile(
    rf"""(?:
        ^\s*(?:the\s+)?(?:number\s*|no\.?\s*|nr\.?\s*|option\s*|\#\s*)?(?P<alone>[1-9])\s*[.!)]?\s*(?:one|pls|please)?\s*$
      | \b(?:number|option|no\.|nr\.?|choice)\s*(?P<numbered>[1-9])\b
      | \#\s*(?P<hash>[1-9])\b
      | \b(?P<word>{"|".join(_ORDINAL_WORDS)})\b(?!\s+(?:year|night|week|month|time|season|episode|movie\s+i|place))
    )""",
    re.I | re.X,
)


def find_ordinals(text: str) -> list[Span]:
    spans: list[Span] = []
    for match in _ORDINAL.finditer(text):
        g = match.groupdict()
        if g["word"]:
            word = g["word"].lower()
            if word == "top" and not re.search(r"\b(?:the\s+)?top\s+(?:one|pick)\b", text, re.I):
                continue  # "top 10" and "top rated" are not positions in the last reply
            spans.append(Span("ordinal", match.start("word"), match.end("word"), str(_ORDINAL_WORDS[word])))
            continue
        name = next(key for key in ("alone", "numbered", "hash") if g[key])
        spans.append(Span("ordinal", match.start(name), match.end(name), g[name]))
    return spans


def _overlaps(start: int, end: int, spans: list[Span]) -> bool:
    return any(start < span.end and span.start < end for span in spans)


def find_constraint_values(text: str, this_year: int) -> list[Span]:
    """Every runtime, era, age and ordinal in ``text``; a runtime or age wins over an overlapping number."""
    found = find_runtimes(text) + find_ages(text)
    for span in find_eras(text, this_year) + find_ordinals(text):
        if not _overlaps(span.start, span.end, found):
            found.append(span)
    return sorted(found, key=lambda span: span.start)
