"""Discovery: what to suggest to this viewer, given what they asked for in the conversation.

This is the one place that turns a conversation's constraints and a viewer (region, maturity limit, history)
into recommender calls (recommender.ranking), and checks every answer against the hard rules once more
before it is shown: available in the viewer's region, within the maturity limit, not watched, not already
suggested in this conversation. A kids profile's limit is never raised by anything the user says; "for my
8 year old" lowers an adult profile's limit to an age-appropriate rank.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from actions.catalog_index import DescriptionSearch
from actions.catalog_snapshot import CatalogSnapshot, TitleFacts
from actions.constraint_values import maturity_limit_for_age
from actions.model_store import Models
from actions.viewers import Viewer
from recommender.constraints import Constraints, ProfileContext
from recommender.ranking import RecommendationResult, ranker_for, recommend

logger = logging.getLogger(__name__)

SUGGESTIONS_PER_TURN = 3
LIST_LENGTH = 5
# How the recommender's constraint names read in "I couldn't find ..., so I dropped ...".
CONSTRAINT_WORDS = {
    "year_range": "the era",
    "max_runtime": "the length limit",
    "languages": "the language",
    "countries": "the country",
    "people": "the actor or director",
    "moods": "the mood",
    "genres": "the genre",
    "kind": "movie or series",
}


@dataclass(frozen=True)
class Request:
    """The constraints of the conversation so far, in the NLU's normalised values (docs/dialogue.md)."""

    genres: tuple[str, ...] = ()
    exclude_genres: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    exclude_moods: tuple[str, ...] = ()
    kind: str | None = None
    max_runtime: float | None = None
    year_min: int | None = None
    year_max: int | None = None
    language: str | None = None
    country: str | None = None
    person: str | None = None
    kids_age: int | None = None
    like_title_id: str | None = None
    suggested_ids: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Pick:
    facts: TitleFacts
    reason: str


@dataclass(frozen=True)
class Picks:
    picks: list[Pick]
    relaxed: list[str] = field(default_factory=list)  # readable names of constraints that were dropped
    unknown_genres: list[str] = field(default_factory=list)  # asked-for genres the catalog does not have

    @property
    def ids(self) -> list[str]:
        return [pick.facts.id for pick in self.picks]


def maturity_limit(viewer: Viewer, kids_age: int | None) -> int:
    """The strongest maturity rank this viewer may be shown now; only ever lowered by the conversation."""
    limit = viewer.maturity_limit
    if kids_age is not None:
        limit = min(limit, maturity_limit_for_age(kids_age))
    return limit


