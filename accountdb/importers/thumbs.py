"""The rule that turns a data set's numeric score into a thumbs rating.

Scores are judged as a fraction of the scale's top (5 for MovieLens, 10 for MovieTweetings):

    fraction >= 0.9  -> love   (4.5-5 of 5, 9-10 of 10)
    fraction >= 0.7  -> up     (3.5-4 of 5, 7-8 of 10)
    fraction <= 0.4  -> down   (0-2 of 5, 0-4 of 10)
    otherwise        -> no thumbs rating (2.5-3 of 5, 5-6 of 10)

A lukewarm score is not a thumbs up or down, so inventing one would misstate the viewer; such rows
still record the viewing, which is what the recommender learns from.
"""

from __future__ import annotations

from accountdb.models import RatingValue

SUPPORTED_SCALES = (5.0, 10.0)
LOVE_FROM, UP_FROM, DOWN_UP_TO = 0.9, 0.7, 0.4
# Scores are decimal numbers like 3.5; this absorbs binary floating-point error at the boundaries.
_EPSILON = 1e-9


def thumbs_for(score: float, scale: float) -> RatingValue | None:
    fraction = score / scale
    if fraction >= LOVE_FROM - _EPSILON:
        return RatingValue.LOVE
    if fraction >= UP_FROM - _EPSILON:
        return RatingValue.UP
    if fraction <= DOWN_UP_TO + _EPSILON:
        return RatingValue.DOWN
    return None


def scale_for(highest_score: float) -> float | None:
    """The smallest supported scale that holds `highest_score`; None when none does."""
    return next((scale for scale in SUPPORTED_SCALES if highest_score <= scale), None)
