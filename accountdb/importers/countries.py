"""Country names as public catalogs write them -> ISO 3166-1 alpha-2 codes (what TitleCountry stores)."""

from __future__ import annotations

from functools import cache

import pycountry

# Everyday and historical names that ISO's official and common names do not cover. Former states keep
# their withdrawn ISO codes (SU, DD) rather than being folded into a successor state.
_ALIASES = {
    "russia": "RU",
    "turkey": "TR",
    "vatican city": "VA",
    "palestine": "PS",
    "ivory coast": "CI",
    "macedonia": "MK",
    "kosovo": "XK",
    "south korea": "KR",
    "north korea": "KP",
    "korea, south": "KR",
    "korea, north": "KP",
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "west germany": "DE",
    "east germany": "DD",
    "soviet union": "SU",
    "ussr": "SU",
    "czechoslovakia": "CS",
    "yugoslavia": "YU",
    "burma": "MM",
    "cape verde": "CV",
    "swaziland": "SZ",
    "the netherlands": "NL",
    "holland": "NL",
    "u.s.": "US",
    "u.s.a.": "US",
}


@cache
def country_code(name: str) -> str | None:
    """'United States' -> 'US', 'West Germany' -> 'DE'; None when the name is not a known country."""
    cleaned = " ".join(name.strip().split())
    if not cleaned:
        return None
    alias = _ALIASES.get(cleaned.lower())
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(cleaned).alpha_2
    except LookupError:
        return None
