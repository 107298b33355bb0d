"""Per-user random hold-out split of positive interactions, reproducible through a fixed seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.dataset import Interactions

DEFAULT_SEED = 20240607
DEFAULT_TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Split:
    """`train` keeps the original user and item order, so row u of `test` is user `train.user_ids[u]`."""

    train: Interactions
    test: sp.csr_matrix

    @property
    def test_users(self) -> np.ndarray:
        """Row indices of users with at least one held-out item."""
        return np.flatnonzero(np.diff(self.test.indptr) > 0)


def split_per_user(
    interactions: Interactions,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = DEFAULT_SEED,
) -> Split:
    """Hold out ``test_fraction`` of each user's positive (weight > 0) interactions at random.

    A user with n >= 2 positives gives ``max(1, round(test_fraction * n))`` of them to the test set and
    keeps the rest; a user with a single positive keeps it in training (there would be nothing left to
    learn that user's taste from). Negative feedback always stays in training.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction}")
    matrix = interactions.matrix.tocsr()
    matrix.sort_indices()
    rng = np.random.default_rng(seed)

    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    positive = matrix.data > 0
    n_positive = np.bincount(rows[positive], minlength=matrix.shape[0])
    n_test = np.where(n_positive >= 2, np.maximum(1, np.rint(test_fraction * n_positive)), 0).astype(np.int64)
    n_test = np.minimum(n_test, n_positive - 1).clip(min=0)

    # Random rank of each positive within its row: sort by (row, random key) and count from each row's start.
    keys = rng.random(matrix.nnz)
    keys[~positive] = np.inf  # negatives sort last and are never drawn
    order = np.lexsort((keys, rows))
    row_start = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=matrix.shape[0]))])[:-1]
    rank = np.empty(matrix.nnz, dtype=np.int64)
    rank[order] = np.arange(matrix.nnz) - row_start[rows[order]]
    held_out = positive & (rank < n_test[rows])

    test = _masked(matrix, held_out)
    train_matrix = _masked(matrix, ~held_out)
    train_times = None
    if interactions.timestamps is not None:
        # The time matrix need not share the weight matrix's stored-entry order, so mask it by position.
        times = interactions.timestamps.tocsr()
        train_times = _masked(times, ~np.isin(_cell_keys(times), _cell_keys(test)))
    train = Interactions(
        interactions.user_ids,
        interactions.item_ids,
        train_matrix,
        train_times,
        interactions.user_region,
    )
    return Split(train=train, test=test)


def _cell_keys(matrix: sp.csr_matrix) -> np.ndarray:
    """One int64 key per stored entry, row * n_columns + column."""
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return rows * matrix.shape[1] + matrix.indices


def _masked(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """Copy of ``matrix`` keeping only the stored entries where ``keep`` is True (same entry order)."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return sp.csr_matrix(
        (matrix.data[keep], (rows[keep], matrix.indices[keep])), shape=matrix.shape, dtype=matrix.dtype
    )
