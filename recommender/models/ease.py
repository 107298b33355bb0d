"""EASE^R (Steck, 2019): a closed-form item-item linear model.

  G = X^T X + lambda I,   P = G^-1,   B = -P / diag(P) (column-wise),   diag(B) = 0
A history h is scored by s = h B; history item i contributes h_i * B[i, j] to candidate j, which is what
`explain` reports, and those contributions sum to the score.

B is dense, n_items x n_items. The Gram matrix is built a block of columns at a time and inverted in place in
float32 by Cholesky (LAPACK potrf/potri), so fitting needs little more than the n_items^2 * 4 bytes kept.
Up to `max_dense_items` (default 12,000: 0.58 GB) the whole catalog is modelled. Above it the model refuses
by default with an error that says what to do, because an n^3 inverse of a larger catalog would take minutes
and gigabytes; with
`too_large="popular"` it instead models only the `max_dense_items` titles with the most interactions and
scores every other title 0 (use item_knn, which is sparse, to cover the long tail).

The default regularization was chosen on MovieTweetings 100k (positives = rating >= 7, 80/20 random split per
user, seed 0; 7,518 titles): NDCG@10 0.143 at lambda 50, 0.144 at 200, 0.141 at 500, 0.139 at 1000 (catalog
coverage of the top 20: 32%, 28%, 28%, 28%); the fit took 30-100 s on 2 busy cores at that size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.linalg.lapack as lapack
import scipy.sparse as sp

from recommender.dataset import Interactions, ItemMetadata
from recommender.models.base import (
    Contribution,
    Recommender,
    ScoringContext,
    as_history,
    largest_contributions,
    single_threaded_blas,
    top_k,
)


class CatalogTooLargeError(ValueError):
    pass


BLOCK = 1024


def dense_gram(columns: sp.csc_matrix) -> np.ndarray:
    """X^T X as a dense float32 matrix, built a block of columns at a time so the sparse product never holds
    all n^2 entries at once (as data plus indices it would take three times the dense matrix)."""
    n_items = columns.shape[1]
    gram = np.empty((n_items, n_items), dtype=np.float32, order="F")
    transposed = columns.T.tocsr()
    for start in range(0, n_items, BLOCK):
        stop = min(start + BLOCK, n_items)
        gram[:, start:stop] = (transposed @ columns[:, start:stop]).toarray()
    return gram


def ease_weights(gram: np.ndarray, regularization: float) -> np.ndarray:
    """B from a dense Gram matrix X^T X, computed in place (pass a float32 Fortran-ordered array to avoid the
    copies LAPACK would otherwise make)."""
    gram = np.asfortranarray(gram, dtype=np.float32)
    n_items = gram.shape[0]
    diagonal = np.arange(n_items)
    gram[diagonal, diagonal] += regularization
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (gram,))
    factor, info = potrf(gram, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE Gram matrix is not positive definite (potrf info={info})")
    inverse, info = potri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE inverse failed (potri info={info})")
    # potri fills the upper triangle only; mirror it a block at a time rather than through n^2 temporaries.
    for start in range(0, n_items, BLOCK):
        stop = min(start + BLOCK, n_items)
        inverse[start:stop, :start] = inverse[:start, start:stop].T
        square = inverse[start:stop, start:stop]
        square[:] = np.triu(square) + np.triu(square, 1).T
    # P is symmetric, so its transpose is the same matrix in C order: rows of B (what scoring reads) are then
    # contiguous, without copying n^2 floats.
    weights = inverse.T
    weights /= -np.diag(weights).copy()[np.newaxis, :]
    weights[diagonal, diagonal] = 0.0
    return weights


class EASERecommender(Recommender):
    name = "ease"

    def __init__(
        self, regularization: float = 200.0, max_dense_items: int = 12_000, too_large: str = "error"
    ):
        super().__init__()
        if regularization <= 0:
            raise ValueError(f"regularization must be positive, got {regularization}")
        if too_large not in ("error", "popular"):
            raise ValueError(f"too_large must be 'error' or 'popular', got {too_large!r}")
        self.regularization = regularization
        self.max_dense_items = max_dense_items
        self.too_large = too_large
        # `modelled` maps model rows/columns to catalog item indices (all items unless too_large="popular").
        self.modelled = np.empty(0, dtype=np.int64)
        self.position = np.empty(0, dtype=np.int64)
        self.weights = np.empty((0, 0), dtype=np.float32)

    @property
    def params(self) -> dict[str, Any]:
        return {
            "regularization": self.regularization,
            "max_dense_items": self.max_dense_items,
            "too_large": self.too_large,
        }

    def _fit(self, interactions: Interactions, items: ItemMetadata | None) -> None:
        positive = interactions.matrix.maximum(0).tocsc().astype(np.float32)
        n_items = interactions.n_items
        if n_items > self.max_dense_items:
            if self.too_large == "error":
                gigabytes = n_items**2 * 4 / 1e9
                raise CatalogTooLargeError(
                    f"EASE needs a dense {n_items} x {n_items} matrix (~{gigabytes:.1f} GB), above "
                    f"max_dense_items={self.max_dense_items}. Use item_knn for this catalog, raise max_dense_items "
                    "if the memory is there, or pass too_large='popular' to model only the most-watched titles"
                )
            counts = np.diff(positive.indptr)
            modelled = np.sort(top_k(counts.astype(np.float64), self.max_dense_items))
        else:
            modelled = np.arange(n_items)
        self._set_modelled(modelled, n_items)
        self.weights = ease_weights(dense_gram(positive[:, modelled]), self.regularization)

    def _set_modelled(self, modelled: np.ndarray, n_items: int) -> None:
        self.modelled = modelled.astype(np.int64)
        self.position = np.full(n_items, -1, dtype=np.int64)
        self.position[self.modelled] = np.arange(len(self.modelled))

    def _history_rows(self, history: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Model rows, weights and catalog indices of the history items the model covers."""
        rows = self.position[history.indices]
        covered = rows >= 0
        return rows[covered], history.data[covered], history.indices[covered]

    def score_history(self, history: sp.csr_matrix, context: ScoringContext | None = None) -> np.ndarray:
        history = as_history(history, self.data.n_items)
        rows, weights, _ = self._history_rows(history)
        with single_threaded_blas():
            modelled_scores = weights @ self.weights[rows] if len(rows) else 0.0
        if len(self.modelled) == self.data.n_items:
            return np.asarray(modelled_scores + np.zeros(self.data.n_items, np.float32), dtype=np.float32)
        scores = np.zeros(self.data.n_items, dtype=np.float32)
        scores[self.modelled] = modelled_scores
        return scores

    def similar_items(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        row = self.position[self.item_idx(item_id)]
        if row < 0:
            return []
        scores = np.full(self.data.n_items, -np.inf, dtype=np.float32)
        scores[self.modelled] = self.weights[row]
        scores[self.modelled[row]] = -np.inf
        scores[scores <= 0] = -np.inf
        return [(str(self.data.item_ids[i]), float(scores[i])) for i in top_k(scores, k)]

    def explain_items(
        self,
        history_row: sp.csr_matrix,
        item_indices: Sequence[int],
        top: int = 3,
        context: ScoringContext | None = None,
    ) -> list[list[Contribution]]:
        history = as_history(history_row, self.data.n_items)
        columns = self.position[np.asarray(item_indices, dtype=np.int64)]
        rows, weights, catalog = self._history_rows(history)
        # Titles outside the modelled set score 0 and have nothing to explain.
        parts = weights[:, np.newaxis] * self.weights[np.ix_(rows, np.maximum(columns, 0))]
        parts[:, columns < 0] = 0.0
        sources = self.data.item_ids[catalog]
        return largest_contributions("item", sources, parts, top)

    def _get_model_state(self) -> dict[str, np.ndarray]:
        return {"modelled": self.modelled, "weights": self.weights}

    def _set_model_state(self, state: Mapping[str, np.ndarray]) -> None:
        self._set_modelled(state["modelled"], self.data.n_items)
        self.weights = state["weights"]