class Discovery:
    """Suggestions over one catalog snapshot and the models built for it."""

    def __init__(self, snapshot: CatalogSnapshot, models: Models) -> None:
        self.snapshot = snapshot
        self.models = models

    # -- translation ---------------------------------------------------------------------------------------

    def _genres(self, values: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Catalog genre names (lower case, as the recommender matches them) and values with no match."""
        found, unknown = [], []
        for value in values:
            names = self.snapshot.name_index.catalog_genres(value)
            if names:
                found += [name.lower() for name in names]
            else:
                unknown.append(value)
        return list(dict.fromkeys(found)), unknown

    def _excluded_ids(self, request: Request) -> frozenset[str]:
        # Exclusions are the user's explicit "not horror" / "nothing too dark": they are never relaxed, so
        # they become hard exclusions by id rather than soft constraints.
        genres = set(self._genres(request.exclude_genres)[0])
        moods = {m.lower() for m in request.exclude_moods}
        if not genres and not moods:
            return frozenset()
        return frozenset(
            facts.id
            for facts in self.snapshot.titles.values()
            if genres & {g.lower() for g in facts.genres} or moods & {m.lower() for m in facts.moods}
        )

    def profile(self, viewer: Viewer, request: Request) -> ProfileContext:
        return ProfileContext(
            region=viewer.region,
            maturity_limit=maturity_limit(viewer, request.kids_age),
            seen_ids=viewer.watched | viewer.disliked,
            suggested_ids=request.suggested_ids,
        )

    def constraints(self, request: Request) -> tuple[Constraints, list[str]]:
        genres, unknown = self._genres(request.genres)
        year_min, year_max = request.year_min, request.year_max
        if year_min is not None and year_max is not None and year_min > year_max:
            year_min, year_max = year_max, year_min
        constraints = Constraints(
            genres=tuple(genres),
            moods=tuple(m.lower() for m in request.moods),
            kind=request.kind if request.kind in ("movie", "series") else None,
            max_runtime=request.max_runtime if request.max_runtime and request.max_runtime > 0 else None,
            year_min=year_min,
            year_max=year_max,
            languages=(request.language,) if request.language else (),
            countries=(request.country,) if request.country else (),
            people=(request.person,) if request.person else (),
            like_item=request.like_title_id,
            exclude_ids=self._excluded_ids(request),
        )
        return constraints, unknown

    # -- the checks every shown title passes ---------------------------------------------------------------

    def allowed(self, facts: TitleFacts, profile: ProfileContext, constraints: Constraints) -> bool:
        return (
            facts.maturity_rank <= (profile.maturity_limit if profile.maturity_limit is not None else 10**6)
            and (profile.region is None or facts.watchable_in(profile.region))
            and facts.id not in profile.seen_ids
            and facts.id not in profile.suggested_ids
            and facts.id not in constraints.exclude_ids
        )

    def _picks(
        self, result: RecommendationResult, profile: ProfileContext, constraints: Constraints
    ) -> list[Pick]:
        picks = []
        for item in result.items:
            facts = self.snapshot.get(item.item_id)
            if facts is None or not self.allowed(facts, profile, constraints):
                # The ranking layer applies the same filters; reaching this means the two disagree.
                logger.error(
                    "dropped title %s: it breaks a hard filter the recommender should have applied",
                    item.item_id,
                )
                continue
            picks.append(Pick(facts, item.reason))
        return picks

    # -- what the actions ask for --------------------------------------------------------------------------

    def recommend(self, viewer: Viewer, request: Request, k: int = SUGGESTIONS_PER_TURN) -> Picks:
        profile = self.profile(viewer, request)
        constraints, unknown = self.constraints(request)
        history = self.models.history_row(viewer.history)
        result = recommend(
            self.models.personal,
            history,
            k=k,
            profile=profile,
            constraints=constraints,
            items=self.models.items,
        )
        picks = self._picks(result, profile, constraints)
        logger.info(
            "recommended %s to %s (constraints %s, relaxed %s)",
            [p.facts.id for p in picks],
            viewer.user_key,
            constraints.active(),
            result.relaxed,
        )
        return Picks(picks, [CONSTRAINT_WORDS.get(name, name) for name in result.relaxed], unknown)

    def similar(
        self, viewer: Viewer, title_id: str, request: Request, k: int = SUGGESTIONS_PER_TURN
    ) -> Picks:
        return self.recommend(viewer, replace(request, like_title_id=title_id), k)

    def popular(self, viewer: Viewer, mode: str, request: Request, k: int = LIST_LENGTH) -> Picks:
        """mode "trending" (recent, time-decayed) or "popular_local" (all-time, in the viewer's region)."""
        model = self.models.trending if mode == "trending" else self.models.popular
        profile = self.profile(viewer, request)
        constraints, unknown = self.constraints(request)
        result = recommend(
            model,
            model.data.empty_history(),
            k=k,
            profile=profile,
            constraints=constraints,
            diversity=0.0,
            exploration=0.0,
            items=self.models.items,
        )
        picks = self._picks(result, profile, constraints)
        logger.info("%s for %s in %s: %s", mode, viewer.user_key, viewer.region, [p.facts.id for p in picks])
        return Picks(picks, [CONSTRAINT_WORDS.get(name, name) for name in result.relaxed], unknown)

    def new_releases(self, viewer: Viewer, request: Request, k: int = LIST_LENGTH) -> Picks:
        """Newest additions to the catalog that this viewer may watch, newest first."""
        profile = self.profile(viewer, request)
        constraints, unknown = self.constraints(request)
        ranker = ranker_for(self.models.popular, self.models.items)
        mask = ranker.catalog.hard_mask(profile, constraints)
        for name in constraints.active():
            narrowed = mask & ranker.catalog.soft_mask(name, constraints)
            if narrowed.any():  # like the ranking layer: a constraint that leaves nothing is dropped
                mask = narrowed
        items = ranker.catalog.items
        added = np.nan_to_num(items.date_added, nan=-np.inf)
        year = np.nan_to_num(items.release_year, nan=-np.inf)
        order = np.lexsort((-year, -added))
        picks = []
        for idx in order:
            if not mask[idx]:
                continue
            facts = self.snapshot.get(str(items.item_ids[idx]))
            if facts is None or not self.allowed(facts, profile, constraints):
                continue
            when = (
                f"added {facts.date_added:%b} {facts.date_added.day}, {facts.date_added.year}"
                if facts.date_added
                else None
            )
            picks.append(Pick(facts, f"New on Marquee ({when})" if when else "New on Marquee"))
            if len(picks) == k:
                break
        logger.info(
            "new releases for %s in %s: %s", viewer.user_key, viewer.region, [p.facts.id for p in picks]
        )
        return Picks(picks, [], unknown)

    def search_description(
        self, viewer: Viewer, search: DescriptionSearch, text: str, k: int = SUGGESTIONS_PER_TURN
    ) -> list[tuple[TitleFacts, float]]:
        """Titles matching a free description, limited to what the viewer may see (maturity); titles not
        available in the viewer's region are still found, so the reply can say so."""
        limit = viewer.maturity_limit
        allowed = {facts.id for facts in self.snapshot.titles.values() if facts.maturity_rank <= limit}
        hits = search.search(text, k=k, allowed=allowed)
        return [(self.snapshot.titles[hit.entry.id], hit.score) for hit in hits]
