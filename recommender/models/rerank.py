"""The hybrid's second stage: a linear re-ranker of the bases' pooled candidates, learned by logistic regression.

For a history h of length n (positive and negative entries) and a candidate title j, with l = log(1 + n) - c
(c: the mean over the validation users, so coefficients are read at a typical history):
  s_b(j)   base b's score divided by its largest score for h (each base on a 0..1 scale);
  r_b(j)   1 / log2(2 + position of j in base b's top `depth`), 0 outside it or for a score <= 0;
  p(j)     log(1 + viewers of j) / log(1 + viewers of the most-watched title).
  score(j) = sum_b (a_b + a'_b l) s_b(j) + sum_b (q_b + q'_b l) r_b(j) + (v + v' l) p(j)
The l terms let the weight of each base depend on how much is known about the viewer (co-occurrence models
need a history, popularity does not); the rank terms let a base's top positions count more than its raw
score says. Each (a, a', q, q', v, v') is learned by L2-regularised logistic regression on the pooled candidates
of the validation users, label = the title is one of the user's held-out titles. Features are standardised
for the fit (so one `l2` suits them all) and the coefficients are mapped back to the raw features.

Measured on MovieTweetings 100k (ratings >= 7; bases fitted on the inner 80% of the benchmark's training part,
coefficients learned on its held-out 20%, then applied to the bases refitted on the whole training part and
scored on the benchmark's test items; a scratch experiment on the pools, 2026-11-30), NDCG@10:
  the bases' scores alone (a_b only)                      0.1267 (the best single base, EASE: 0.1267)
  + history-length terms                                  0.1258
  + popularity terms                                      0.1315
  + rank terms (all of the above)                         0.1349, but catalog coverage of the top 20: 6%
Logistic regression learns that popular titles are held out more often, and the lists narrow to the head of
the catalog; `popularity_penalty` (subtracted from v, chosen on the validation users, see the hybrid) trades
that back while the coverage stays at or above the strongest base's. The hybrid so fitted (l2 0.01, penalty
1.0 chosen) scored NDCG@10 0.1333 with coverage 0.689, against EASE (lambda 500) 0.1267 / 0.481, in the same
evaluation (2026-11-30, `evaluate` on the benchmark's split). In the scratch experiment l2 0.001 and 0.1 did
worse than 0.01 at the same coverage (0.1306 and 0.1339 against 0.1365).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.optimize import minimize

# Per-base feature columns, in order, then the two popularity columns.
BASE_FEATURES = ("score", "score_by_length", "rank", "rank_by_length")
POPULARITY_FEATURES = ("popularity", "popularity_by_length")
DEFAULT_L2 = 0.01


def log_length(n_entries: int | np.ndarray, centre: float) -> np.ndarray:
    """l = log(1 + history length) - centre."""
    return np.log1p(np.asarray(n_entries, dtype=np.float64)) - centre


def log_popularity(item_viewers: np.ndarray) -> np.ndarray:
    """p(j) for every title: log viewer counts scaled to 0..1."""
    logs = np.log1p(np.asarray(item_viewers, dtype=np.float64))
    peak = float(logs.max()) if logs.size else 0.0
    return (logs / peak if peak > 0 else logs).astype(np.float32)


def rank_positions(scores: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """The titles of a base's top `depth` with a positive score, and their rank feature 1/log2(2 + position).
    `scores` already has the history's own titles at -inf."""
    # Only positive scores can rank, and partitioning just those is also much faster: a neighbourhood model
    # scores most of the catalog exactly 0, and numpy's argpartition over 20,000 values of which 19,000 tie
    # took 2.7 ms against 0.2 ms for distinct values. Ties are broken by the lower index, as in `top_k`.
    top = np.flatnonzero(scores > 0)
    if len(top) > depth > 0:
        top = top[np.argpartition(scores[top], len(top) - depth)[len(top) - depth :]]
    elif depth <= 0:
        top = top[:0]
    top = top[np.lexsort((top, -scores[top]))]
    return top, (1.0 / np.log2(np.arange(2, len(top) + 2))).astype(np.float32)


