"""The recommendation the bot shows: model scores, hard filters, constraints, diversity, exploration, reasons.

`recommend(model, user_or_history, k, profile, constraints, diversity, exploration)` runs, per call:
  1. the history: a known user's training row, or a row with fresh feedback folded in (`feedback`); an
     unknown user or an empty history is a cold start, answered by regional popularity plus whatever the
     model scores for an empty history (the default hybrid adds content similarity to stated preferences);
     "more like X" scores X's neighbourhood instead;
  2. candidates: hard filters (watched, maturity, region, suggested, excluded) never relaxed; soft
     constraints relaxed in `constraints.RELAXATION_ORDER` until something is left, and reported;
  3. a pool of the best-scored candidates, re-ranked by MMR over item similarity (`diversity` 0 = pure
     relevance, 1 = maximal spread); when the model scores too few candidates above zero the list is
     back-filled by regional popularity, so every title shown has a score it can be explained by;
  4. an exploration slice: `exploration` of the k slots go to long-tail titles (outside the most popular 20%
     of the catalog) that still have a positive score for this viewer and pass every filter;
  5. a reason per title from the model's own score decomposition (`Recommender.explain`).

A `Ranker` holds what is precomputed per model (catalog arrays, popularity, similarity features); the module
functions keep one per model object.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from recommender.constraints import CatalogIndex, Constraints, ProfileContext, candidates
from recommender.dataset import ItemMetadata
from recommender.explain import ReasonInputs, reason_text
from recommender.models.base import (
    Contribution,
    Recommender,
    ScoringContext,
    as_history,
    single_threaded_blas,
    top_k,
)
from recommender.models.popularity import PopularityRecommender

logger = logging.getLogger(__name__)

# History weights of feedback. A thumbs-down is negative: models that read negatives push similar titles
# down, and every title in the history (liked or not) is excluded from what is shown.
FEEDBACK_WEIGHTS = {"watched": 1.0, "up": 1.0, "love": 2.0, "down": -1.0}

DEFAULT_DIVERSITY = 0.3
DEFAULT_EXPLORATION = 0.1
# MMR looks this many times k candidates deep: enough room to diversify without drifting into weak picks.
POOL_FACTOR = 4
MIN_POOL = 50
# The best-first prefix of the pool searched for exploration titles before the whole pool is: this many
# times MMR's depth.
EXPLORE_DEPTH = 2
# The "short head": the most popular 20% of titles. Everything else is long tail for exploration.
HEAD_SHARE = 0.2
# Genres and moods describe similarity as viewers see it; they are used for diversity when at least this
# share of the catalog has them, otherwise co-occurrence (shared audiences) stands in.
MIN_TAG_COVERAGE = 0.5
EXPLAIN_TOP = 5
# Feature matrices at most this wide are handled dense in MMR.
DENSE_FEATURES = 256


@dataclass(frozen=True)
class RecommendedItem:
    item_id: str
    score: float
    reason: str
    contributions: tuple[Contribution, ...]
    exploration: bool = False


@dataclass(frozen=True)
class RecommendationResult:
    items: list[RecommendedItem]
    relaxed: list[str] = field(default_factory=list)
    cold_start: bool = False

    @property
    def item_ids(self) -> list[str]:
        return [item.item_id for item in self.items]


class Ranker:
    """Everything per model that one recommendation call should not recompute."""

    def __init__(self, model: Recommender, items: ItemMetadata | None = None) -> None:
        self.model = model
        data = model.data
        self.item_ids = data.item_ids
        self.catalog = CatalogIndex.for_items(items if items is not None else model.items, data.item_ids)
        mode = "trending" if data.timestamps is not None and data.timestamps.nnz else "global"
        self.popularity = PopularityRecommender(mode=mode).fit(data)
        self._regional_popularity: dict[str | None, np.ndarray] = {}
        audience = np.bincount((data.matrix > 0).tocsr().indices, minlength=data.n_items)
        head_size = max(1, int(np.ceil(HEAD_SHARE * int((audience > 0).sum()))))
        head = np.argsort(-audience, kind="stable")[:head_size]
        self.long_tail = np.ones(data.n_items, dtype=bool)
        self.long_tail[head[audience[head] > 0]] = False
        self.features = self._similarity_features()
        # Tag features are a few dozen columns: MMR reads rows of a dense copy, because slicing the sparse
        # matrix for each request's pool cost more than the whole diversity re-ranking.
        self.dense_features = self.features.toarray() if self.features.shape[1] <= DENSE_FEATURES else None

    def _similarity_features(self) -> sp.csr_matrix:
        items = self.catalog.items
        tags = sp.hstack([items.genre_matrix, items.mood_matrix]).tocsr()
        if tags.shape[1] and (np.diff(tags.indptr) > 0).mean() >= MIN_TAG_COVERAGE:
            features = tags
        else:
            features = sp.csr_matrix(self.model.data.matrix.maximum(0).T)
        features = sp.csr_matrix(features, dtype=np.float32)
        norms = np.sqrt(np.asarray(features.multiply(features).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ features, dtype=np.float32)

    def regional_popularity(self, region: str | None) -> np.ndarray:
        cached = self._regional_popularity.get(region)
        if cached is None:
            cached = self.popularity.score_region(region)
            self._regional_popularity[region] = cached
        return cached

    # -- histories -----------------------------------------------------------------------------------------

    def history(self, user_or_history: str | sp.spmatrix | np.ndarray) -> sp.csr_matrix:
        if isinstance(user_or_history, str):
            if user_or_history not in self.model.data.user_index:
                logger.info(
                    "user %s has no training history; answering with the cold-start path", user_or_history
                )
            return self.model.history_of(user_or_history)
        return as_history(user_or_history, len(self.item_ids))

    def feedback(self, history: sp.csr_matrix, item_id: str, kind: str) -> sp.csr_matrix:
        """`history` with one piece of feedback folded in; the next `recommend` on it reflects it."""
        if kind not in FEEDBACK_WEIGHTS:
            raise ValueError(f"feedback kind must be one of {sorted(FEEDBACK_WEIGHTS)}, got {kind!r}")
        column = self.model.item_idx(item_id)  # UnknownItemError names the id
        history = as_history(history, len(self.item_ids)).tocoo()
        # Built from coordinates so that a cell summing to zero (thumbs-down after "watched") stays stored:
        # the title remains part of the history and is still never shown again.
        return sp.csr_matrix(
            (
                np.append(history.data, np.float32(FEEDBACK_WEIGHTS[kind])),
                (np.append(history.row, 0), np.append(history.col, column)),
            ),
            shape=history.shape,
            dtype=np.float32,
        )

    # -- recommendation ------------------------------------------------------------------------------------

    def recommend(
        self,
        user_or_history: str | sp.spmatrix | np.ndarray,
        k: int = 20,
        profile: ProfileContext | None = None,
        constraints: Constraints | None = None,
        diversity: float = DEFAULT_DIVERSITY,
        exploration: float = DEFAULT_EXPLORATION,
    ) -> RecommendationResult:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if not 0.0 <= diversity <= 1.0:
            raise ValueError(f"diversity must be between 0 and 1, got {diversity}")
        if not 0.0 <= exploration < 1.0:
            raise ValueError(f"exploration must be a fraction below 1, got {exploration}")
        with single_threaded_blas():
            return self._recommend(user_or_history, k, profile, constraints, diversity, exploration)

    def _recommend(
        self,
        user_or_history: str | sp.spmatrix | np.ndarray,
        k: int,
        profile: ProfileContext | None,
        constraints: Constraints | None,
        diversity: float,
        exploration: float,
    ) -> RecommendationResult:
        profile = profile or ProfileContext()
        constraints = constraints or Constraints()
        history = self.history(user_or_history)

        scoring_history = history
        if constraints.like_item is not None:
            like = self.model.item_idx(constraints.like_item)  # UnknownItemError names the id
            scoring_history = sp.csr_matrix(
                (np.ones(1, dtype=np.float32), (np.array([0]), np.array([like]))), shape=history.shape
            )
        cold_start = constraints.like_item is None and not bool((history.data > 0).any())
        # The viewer's own history is scored as evaluation scores a user (ScoringContext.user_id); "more like
        # X" scores X alone, which is nobody's history.
        viewer = user_or_history if isinstance(user_or_history, str) else profile.user_id
        context = ScoringContext(
            region=profile.region,
            preferences=constraints.preferences,
            user_id=viewer if constraints.like_item is None else None,
        )
        scores = np.asarray(self.model.score_history(scoring_history, context))

        allowed = candidates(self.catalog, profile, constraints, excluded=history.indices)
        scored = np.isfinite(scores) & (scores > 0)
        pool = np.flatnonzero(allowed.mask & scored)
        backfill = np.flatnonzero(allowed.mask & ~scored)

        n_explore = 0 if exploration == 0 or k < 2 else max(1, int(round(exploration * k)))
        depth = self._depth(k - n_explore, selected=0)
        # The pool's best titles, best first, found once: MMR chooses among the first `depth` of them and the
        # exploration slice takes its long-tail titles from them when they hold enough.
        best = pool[top_k(scores[pool], EXPLORE_DEPTH * depth)] if pool.size > depth else None
        ranked = self._rank(scores, pool if best is None else best[:depth], k - n_explore, diversity, [])
        explore = self._explore(scores, pool, best, ranked, n_explore)
        if len(ranked) + len(explore) < k:  # too few long-tail titles fit: the main ranking takes the slots
            rest = _without(pool, explore)
            ranked += self._rank(scores, rest, k - len(explore) - len(ranked), diversity, selected=ranked)
        popularity = self.regional_popularity(profile.region)
        backfilled = self._rank(
            popularity, backfill, k - len(ranked) - len(explore), diversity, selected=ranked
        )

        # One explain call for every model-scored title: the model's per-history work is done once.
        explained = self.model.explain_items(scoring_history, [*ranked, *explore], EXPLAIN_TOP, context)
        items = [
            self._explained(i, scores[i], tuple(parts), constraints, exploration=False)
            for i, parts in zip(ranked, explained[: len(ranked)], strict=True)
        ]
        source = self.popularity.source(ScoringContext(region=profile.region))
        items += [self._popular_item(i, popularity[i], source, constraints) for i in backfilled]
        items += [
            self._explained(i, scores[i], tuple(parts), constraints, exploration=True)
            for i, parts in zip(explore, explained[len(ranked) :], strict=True)
        ]
        shown = [item for item in items if item is not None]
        logger.debug(
            "recommended %d titles (%d explored, %d back-filled by popularity), relaxed %s, cold start %s",
            len(shown),
            len(explore),
            len(backfilled),
            list(allowed.relaxed),
            cold_start,
        )
        return RecommendationResult(items=shown, relaxed=list(allowed.relaxed), cold_start=cold_start)

    def _rank(
        self, relevance: np.ndarray, pool: np.ndarray, n: int, diversity: float, selected: list[int]
    ) -> list[int]:
        """Up to n more titles of `pool`, chosen by MMR against `selected` and each other."""
        remaining = _without(pool, selected)
        if n <= 0 or remaining.size == 0:
            return []
        depth = self._depth(n, len(selected))
        if remaining.size > depth:
            remaining = remaining[top_k(relevance[remaining], depth)]
        if diversity == 0:
            order = remaining[top_k(relevance[remaining], n)]
            return [int(i) for i in order]
        features = self.features if self.dense_features is None else self.dense_features
        return mmr(relevance, remaining, features, n, diversity, selected)

    @staticmethod
    def _depth(n: int, selected: int) -> int:
        """How many of the best candidates MMR looks at to choose n more titles after `selected` ones."""
        return max(POOL_FACTOR * (selected + n), MIN_POOL)

    def _explore(
        self, scores: np.ndarray, pool: np.ndarray, best: np.ndarray | None, ranked: list[int], n: int
    ) -> list[int]:
        """Up to n long-tail titles the viewer's scores still favour, best first, not already ranked.

        `best` is a best-first prefix of the pool (or None): when it holds n such titles they are the pool's
        best n, because every title after the prefix scores lower (or equal with a higher index)."""
        if n == 0:
            return []
        if best is not None:
            picks = _without(best[self.long_tail[best]], ranked)[:n]
            if len(picks) == n:
                return [int(i) for i in picks]
        tail = _without(pool[self.long_tail[pool]], ranked)
        return [int(i) for i in tail[top_k(scores[tail], n)]]

    def _popular_item(
        self, idx: int, share: float, source: str, constraints: Constraints
    ) -> RecommendedItem | None:
        contributions = (Contribution("popularity", source, float(share)),) if share > 0 else ()
        return self._explained(idx, share, contributions, constraints, exploration=False)

    def _explained(
        self,
        idx: int,
        score: float,
        contributions: tuple[Contribution, ...],
        constraints: Constraints,
        exploration: bool,
    ) -> RecommendedItem | None:
        inputs = ReasonInputs(
            title_of=self.title_of,
            like_item=constraints.like_item,
            matched_tags=self.catalog.matched_tags(idx, constraints),
            exploration=exploration,
        )
        try:
            reason = reason_text(contributions, inputs)
        except ValueError:
            # A title nothing speaks for is not shown: better one title fewer than an unfounded reason.
            logger.debug("dropped %s: no positive contribution explains it", self.item_ids[idx])
            return None
        return RecommendedItem(str(self.item_ids[idx]), float(score), reason, contributions, exploration)

    def title_of(self, item_id: str) -> str:
        idx = self.catalog.item_index.get(item_id)
        title = self.catalog.items.titles[idx].title if idx is not None else ""
        return title or item_id


def _without(pool: np.ndarray, chosen: list[int]) -> np.ndarray:
    """`pool` without the titles in `chosen` (a handful), in pool order."""
    if not chosen:
        return pool
    # A lookup table over the pool's range: np.isin's default compares the pool with each chosen title in turn.
    return pool[~np.isin(pool, chosen, kind="table")]


def mmr(
    relevance: np.ndarray,
    pool: np.ndarray,
    features: np.ndarray | sp.csr_matrix,
    n: int,
    diversity: float,
    selected: list[int],
) -> list[int]:
    """Maximal marginal relevance: repeatedly take argmax (1 - d) * rel - d * max similarity to the chosen.

    Relevance is rescaled to [0, 1] over the pool so `diversity` means the same for every model's score scale.
    Similarity is the cosine of L2-normalised feature rows (a dense array, or a sparse matrix when wide).
    """
    rel = relevance[pool].astype(np.float64)
    low, high = rel.min(), rel.max()
    rel = (rel - low) / (high - low) if high > low else np.ones_like(rel)
    block = features[pool]
    earlier = features[np.asarray(selected, dtype=np.int64)]
    if isinstance(features, np.ndarray):
        similarity, to_earlier = block @ block.T, block @ earlier.T
    else:
        similarity, to_earlier = (block @ block.T).toarray(), (block @ earlier.T).toarray()
    max_similarity = to_earlier.max(axis=1) if selected else np.zeros(len(pool))
    taken = np.zeros(len(pool), dtype=bool)
    chosen: list[int] = []
    for _ in range(min(n, len(pool))):
        value = (1.0 - diversity) * rel - diversity * max_similarity
        value[taken] = -np.inf
        best = int(np.argmax(value))
        taken[best] = True
        chosen.append(int(pool[best]))
        np.maximum(max_similarity, similarity[best], out=max_similarity)
    return chosen


_RANKERS: weakref.WeakKeyDictionary[Recommender, tuple[int, Ranker]] = weakref.WeakKeyDictionary()


def ranker_for(model: Recommender, items: ItemMetadata | None = None) -> Ranker:
    """The cached Ranker of `model`, rebuilt when the model has been refitted or other metadata is given."""
    key = id(model.data) if items is None else hash((id(model.data), id(items)))
    cached = _RANKERS.get(model)
    if cached is None or cached[0] != key:
        cached = (key, Ranker(model, items))
        _RANKERS[model] = cached
    return cached[1]


def recommend(
    model: Recommender,
    user_or_history: str | sp.spmatrix | np.ndarray,
    k: int = 20,
    profile: ProfileContext | None = None,
    constraints: Constraints | None = None,
    diversity: float = DEFAULT_DIVERSITY,
    exploration: float = DEFAULT_EXPLORATION,
    items: ItemMetadata | None = None,
) -> RecommendationResult:
    """Top-k titles for a user id or a history row; see the module docstring for the steps."""
    return ranker_for(model, items).recommend(
        user_or_history, k, profile, constraints, diversity, exploration
    )


def feedback(model: Recommender, history: sp.csr_matrix, item_id: str, kind: str) -> sp.csr_matrix:
    """Fold one thumbs-up ("up"), "love", thumbs-down ("down") or "watched" into a history row."""
    return ranker_for(model).feedback(history, item_id, kind)
