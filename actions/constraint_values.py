"""Turn the words people use for constraints into values the recommender filters on.

The NLU marks spans ("under 2 hours", "80s", "Korean", "8 year old"); these functions read them:
runtime text -> maximum minutes, era text -> a year range, language or country names -> ISO codes,
a child's age -> the highest maturity rank suitable for that age. Each returns None when the text
carries no usable value, so the caller can ask again instead of guessing.
"""

from __future__ import annotations

import re
from datetime import date

from accountdb import maturity

# "something quick" / "short": about the length of a short feature film.
QUICK_MINUTES = 95.0
# "something shorter" without a number: this much shorter than the last limit (or the last suggestion).
SHORTER_FACTOR = 0.8
# "recent" / "new": released in the last few calendar years.
RECENT_YEARS = 3
# "old" / "classic": before this year.
CLASSIC_BEFORE = 1980

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}
_NUMBER = r"(\d+(?:[.,]\d+)?|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"


def _number(token: str) -> float:
    token = token.lower()
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def parse_runtime_minutes(text: str | None) -> float | None:
    """Maximum runtime in minutes: "under 2 hours" -> 120, "90 min" -> 90, "1h30" -> 90, "quick" -> 95."""
    if not text:
        return None
    lowered = text.lower().strip()
    match = re.search(r"(\d+)\s*h(?:ours?|rs?)?\s*(?:and\s*)?(\d+)\s*(?:m(?:in(?:ute)?s?)?)?\b", lowered)
    if match:
        return float(int(match.group(1)) * 60 + int(match.group(2)))
    minutes = 0.0
    found = False
    half_hour = re.search(r"\bhalf\s+an?\s+hour\b", lowered)
    if half_hour:
        minutes += 30
        found = True
        lowered = lowered.replace(half_hour.group(0), " ")
    lowered = re.sub(
        _NUMBER + r"\s+and\s+a\s+half\s+(?:h|hrs?|hours?)\b",
        lambda m: f"{_number(m.group(1)) + 0.5} hours",
        lowered,
    )
    match = re.search(_NUMBER + r"\s*(?:-|\s)?\s*(?:h|hrs?|hours?)\b", lowered)
    if match:
        minutes += _number(match.group(1)) * 60
        found = True
    elif re.search(r"\bhour\b", lowered):
        minutes += 60
        found = True
    if found and re.search(r"\band\s+a\s+half\b", lowered):
        minutes += 30
    match = re.search(_NUMBER + r"\s*(?:-|\s)?\s*(?:m|mins?|minutes?)\b", lowered)
    if match:
        minutes += _number(match.group(1))
        found = True
    if found and minutes > 0:
        return minutes
    match = re.fullmatch(r"(?:under|less than|below|max(?:imum)?|at most|up to)?\s*(\d{2,3})", lowered)
    if match:  # a bare number of minutes ("under 100")
        return float(match.group(1))
    if re.search(r"\b(quick|short|shorter|brief|not (?:too )?long)\b", lowered):
        return QUICK_MINUTES
    return None


def shorter_than(current_max: float | None, last_runtimes: list[float]) -> float:
    """The new limit for "something shorter": below the current limit or the last suggestions."""
    reference = current_max if current_max else (max(last_runtimes) if last_runtimes else 120.0)
    return float(max(20, round(reference * SHORTER_FACTOR)))


_DECADE_WORDS = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
}


