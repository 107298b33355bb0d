"""Regions, countries, languages, currencies and cities of the demo world.

The numbers are shares, not facts about any real service: they give the demo a believable mix
(English-language content and US subscribers dominate, with strong local markets elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str  # ISO 3166-1 alpha-2; a region is one country here
    subscriber_share: float
    currency: str
    languages: tuple[tuple[str, float], ...]  # account languages spoken there, with shares
    email_domains: tuple[str, ...]


# Email domains use the reserved `.example` TLD (RFC 2606) so no demo address can ever receive mail,
# even if a marketing job is pointed at the demo database by mistake.
REGIONS: tuple[Region, ...] = (
    Region(
        "US", 0.28, "USD", (("en", 0.86), ("es", 0.14)), ("mailbox.example", "inbox.example", "post.example")
    ),
    Region("GB", 0.08, "GBP", (("en", 1.0),), ("mailbox.example", "postbox.example")),
    Region("CA", 0.05, "CAD", (("en", 0.78), ("fr", 0.22)), ("mailbox.example", "courriel.example")),
    Region("DE", 0.08, "EUR", (("de", 1.0),), ("postfach.example", "mailbox.example")),
    Region("FR", 0.07, "EUR", (("fr", 1.0),), ("courriel.example", "mailbox.example")),
    Region("ES", 0.06, "EUR", (("es", 1.0),), ("correo.example", "mailbox.example")),
    Region("IT", 0.04, "EUR", (("it", 1.0),), ("posta.example", "mailbox.example")),
    Region("BR", 0.08, "BRL", (("pt", 1.0),), ("correio.example", "mailbox.example")),
    Region("MX", 0.06, "MXN", (("es", 1.0),), ("correo.example", "mailbox.example")),
    Region("IN", 0.09, "INR", (("en", 0.55), ("hi", 0.45)), ("mailbox.example", "dakghar.example")),
    Region("JP", 0.04, "JPY", (("ja", 1.0),), ("yubin.example", "mailbox.example")),
    Region("KR", 0.04, "KRW", (("ko", 1.0),), ("upyeon.example", "mailbox.example")),
    Region("AU", 0.04, "AUD", (("en", 1.0),), ("mailbox.example", "inbox.example")),
)
REGION_CODES: tuple[str, ...] = tuple(region.code for region in REGIONS)
REGION_BY_CODE: dict[str, Region] = {region.code: region for region in REGIONS}

# Original language of a title, with its share of the catalog and the production countries it comes from.
CONTENT_LANGUAGES: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...] = (
    ("en", 0.52, (("US", 0.66), ("GB", 0.18), ("CA", 0.07), ("AU", 0.06), ("IE", 0.03))),
    ("es", 0.10, (("ES", 0.45), ("MX", 0.35), ("AR", 0.12), ("CO", 0.08))),
    ("fr", 0.06, (("FR", 0.8), ("BE", 0.1), ("CA", 0.1))),
    ("ko", 0.07, (("KR", 1.0),)),
    ("ja", 0.07, (("JP", 1.0),)),
    ("de", 0.04, (("DE", 0.85), ("AT", 0.15))),
    ("hi", 0.05, (("IN", 1.0),)),
    ("it", 0.03, (("IT", 1.0),)),
    ("pt", 0.03, (("BR", 0.8), ("PT", 0.2))),
    ("sv", 0.015, (("SE", 1.0),)),
    ("da", 0.01, (("DK", 1.0),)),
    ("tr", 0.015, (("TR", 1.0),)),
)

# Which regions a title from a production country is most likely licensed in first.
HOME_REGIONS: dict[str, tuple[str, ...]] = {
    "US": ("US", "CA"),
    "GB": ("GB", "AU"),
    "CA": ("CA", "US"),
    "AU": ("AU", "GB"),
    "IE": ("GB",),
    "ES": ("ES",),
    "MX": ("MX", "US"),
    "AR": ("MX", "ES"),
    "CO": ("MX",),
    "FR": ("FR", "CA"),
    "BE": ("FR",),
    "KR": ("KR",),
    "JP": ("JP",),
    "DE": ("DE",),
    "AT": ("DE",),
    "IN": ("IN",),
    "IT": ("IT",),
    "BR": ("BR",),
    "PT": ("BR",),
    "SE": ("DE", "GB"),
    "DK": ("DE", "GB"),
    "TR": ("DE",),
}

# Settings for premises and titles; cities are what people remember a film by ("the one in Lisbon").
CITIES: tuple[str, ...] = (
    "Paris",
    "Lisbon",
    "Tokyo",
    "Seoul",
    "Mumbai",
    "Berlin",
    "Madrid",
    "Barcelona",
    "Rome",
    "Naples",
    "Istanbul",
    "Marrakesh",
    "Cairo",
    "Havana",
    "Buenos Aires",
    "Mexico City",
    "Rio",
    "New Orleans",
    "Chicago",
    "Brooklyn",
    "Detroit",
    "Los Angeles",
    "San Francisco",
    "Miami",
    "Boston",
    "Montreal",
    "Vancouver",
    "Dublin",
    "Edinburgh",
    "Glasgow",
    "London",
    "Manchester",
    "Oslo",
    "Copenhagen",
    "Stockholm",
    "Reykjavik",
    "Prague",
    "Vienna",
    "Budapest",
    "Athens",
    "Venice",
    "Kyoto",
    "Osaka",
    "Busan",
    "Bangkok",
    "Hong Kong",
    "Shanghai",
    "Singapore",
    "Sydney",
    "Melbourne",
    "Cape Town",
    "Lagos",
    "Nairobi",
    "Oaxaca",
    "Lima",
    "Bogota",
    "Marseille",
    "Lyon",
    "Hamburg",
    "Munich",
)
