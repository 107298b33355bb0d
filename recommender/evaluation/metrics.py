"""Offline ranking metrics over top-k recommendation lists.

Every function takes ``recs``: an ``(n_users, k)`` integer array of item indices, best first, padded
with ``-1`` when a user received fewer than ``k`` items. Relevance is binary: an item is relevant to a
user when it appears in that user's row of the held-out ``test`` matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _hits(recs: np.ndarray, test: sp.csr_matrix) -> np.ndarray:
    """Boolean ``(n_users, k)``: whether each recommended item is in the user's test set."""
    hits = np.zeros(recs.shape, dtype=bool)
    for row in range(recs.shape[0]):
        relevant = test.indices[test.indptr[row] : test.indptr[row + 1]]
        if relevant.size:
            hits[row] = np.isin(recs[row], relevant) & (recs[row] >= 0)
    return hits


def recall_at_k(recs: np.ndarray, test: sp.csr_matrix, k: int) -> float:
    """Mean over users with test items of hits@k / min(k, |test items|).

    Dividing by ``min(k, |test|)`` keeps a perfect ranking at 1.0 for users with more than ``k`` held-out
    items, so the metric is comparable across users with long and short histories.
    """
    n_relevant = np.diff(test.indptr)
    users = n_relevant > 0
    if not users.any():
        return 0.0
    hits = _hits(recs[:, :k], test).sum(axis=1)
    return float(np.mean(hits[users] / np.minimum(k, n_relevant[users])))


def ndcg_at_k(recs: np.ndarray, test: sp.csr_matrix, k: int) -> float:
    """Mean binary-relevance NDCG@k over users with test items."""
    n_relevant = np.diff(test.indptr)
    users = n_relevant > 0
    if not users.any():
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (_hits(recs[:, :k], test) * discounts[: recs[:, :k].shape[1]]).sum(axis=1)
    ideal_cum = np.concatenate([[0.0], np.cumsum(discounts)])
    idcg = ideal_cum[np.minimum(k, n_relevant)]
    return float(np.mean(dcg[users] / idcg[users]))


def catalog_coverage(recs: np.ndarray, n_items: int) -> float:
    """Fraction of the catalogue that appears in at least one user's list."""
    if n_items == 0:
        return 0.0
    return float(np.unique(recs[recs >= 0]).size / n_items)


def novelty(recs: np.ndarray, item_user_counts: np.ndarray, n_users: int) -> float:
    """Mean self-information ``-log2(p(i))`` of recommended items, ``p(i)`` = share of users with item i.

    Items nobody interacted with get a count of one (Laplace) so the value stays finite.
    """
    valid = recs[recs >= 0]
    if valid.size == 0 or n_users == 0:
        return 0.0
    counts = np.maximum(np.asarray(item_user_counts, dtype=np.float64)[valid], 1.0)
    return float(np.mean(-np.log2(counts / n_users)))


def intra_list_diversity(recs: np.ndarray, item_features: sp.csr_matrix) -> float:
    """Mean over lists of 1 - mean pairwise cosine similarity of the listed items' feature rows.

    ``item_features`` is ``n_items x n_features`` (genres, embeddings or interaction columns). Items
    with an all-zero feature row count as dissimilar to everything. Lists shorter than two items are
    skipped because diversity is undefined for them.
    """
    features = sp.csr_matrix(item_features, dtype=np.float64)
    norms = np.sqrt(np.asarray(features.multiply(features).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    normalized = sp.diags(1.0 / norms) @ features
    values = []
    for row in recs:
        items = row[row >= 0]
        n = items.size
        if n < 2:
            continue
        block = normalized[items]
        sims = (block @ block.T).toarray()
        mean_pair = (sims.sum() - np.trace(sims)) / (n * (n - 1))
        values.append(1.0 - mean_pair)
    return float(np.mean(values)) if values else 0.0