def parse_era(text: str | None, today: date | None = None) -> tuple[int | None, int | None] | None:
    """(year_min, year_max) from "80s", "the nineties", "early 2000s", "recent", "from 2015", "before 1990"."""
    if not text:
        return None
    lowered = text.lower().strip()
    normalised = re.fullmatch(r"(\d{4})?\s*-\s*(\d{4})?", lowered)
    if normalised and any(normalised.groups()):  # the NLU's "<min>-<max>" form: "1980-1989", "2015-", "-1999"
        low, high = normalised.groups()
        return (int(low) if low else None, int(high) if high else None)
    this_year = (today or date.today()).year
    if re.search(r"\b(recent|new|newer|latest|this year|last year|lately|current)\b", lowered):
        return (this_year - RECENT_YEARS, None)
    if re.search(r"\b(old|older|classic|classics|vintage|golden age)\b", lowered):
        return (None, CLASSIC_BEFORE - 1)
    decade = None
    match = re.search(r"\b(19|20)?(\d)0\s*'?\s*s\b", lowered)
    if match:
        century, digit = match.group(1), int(match.group(2))
        if century:
            decade = int(century) * 100 + digit * 10
        else:
            # "80s" means the 1980s; "00s", "10s" and "20s" mean this century.
            decade = (2000 if digit <= (this_year // 10) % 10 else 1900) + digit * 10
    else:
        for word, start in _DECADE_WORDS.items():
            if word in lowered:
                decade = start
                break
    if decade is not None:
        if re.search(r"\bearly\b", lowered):
            return (decade, decade + 4)
        if re.search(r"\blate\b", lowered):
            return (decade + 5, decade + 9)
        if re.search(r"\bmid\b", lowered):
            return (decade + 3, decade + 6)
        return (decade, decade + 9)
    match = re.search(r"\b(18[89]\d|19\d\d|20\d\d)\b", lowered)
    if match:
        year = int(match.group(1))
        if re.search(r"\b(since|after|from .* on|onwards|or later|newer than)\b", lowered):
            return (year, None)
        if re.search(r"\b(before|until|older than|earlier than|pre)\b", lowered):
            return (None, year - 1)
        return (year, year)
    return None


LANGUAGE_CODES: dict[str, str] = {
    "english": "en",
    "spanish": "es",
    "castilian": "es",
    "french": "fr",
    "korean": "ko",
    "japanese": "ja",
    "anime": "ja",
    "german": "de",
    "hindi": "hi",
    "bollywood": "hi",
    "italian": "it",
    "portuguese": "pt",
    "brazilian": "pt",
    "swedish": "sv",
    "danish": "da",
    "turkish": "tr",
    "chinese": "zh",
    "mandarin": "zh",
    "cantonese": "zh",
    "norwegian": "no",
    "dutch": "nl",
    "polish": "pl",
    "russian": "ru",
    "arabic": "ar",
    "thai": "th",
    "finnish": "fi",
    "icelandic": "is",
    "greek": "el",
    "hebrew": "he",
    "indonesian": "id",
    "tamil": "ta",
    "telugu": "te",
}

COUNTRY_CODES: dict[str, str] = {
    "us": "US",
    "usa": "US",
    "america": "US",
    "american": "US",
    "united states": "US",
    "hollywood": "US",
    "uk": "GB",
    "britain": "GB",
    "british": "GB",
    "england": "GB",
    "english": "GB",
    "united kingdom": "GB",
    "scotland": "GB",
    "scottish": "GB",
    "canada": "CA",
    "canadian": "CA",
    "germany": "DE",
    "german": "DE",
    "france": "FR",
    "french": "FR",
    "spain": "ES",
    "spanish": "ES",
    "italy": "IT",
    "italian": "IT",
    "brazil": "BR",
    "brazilian": "BR",
    "mexico": "MX",
    "mexican": "MX",
    "india": "IN",
    "indian": "IN",
    "bollywood": "IN",
    "japan": "JP",
    "japanese": "JP",
    "korea": "KR",
    "south korea": "KR",
    "korean": "KR",
    "australia": "AU",
    "australian": "AU",
    "ireland": "IE",
    "irish": "IE",
    "argentina": "AR",
    "argentinian": "AR",
    "argentine": "AR",
    "colombia": "CO",
    "colombian": "CO",
    "belgium": "BE",
    "belgian": "BE",
    "austria": "AT",
    "austrian": "AT",
    "portugal": "PT",
    "portuguese": "PT",
    "sweden": "SE",
    "swedish": "SE",
    "denmark": "DK",
    "danish": "DK",
    "turkey": "TR",
    "turkish": "TR",
    "norway": "NO",
    "norwegian": "NO",
    "china": "CN",
    "chinese": "CN",
    "hong kong": "HK",
    "taiwan": "TW",
    "taiwanese": "TW",
    "thailand": "TH",
    "thai": "TH",
    "nigeria": "NG",
    "nollywood": "NG",
    "nigerian": "NG",
    "new zealand": "NZ",
    "poland": "PL",
    "polish": "PL",
    "netherlands": "NL",
    "dutch": "NL",
    "russia": "RU",
    "russian": "RU",
    "israel": "IL",
    "israeli": "IL",
    "egypt": "EG",
    "egyptian": "EG",
    "finland": "FI",
    "finnish": "FI",
    "iceland": "IS",
    "icelandic": "IS",
}

_NOISE = re.compile(
    r"\b(in|from|the|a|an|language|spoken|dubbed|subtitled|movie|movies|film|films|show|shows|series)\b"
)


def _clean(text: str) -> str:
    return " ".join(_NOISE.sub(" ", text.lower()).replace("-", " ").split())


def language_code(text: str | None) -> str | None:
    """ISO 639-1 code from "Korean", "in spanish", "ko"."""
    if not text:
        return None
    cleaned = _clean(text)
    if cleaned in LANGUAGE_CODES:
        return LANGUAGE_CODES[cleaned]
    if re.fullmatch(r"[a-z]{2}", cleaned):  # already an ISO 639-1 code, as the NLU normalises it
        return cleaned
    return None


def country_code(text: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code from "Korea", "from japan", "British", "GB"."""
    if not text:
        return None
    cleaned = _clean(text)
    if cleaned in COUNTRY_CODES:
        return COUNTRY_CODES[cleaned]
    if re.fullmatch(r"[a-z]{2}", cleaned):  # already an ISO 3166-1 alpha-2 code, as the NLU normalises it
        return cleaned.upper()
    return None


LANGUAGE_NAMES: dict[str, str] = {}
for _name, _code in LANGUAGE_CODES.items():
    LANGUAGE_NAMES.setdefault(_code, _name.capitalize())


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "")


def parse_age(text: str | float | int | None) -> int | None:
    """A child's age from "8", "8 year old", "eight", "my 6yo"; None when it is not a plausible child age."""
    if text is None:
        return None
    if isinstance(text, int | float):
        age = int(text)
    else:
        match = re.search(_NUMBER, str(text).lower())
        if not match:
            return None
        try:
            age = int(_number(match.group(1)))
        except ValueError:
            return None
    return age if 0 <= age <= 17 else None


# Highest rank on accountdb.maturity's scale that suits a child of at least this age.
_AGE_LIMITS: tuple[tuple[int, str], ...] = (
    (17, "R"),
    (14, "TV-14"),
    (13, "PG-13"),
    (10, "TV-PG"),
    (7, "PG"),
    (0, "TV-G"),
)


def maturity_limit_for_age(age: int) -> int:
    """ "for my 8 year old" -> PG; the scale is one order, so the limit is the strongest label allowed."""
    for minimum_age, label in _AGE_LIMITS:
        if age >= minimum_age:
            return maturity.MATURITY_SCALE[label]
    return maturity.MATURITY_SCALE["TV-Y"]


_ORDINALS = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "sixth": 6,
    "6th": 6,
    "six": 6,
    "last": -1,
    "final": -1,
}


def parse_ordinal(text: str | None) -> int | None:
    """1-based position from "second", "2", "2nd", "the last one" (-1 = last)."""
    if text is None:
        return None
    lowered = str(text).lower().strip()
    if lowered.isdigit():
        return int(lowered) if int(lowered) > 0 else None
    for word in re.findall(r"[a-z0-9]+", lowered):
        if word in _ORDINALS:
            return _ORDINALS[word]
    return None
