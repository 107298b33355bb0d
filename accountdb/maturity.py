"""One ordered maturity scale across US TV and film ratings, so a profile's limit is a single integer.

A title is watchable on a profile when `title.maturity_rank <= profile.maturity_limit`. TV and film labels
are interleaved by how strong the content they allow is; unrated titles (NR/UR) count as adult because
nobody vouched for them.
"""

from __future__ import annotations

# Ordered from mildest to strongest. TV-Y7-FV (fantasy violence) is the same audience as TV-Y7.
MATURITY_SCALE: dict[str, int] = {
    "TV-Y": 0,
    "TV-Y7": 1,
    "TV-Y7-FV": 1,
    "G": 2,
    "TV-G": 3,
    "PG": 4,
    "TV-PG": 5,
    "PG-13": 6,
    "TV-14": 7,
    "R": 8,
    "TV-MA": 9,
    "NC-17": 10,
}
ADULT_RANK = max(MATURITY_SCALE.values())
UNRATED_LABEL = "NR"
# Unrated spellings seen in public catalogs; all mean "nobody rated it".
_UNRATED_SPELLINGS = {"NR", "UR", "NOT RATED", "UNRATED", "NOT-RATED"}
# The strongest rating a kids profile may be allowed (Netflix-style "older kids").
KIDS_MAX_RANK = MATURITY_SCALE["TV-PG"]


class UnknownMaturityRating(ValueError):
    """A label that is not on the scale (catalog files sometimes carry a duration in the rating column)."""


def canonical_label(label: str | None) -> str:
    """The scale's spelling of `label` ("pg-13 " -> "PG-13"); missing or unrated labels become "NR"."""
    cleaned = " ".join((label or "").strip().upper().replace("_", "-").split())
    if not cleaned or cleaned in _UNRATED_SPELLINGS:
        return UNRATED_LABEL
    if cleaned not in MATURITY_SCALE:
        known = ", ".join(MATURITY_SCALE)
        raise UnknownMaturityRating(f"unknown maturity rating {label!r}; use one of {known}, NR or UR")
    return cleaned


def rank(label: str | None) -> int:
    """The position of `label` on the scale (0 = TV-Y ... ADULT_RANK = NC-17 and unrated)."""
    canonical = canonical_label(label)
    return ADULT_RANK if canonical == UNRATED_LABEL else MATURITY_SCALE[canonical]
