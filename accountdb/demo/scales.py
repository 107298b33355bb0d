"""How big each demo world is.

Profile and event counts follow from the account count (about 2.4 profiles per account and about 56
viewing events per profile), so the account numbers are chosen to clear each scale's promised minimum.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    titles: int
    accounts: int
    events_per_profile: float  # mean; activity varies a lot between profiles
    description: str


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale("tiny", 150, 42, 50.0, "~150 titles, ~100 profiles, ~5k viewing events; for tests (seconds)"),
        Scale("small", 1_000, 840, 52.0, "~1,000 titles, ~2,000 profiles, ~100k viewing events"),
        Scale("demo", 5_000, 8_600, 56.0, ">=5,000 titles, >=20,000 profiles, >=1M viewing events"),
        Scale("large", 20_000, 86_000, 56.0, ">=20,000 titles, >=200,000 profiles, >=10M viewing events"),
    )
}

# The demo world's "today". Fixed, so the same seed gives the same rows whenever it is run;
# `marquee seed --as-of` moves it.
DEFAULT_AS_OF = dt.date(2026, 11, 30)
# How far back viewing history goes.
HISTORY_DAYS = 540
