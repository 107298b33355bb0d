"""Popularity: how many viewers liked a title, globally, per region, and "trending" with time decay.

Counts are distinct users with a positive weight on the title (a thumbs-down is not popularity). The trending
count weighs each user's latest event by 2^(-age / half_life), with age measured from the newest event in the
training data; measuring from "now" instead would multiply every title's score by the same factor, so the
ranking is the same.

Per region, a region's counts are shrunk toward the global share, so a region with few viewers falls back to
global taste: share_r(i) = (count_r(i) + region_prior * share(i)) / (users_r + region_prior).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.dataset import Interactions, ItemMetadata
from recommender.models.base import Contribution, Recommender, ScoringContext, as_history, top_k

SECONDS_PER_DAY = 86_400.0


class PopularityRecommender(Recommender):
    """Scores every history the same way: the popularity share of each title in the viewer's region (if known).

    `mode` "global" counts all positive events; "trending" decays them with `half_life_days`.
    """

    name = "popularity"

    def __init__(
        self, mode: str = "global", half_life_days: float = 14.0, region_prior: float = 20.0
    ) -> None:
        super().__init__()
        if mode not in ("global", "trending"):
            raise ValueError(f"mode must be 'global' or 'trending', got {mode!r}")
        if half_life_days <= 0:
            raise ValueError(f"half_life_days must be positive, got {half_life_days}")
        if region_prior < 0:
            raise ValueError(f"region_prior must be >= 0, got {region_prior}")
        self.mode = mode
        self.half_life_days = half_life_days
        self.region_prior = region_prior
        self.global_share = np.empty(0, dtype=np.float32)
        self.region_codes = np.empty(0, dtype="<U1")
        self.region_counts = sp.csr_matrix((0, 0), dtype=np.float32)
        self.region_users = np.empty(0, dtype=np.float32)
        self._region_scores: dict[int, np.ndarray] = {}

    @property
    def params(self) -> dict[str, Any]:
        return {"mode": self.mode, "half_life_days": self.half_life_days, "region_prior": self.region_prior}

    def _fit(self, interactions: Interactions, items: ItemMetadata | None) -> None:
        liked = interactions.matrix > 0
        weights = sp.csr_matrix(liked, dtype=np.float32)
        if self.mode == "trending":
            if interactions.timestamps is None:
                raise ValueError(
                    "trending popularity needs event timestamps; build Interactions with timestamps="
                )
            weights = self._decayed(interactions, weights)
        n_users = max(interactions.n_users, 1)
        self.global_share = (np.asarray(weights.sum(axis=0)).ravel() / n_users).astype(np.float32)

        # Region x user indicator; multiplying it by the weights sums each region's users per title.
        regions = interactions.user_region
        known = regions != ""
        self.region_codes, region_of_user = np.unique(regions[known], return_inverse=True)
        indicator = sp.csr_matrix(
            (np.ones(int(known.sum()), dtype=np.float32), (region_of_user, np.flatnonzero(known))),
            shape=(len(self.region_codes), interactions.n_users),
        )
        self.region_counts = (indicator @ weights).tocsr().astype(np.float32)
        self.region_users = np.asarray(indicator.sum(axis=1)).ravel().astype(np.float32)
        self._region_scores = {}

    def _decayed(self, interactions: Interactions, liked: sp.csr_matrix) -> sp.csr_matrix:
        times = interactions.timestamps
        assert times is not None
        newest = float(times.data.max()) if times.nnz else 0.0
        # liked and times share the weight matrix's sparsity pattern except for non-positive cells, which
        # multiply() drops, so the decay lines up cell by cell.
        decay = times.copy()
        decay.data = np.exp2(-(newest - decay.data) / (self.half_life_days * SECONDS_PER_DAY))
        return sp.csr_matrix(liked.multiply(decay), dtype=np.float32)

    def score_region(self, region: str | None) -> np.ndarray:
        """Popularity share per title in `region`; the global share when the region is unknown or not given.

        A fresh array each time (callers may change it), copied from one computed once per region: every
        recommendation asks for it several times."""
        row = self._region_row(region)
        if row is None:
            return self.global_share.copy()
        cached = self._region_scores.get(row)
        if cached is None:
            counts = np.asarray(self.region_counts[row].todense()).ravel()
            shrunk = (counts + self.region_prior * self.global_share) / (
                self.region_users[row] + self.region_prior
            )
            cached = self._region_scores[row] = shrunk.astype(np.float32)
        return cached.copy()

    def _region_row(self, region: str | None) -> int | None:
        if not region:
            return None
        row = int(np.searchsorted(self.region_codes, region.upper()))
        if row < len(self.region_codes) and self.region_codes[row] == region.upper():
            return row
        return None

    def score_history(self, history: sp.csr_matrix, context: ScoringContext | None = None) -> np.ndarray:
        as_history(history, self.data.n_items)
        return self.score_region(context.region if context else None)

    def source(self, context: ScoringContext | None = None) -> str:
        """The popularity source label used in contributions, e.g. "trending:US" or "global"."""
        region = context.region if context else None
        if self._region_row(region) is None:
            return self.mode
        return f"{self.mode}:{region.upper()}"  # type: ignore[union-attr]

    def similar_items(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        """Popularity knows nothing about similarity; it answers with the most popular other titles."""
        excluded = self.item_idx(item_id)
        scores = self.global_share.copy()
        scores[excluded] = -np.inf
        return [(str(self.data.item_ids[i]), float(scores[i])) for i in top_k(scores, k)]

    def explain_items(
        self,
        history_row: sp.csr_matrix,
        item_indices: Sequence[int],
        top: int = 3,
        context: ScoringContext | None = None,
    ) -> list[list[Contribution]]:
        scores = self.score_history(history_row, context)
        source = self.source(context)
        return [[Contribution("popularity", source, float(scores[i]))][:top] for i in item_indices]

    def _get_model_state(self) -> dict[str, np.ndarray]:
        return {
            "global_share": self.global_share,
            "region_codes": self.region_codes,
            "region_users": self.region_users,
            "region_counts_data": self.region_counts.data,
            "region_counts_indices": self.region_counts.indices,
            "region_counts_indptr": self.region_counts.indptr,
        }

    def _set_model_state(self, state: Mapping[str, np.ndarray]) -> None:
        self.global_share = state["global_share"]
        self.region_codes = state["region_codes"]
        self.region_users = state["region_users"]
        self.region_counts = sp.csr_matrix(
            (state["region_counts_data"], state["region_counts_indices"], state["region_counts_indptr"]),
            shape=(len(self.region_codes), len(self.global_share)),
        )
        self._region_scores = {}
