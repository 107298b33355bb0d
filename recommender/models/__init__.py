"""Recommender models, one module per algorithm behind the interface in `recommender.models.base`.

Each model's `name` is its module name; `model_from_state`/`load_model` import the module on demand.
"""

from recommender.models.base import (
    Contribution,
    Recommender,
    ScoringContext,
    load_model,
    model_from_state,
    top_k,
)

__all__ = ["Contribution", "Recommender", "ScoringContext", "load_model", "model_from_state", "top_k"]