def features(scores: np.ndarray, ranks: np.ndarray, popularity: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The feature matrix (..., 4 * n_bases + 2) from normalised scores and rank features (..., n_bases),
    popularity (...) and centred log history lengths (broadcastable to popularity)."""
    length = np.asarray(length, dtype=np.float32)[..., np.newaxis]
    popularity = popularity[..., np.newaxis]
    return np.concatenate(
        [scores, scores * length, ranks, ranks * length, popularity, popularity * length], axis=-1
    ).astype(np.float32)


class LinearReranker:
    """The learned coefficients, and the per-history weights they give each base, rank and popularity term."""

    def __init__(self, n_bases: int, coefficients: np.ndarray | None = None, length_centre: float = 0.0):
        width = len(BASE_FEATURES) * n_bases + len(POPULARITY_FEATURES)
        self.n_bases = n_bases
        self.coefficients = (
            np.zeros(width, dtype=np.float64)
            if coefficients is None
            else np.asarray(coefficients, np.float64)
        )
        if self.coefficients.shape != (width,):
            raise ValueError(f"{n_bases} bases need {width} coefficients, got {self.coefficients.shape}")
        self.length_centre = float(length_centre)

    def fit(self, x: np.ndarray, labels: np.ndarray, weights: np.ndarray, l2: float = DEFAULT_L2) -> None:
        """L2-regularised weighted logistic regression (L-BFGS) on standardised features; the intercept is fitted
        but not kept, since it cannot change a ranking."""
        x = np.asarray(x, dtype=np.float32)
        mean = x.mean(axis=0, dtype=np.float64)
        spread = x.std(axis=0, dtype=np.float64)
        spread[spread == 0] = 1.0
        z = ((x - mean.astype(np.float32)) / spread.astype(np.float32)).astype(np.float32)
        y = np.asarray(labels, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64) / np.mean(weights)
        n = len(y)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            margin = z @ theta[:-1].astype(np.float32) + theta[-1]
            value = np.sum(w * (np.logaddexp(0.0, margin) - y * margin)) / n + l2 * theta[:-1] @ theta[:-1]
            residual = w * (0.5 * (1.0 + np.tanh(0.5 * margin)) - y) / n  # sigmoid without overflow
            gradient = np.append(z.T @ residual.astype(np.float32) + 2 * l2 * theta[:-1], residual.sum())
            return float(value), gradient.astype(np.float64)

        result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B")
        self.coefficients = result.x[:-1] / spread

    def _base_block(self) -> np.ndarray:
        return self.coefficients[: len(BASE_FEATURES) * self.n_bases].reshape(
            len(BASE_FEATURES), self.n_bases
        )

    def per_history(self, length: float) -> tuple[np.ndarray, np.ndarray, float]:
        """For one history's centred log length: each base's score weight, each base's rank weight, and the
        popularity weight."""
        block = self._base_block()
        score, rank = block[0] + block[1] * length, block[2] + block[3] * length
        popularity = self.coefficients[-2] + self.coefficients[-1] * length
        return score, rank, float(popularity)

    def penalised(self, popularity_penalty: float) -> LinearReranker:
        """The same re-ranker with `popularity_penalty` subtracted from the popularity weight."""
        coefficients = self.coefficients.copy()
        coefficients[-2] -= popularity_penalty
        return LinearReranker(self.n_bases, coefficients, self.length_centre)

    def used_bases(self) -> np.ndarray:
        """Positions of the bases with a non-zero coefficient; the others need not be fitted or scored."""
        return np.flatnonzero(np.any(self._base_block() != 0, axis=0))

    def restricted(self, bases: np.ndarray) -> LinearReranker:
        """The same re-ranker over the bases at `bases` only (the others' coefficients dropped)."""
        block = self._base_block()[:, bases]
        coefficients = np.concatenate([block.ravel(), self.coefficients[-len(POPULARITY_FEATURES) :]])
        return LinearReranker(len(bases), coefficients, self.length_centre)

    def score_weights(self) -> np.ndarray:
        """Each base's score weight at the typical history length (l = 0), for reports."""
        return self._base_block()[0].copy()

    def get_state(self) -> dict[str, np.ndarray]:
        return {"coefficients": self.coefficients, "length_centre": np.array(self.length_centre)}

    @classmethod
    def from_state(cls, n_bases: int, state: Mapping[str, np.ndarray]) -> LinearReranker:
        return cls(n_bases, state["coefficients"], float(state["length_centre"]))
