"""Reason text for a recommendation, built from the contributions that actually produced its score.

Each `Contribution` names a kind ("item", "user", "feature", "popularity") and a source. Contributions of
the same kind are grouped, groups are ordered by their summed weight, and the two strongest positive groups
become the reason: "Because you watched Heat and Ronin; matches thriller". Nothing is said that the model's
score decomposition (or the viewer's own request, for matched tags) does not support.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from recommender.models.base import Contribution

MAX_GROUPS = 2
MAX_TITLES = 2
MAX_TAGS = 3
EXPLORATION_PREFIX = "Something less known for you"


@dataclass(frozen=True)
class ReasonInputs:
    """Everything a reason may draw on besides the contributions themselves."""

    title_of: Callable[[str], str]
    like_item: str | None = None
    matched_tags: Sequence[str] = ()
    exploration: bool = False


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _item_phrase(sources: list[str], inputs: ReasonInputs) -> str:
    if inputs.like_item is not None and inputs.like_item in sources:
        return f"because you asked for more like {inputs.title_of(inputs.like_item)}"
    return f"because you watched {_join([inputs.title_of(s) for s in sources[:MAX_TITLES]])}"


def _user_phrase(sources: list[str]) -> str:
    if len(sources) == 1:
        return "liked by a viewer with taste like yours"
    return f"liked by {len(sources)} viewers with taste like yours"


def _popularity_phrase(sources: list[str]) -> str:
    # Sources are "global", "trending", "global:<REGION>", "trending:<REGION>" or "contemporary" (popular in
    # the periods the viewer was active); the strongest one speaks.
    mode, _, region = sources[0].partition(":")
    if mode == "contemporary":
        return "popular around the times you watch"
    where = "in your country" if region else "on the service"
    if mode == "trending":
        return f"trending {where} right now"
    return f"popular {where}"


def _feature_phrase(sources: list[str]) -> str:
    return f"matches {', '.join(sources[:MAX_TAGS])}"


def reason_text(contributions: Sequence[Contribution], inputs: ReasonInputs) -> str:
    """One sentence explaining a recommended title.

    The two strongest kinds of contribution are described, then the requested tags the title matches.
    Raises ValueError when there is nothing to explain (no positive contribution and no matched tag):
    the ranking layer must not recommend a title it cannot justify.
    """
    groups: dict[str, tuple[float, list[str]]] = {}
    for contribution in sorted(contributions, key=lambda c: -c.weight):
        if contribution.weight <= 0:
            continue
        total, sources = groups.get(contribution.kind, (0.0, []))
        if contribution.source not in sources:
            sources.append(contribution.source)
        groups[contribution.kind] = (total + contribution.weight, sources)
    matched = [t for t in inputs.matched_tags if t]
    if not groups and not matched:
        raise ValueError("no positive contribution to explain this recommendation")

    phrases = []
    ranked = sorted(groups.items(), key=lambda entry: -entry[1][0])
    for kind, (_, sources) in ranked[:MAX_GROUPS]:
        if kind == "item":
            phrases.append(_item_phrase(sources, inputs))
        elif kind == "user":
            phrases.append(_user_phrase(sources))
        elif kind == "popularity":
            phrases.append(_popularity_phrase(sources))
        elif not matched:
            phrases.append(_feature_phrase(sources))
    if matched:
        # The viewer asked for these tags and the title has them: say so, with any tags the model weighed.
        model_tags = groups.get("feature", (0.0, []))[1]
        phrases.append(_feature_phrase(list(dict.fromkeys([*matched, *model_tags]))))
    text = "; ".join(phrases)
    if inputs.exploration:
        return f"{EXPLORATION_PREFIX}: {text}"
    return text[0].upper() + text[1:]
