"""Offline evaluation: a reproducible per-user split, ranking metrics, and a side-by-side model table."""

from recommender.evaluation.metrics import (
    catalog_coverage,
    intra_list_diversity,
    ndcg_at_k,
    novelty,
    recall_at_k,
)
from recommender.evaluation.runner import EvaluationRow, evaluate, format_table
from recommender.evaluation.split import Split, split_per_user

__all__ = [
    "EvaluationRow",
    "Split",
    "catalog_coverage",
    "evaluate",
    "format_table",
    "intra_list_diversity",
    "ndcg_at_k",
    "novelty",
    "recall_at_k",
    "split_per_user",
]
