"""Contemporary popularity: what was popular at the time the viewer was choosing.

Events are binned into periods of `period_days`. For every title, C[i, t] counts the viewers with a positive
event on it in period t. A viewer's activity is a distribution a over periods; a period t' speaks for period t
with weight K(t, t') = exp(-|t - t'| / smoothing_periods), so
    score(j) = sum_t (a K)[t] * C[j, t] / n_users
is the popularity of title j around the viewer's own time.

Which time is the viewer's:
  * a history whose context names a training user (`ScoringContext.user_id`, which `score_user` and the
    ranking layer set for a user id): the periods of their own training events, explained as source
    "contemporary" ("popular around the times you watch");
  * any other history (a new viewer, or a row without a user id): the newest period in the data, i.e. now
    for a model trained on current data, which makes this plain "trending" (source "trending").
On historical data, where every viewer chose at a different moment, this is what "popular when they were
choosing" means; streaming catalogs change weekly, so it carries signal a time-free model lacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.dataset import Interactions, ItemMetadata
from recommender.models.base import Contribution, Recommender, ScoringContext, as_history, top_k

SECONDS_PER_DAY = 86_400.0


def _cell_values(matrix: sp.csr_matrix, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """matrix[rows[k], columns[k]] for every k, by sorted-key lookup (fancy indexing is slow at this size)."""
    own_rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    keys = own_rows * matrix.shape[1] + matrix.indices
    order = np.argsort(keys, kind="stable")
    wanted = rows.astype(np.int64) * matrix.shape[1] + columns
    found = np.searchsorted(keys[order], wanted)
    found = np.minimum(found, len(keys) - 1)
    hit = keys[order][found] == wanted if len(keys) else np.zeros(len(wanted), dtype=bool)
    if not hit.all():
        raise ValueError(f"{int((~hit).sum())} interactions have no timestamp; give every event a time")
    return matrix.data[order][found].astype(np.float64)


class ContemporaryPopularityRecommender(Recommender):
    name = "contemporary"

    def __init__(self, period_days: float = 7.0, smoothing_periods: float = 2.0) -> None:
        super().__init__()
        if period_days <= 0:
            raise ValueError(f"period_days must be positive, got {period_days}")
        if smoothing_periods <= 0:
            raise ValueError(f"smoothing_periods must be positive, got {smoothing_periods}")
        self.period_days = period_days
        self.smoothing_periods = smoothing_periods
        self.period_counts = np.empty((0, 0), dtype=np.float32)  # periods x items, smoothed by K
        self.user_periods = sp.csr_matrix((0, 0), dtype=np.float32)  # users x periods, rows sum to 1

    @property
    def params(self) -> dict[str, Any]:
        return {"period_days": self.period_days, "smoothing_periods": self.smoothing_periods}

    def _fit(self, interactions: Interactions, items: ItemMetadata | None) -> None:
        if interactions.timestamps is None:
            raise ValueError(
                "contemporary popularity needs event timestamps; build Interactions with timestamps= "
                "or leave this model out"
            )
        times = interactions.timestamps.tocsr()
        positive = interactions.matrix.tocsr()
        # Only positive events count; look their times up cell by cell (the two matrices may differ in layout).
        liked = positive.multiply(positive > 0).tocsr()
        liked.eliminate_zeros()
        rows = np.repeat(np.arange(liked.shape[0]), np.diff(liked.indptr))
        cell_times = _cell_values(times, rows, liked.indices)
        start = float(cell_times.min()) if cell_times.size else 0.0
        period = ((cell_times - start) // (self.period_days * SECONDS_PER_DAY)).astype(np.int64)
        n_periods = int(period.max()) + 1 if period.size else 1
        counts = sp.csr_matrix(
            (np.ones(len(period), dtype=np.float32), (period, liked.indices)),
            shape=(n_periods, interactions.n_items),
        ).toarray()
        steps = np.arange(n_periods)
        kernel = np.exp(-np.abs(steps[:, None] - steps[None, :]) / self.smoothing_periods).astype(np.float32)
        self.period_counts = (kernel @ counts) / max(interactions.n_users, 1)
        user_periods = sp.csr_matrix(
            (np.ones(len(period), dtype=np.float32), (rows, period)), shape=(interactions.n_users, n_periods)
        )
        totals = np.maximum(np.asarray(user_periods.sum(axis=1)).ravel(), 1.0)
        self.user_periods = sp.csr_matrix(sp.diags(1.0 / totals) @ user_periods, dtype=np.float32)

    def _own_periods(self, context: ScoringContext | None) -> sp.csr_matrix | None:
        """The activity row of the training user the context names, or None (then: the newest period)."""
        row = self.data.user_index.get(context.user_id) if context and context.user_id else None
        if row is None or self.user_periods[row].nnz == 0:
            return None
        return self.user_periods[row]

    def score_history(self, history: sp.csr_matrix, context: ScoringContext | None = None) -> np.ndarray:
        as_history(history, self.data.n_items)
        periods = self._own_periods(context)
        if periods is None:
            return self.period_counts[-1].copy()
        return np.asarray(periods @ self.period_counts, dtype=np.float32).ravel()

    def similar_items(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        """Titles whose popularity rose and fell at the same times (cosine of their period profiles)."""
        index = self.item_idx(item_id)
        profiles = self.period_counts.T
        norms = np.linalg.norm(profiles, axis=1) + 1e-12
        scores = (profiles @ profiles[index]) / (norms * norms[index])
        scores[index] = -np.inf
        return [(str(self.data.item_ids[i]), float(scores[i])) for i in top_k(scores, k)]

    def explain_items(
        self,
        history_row: sp.csr_matrix,
        item_indices: Sequence[int],
        top: int = 3,
        context: ScoringContext | None = None,
    ) -> list[list[Contribution]]:
        scores = self.score_history(history_row, context)
        source = "trending" if self._own_periods(context) is None else "contemporary"
        return [
            [Contribution("popularity", source, float(scores[i]))][:top] if scores[i] else []
            for i in item_indices
        ]

    def _get_model_state(self) -> dict[str, np.ndarray]:
        return {
            "period_counts": self.period_counts,
            "user_periods_data": self.user_periods.data,
            "user_periods_indices": self.user_periods.indices,
            "user_periods_indptr": self.user_periods.indptr,
        }

    def _set_model_state(self, state: Mapping[str, np.ndarray]) -> None:
        self.period_counts = state["period_counts"]
        self.user_periods = sp.csr_matrix(
            (state["user_periods_data"], state["user_periods_indices"], state["user_periods_indptr"]),
            shape=(len(self.data.user_ids), self.period_counts.shape[0]),
        )
