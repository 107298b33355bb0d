"""Fit several models on the same training split and score them side by side on the held-out items."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from recommender.dataset import Interactions, ItemMetadata
from recommender.evaluation.metrics import (
    catalog_coverage,
    intra_list_diversity,
    ndcg_at_k,
    novelty,
    recall_at_k,
)
from recommender.models.base import Recommender, ScoringContext, top_k

logger = logging.getLogger(__name__)

RECALL_K = 20
NDCG_K = 10
# Genres describe diversity the way a viewer sees it; they are used for ILD when at least this share of the
# catalogue has genres. Otherwise the item's audience (its column of the training matrix) stands in.
MIN_GENRE_COVERAGE = 0.5


@dataclass(frozen=True)
class EvaluationRow:
    model: str
    recall_at_20: float
    ndcg_at_10: float
    coverage: float
    novelty: float
    diversity: float
    fit_seconds: float
    users: int

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def similarity_features(train: Interactions, items: ItemMetadata | None) -> sp.csr_matrix:
    """Item feature rows used for intra-list diversity: genres when the catalogue has them, else audiences."""
    if items is not None:
        aligned = items.align(train.item_ids)
        has_genre = np.diff(aligned.genre_matrix.tocsr().indptr) > 0
        if aligned.genre_matrix.shape[1] and has_genre.mean() >= MIN_GENRE_COVERAGE:
            return aligned.genre_matrix.tocsr()
    positive = train.matrix.maximum(0)
    return sp.csr_matrix(positive.T)


def recommendation_lists(
    model: Recommender, train: Interactions, users: np.ndarray, k: int, progress: tqdm | None = None
) -> np.ndarray:
    """``(len(users), k)`` item indices per user, training items excluded, padded with -1."""
    lists = np.full((len(users), k), -1, dtype=np.int64)
    for position, user in enumerate(users):
        history = train.matrix[user]
        region = str(train.user_region[user]) or None
        # The ranking layer's call for a user id: their training row, with the user named in the context (so a
        # user-based model does not count them as their own neighbour).
        context = ScoringContext(region=region, user_id=str(train.user_ids[user]))
        scores = np.asarray(model.score_history(history, context), dtype=np.float64)
        if history.nnz:
            scores[history.indices] = -np.inf
        best = top_k(scores, k)
        lists[position, : len(best)] = best
        if progress is not None:
            progress.update(1)
    return lists


def evaluate(
    models: Mapping[str, Recommender],
    train: Interactions,
    test: sp.csr_matrix,
    items: ItemMetadata | None = None,
    *,
    show_progress: bool = False,
) -> list[EvaluationRow]:
    """Fit each model on ``train`` and measure it on ``test`` (rows aligned to ``train``'s users).

    ``models`` maps a table label (e.g. ``"item_knn bm25"``) to an unfitted model. Models are fitted here, so ``fit_seconds`` is measured the same way for every one of them. Users
    without held-out items are not scored.
    """
    if test.shape != train.matrix.shape:
        raise ValueError(f"test matrix shape {test.shape} does not match training shape {train.matrix.shape}")
    users = np.flatnonzero(np.diff(test.tocsr().indptr) > 0)
    test_rows = test.tocsr()[users]
    features = similarity_features(train, items)
    item_user_counts = np.bincount(train.matrix.maximum(0).tocsr().indices, minlength=train.n_items)
    k = max(RECALL_K, NDCG_K)

    rows: list[EvaluationRow] = []
    with tqdm(
        total=len(models) * len(users), desc="evaluating", unit="user", disable=not show_progress
    ) as progress:
        for label, model in models.items():
            progress.set_postfix_str(f"fitting {label}")
            started = time.perf_counter()
            model.fit(train, items)
            fit_seconds = time.perf_counter() - started
            progress.set_postfix_str(f"scoring {label}")
            lists = recommendation_lists(model, train, users, k, progress)
            row = EvaluationRow(
                model=label,
                recall_at_20=recall_at_k(lists, test_rows, RECALL_K),
                ndcg_at_10=ndcg_at_k(lists, test_rows, NDCG_K),
                coverage=catalog_coverage(lists, train.n_items),
                novelty=novelty(lists, item_user_counts, train.n_users),
                diversity=intra_list_diversity(lists, features),
                fit_seconds=fit_seconds,
                users=len(users),
            )
            logger.info(
                "evaluated %s on %d users: NDCG@10 %.4f, Recall@20 %.4f, coverage %.3f, fit %.1f s",
                label,
                len(users),
                row.ndcg_at_10,
                row.recall_at_20,
                row.coverage,
                fit_seconds,
            )
            rows.append(row)
    return rows


def format_table(rows: Iterable[EvaluationRow]) -> str:
    """A Markdown table, readable in a terminal and in bench/results/."""
    header = ["model", "Recall@20", "NDCG@10", "coverage", "novelty", "ILD", "fit s", "users"]
    lines = [header]
    for row in rows:
        lines.append(
            [
                row.model,
                f"{row.recall_at_20:.4f}",
                f"{row.ndcg_at_10:.4f}",
                f"{row.coverage:.3f}",
                f"{row.novelty:.2f}",
                f"{row.diversity:.3f}",
                f"{row.fit_seconds:.2f}",
                str(row.users),
            ]
        )
    widths = [max(len(line[c]) for line in lines) for c in range(len(header))]

    def render(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([render(lines[0]), separator, *(render(line) for line in lines[1:])])
