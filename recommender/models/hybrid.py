"""A weighted blend of base models whose weights are learned inside `fit` on a validation split.

score(h) = sum_b w_b * s_b(h) / scale_b(h), where s_b is base model b's score vector for history h and
scale_b(h) = max(s_b(h)) (1 when that is not positive), so every base speaks on a comparable 0..1 scale
whatever its own units (popularity shares, cosine sums, EASE weights, ALS dot products).

Learning the weights (`fit`):
  1. each user's positives in the training data are split 80/20 (`validation_fraction`, fixed `seed`); above
     `max_validation_interactions` only a random sample of users takes part (steps 1-4);
  2. every base is fitted on the 80%;
  3. for up to `max_validation_users` users with held-out items, each base's `candidates_per_base` best
     titles are pooled and every base's normalised score is gathered for the pool;
  4. coordinate search from uniform weights and from the two strongest single bases: each weight in turn is
     scaled by 0, 1/2, 4/5, 5/4 and 2 (or raised by 0.1), and a change is kept when it raises NDCG@10 of the
     blend on the held-out items without narrowing the catalog coverage of its top 20 below that of the
     strongest single base, until no change helps;
  5. the bases with a positive weight are refitted on all the training data.
Restricting the ranking to the pooled candidates makes step 4 cheap; a title outside every base's top
`candidates_per_base` would rarely reach the blend's top 10. `max_validation_users` is 6000 so that all of
MovieTweetings 100k's 5,871 validation users count: with a sample of 3,000 the learned blend's test NDCG@10
moved by about 1% from one sample to the next (measured 2026-11-30), as much as the blends differ.

Bases that do not apply to the data are left out and logged: the content model without item metadata, EASE
above its `max_dense_items`. `explain` merges the bases' contributions, each scaled by its weight and scale,
so they still add up to (the explained part of) the blended score.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.dataset import Interactions, ItemMetadata
from recommender.evaluation.split import split_per_user
from recommender.models.base import (
    Contribution,
    Recommender,
    ScoringContext,
    as_history,
    registered_models,
    single_threaded_blas,
    top_k,
)
from recommender.models.ease import CatalogTooLargeError

logger = logging.getLogger(__name__)

# Candidates whose weights the validation split decides; a base that does not help gets weight 0 and costs
# nothing at scoring time. EASE is left out (logged) above its dense-matrix limit; ALS covers large catalogs.
DEFAULT_BASES: tuple[dict[str, Any], ...] = (
    {"name": "popularity", "params": {}},
    {"name": "contemporary", "params": {}},
    {"name": "item_knn", "params": {"weighting": "cosine", "shrink": 10.0}},
    {"name": "item_knn", "params": {"weighting": "bm25"}},
    {"name": "ease", "params": {"regularization": 500.0}},
    # ALS's own defaults (strong regularisation): alpha 10 / regularization 1 scored NDCG@10 0.059 against
    # 0.110 on the MovieTweetings validation split (2026-11-30), and was a weak voice in the blend.
    {"name": "als", "params": {}},
    {"name": "content", "params": {}},
)
# Moves tried on one weight at a time; the additive one lets a weight that reached zero come back.
SEARCH_STEPS = (
    lambda w: 0.0,
    lambda w: w * 0.5,
    lambda w: w * 0.8,
    lambda w: w * 1.25,
    lambda w: w * 2.0,
    lambda w: w + 0.1,
)
MAX_SEARCH_ROUNDS = 12
NDCG_K = 10
COVERAGE_K = 20


def base_class(name: str) -> type[Recommender]:
    """The registered model class called `name`; model modules are named after their models."""
    module = f"recommender.models.{name}"
    if name not in registered_models():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # the module exists but something it imports is missing
                raise
    classes = registered_models()
    if name not in classes or name == HybridRecommender.name:
        raise ValueError(f"unknown base model {name!r}; choose from {sorted(set(classes) - {'hybrid'})}")
    return classes[name]


class BaseNotApplicableError(ValueError):
    """The base model cannot be fitted on this data (e.g. the content model without item metadata)."""


class HybridRecommender(Recommender):
    name = "hybrid"

    def __init__(
        self,
        bases: Sequence[Mapping[str, Any]] = DEFAULT_BASES,
        validation_fraction: float = 0.2,
        seed: int = 0,
        max_validation_users: int = 6000,
        candidates_per_base: int = 50,
        max_validation_interactions: int = 300_000,
    ) -> None:
        super().__init__()
        self.base_specs = [_spec(b) for b in bases]
        if not self.base_specs:
            raise ValueError("a hybrid needs at least one base model")
        for spec in self.base_specs:
            base_class(spec["name"])  # fail now, not after minutes of fitting
            if "fallback" in spec:
                base_class(spec["fallback"]["name"])
        if not 0 < validation_fraction < 1:
            raise ValueError(f"validation_fraction must be between 0 and 1, got {validation_fraction}")
        self.validation_fraction = validation_fraction
        self.seed = seed
        self.max_validation_users = max_validation_users
        self.candidates_per_base = candidates_per_base
        if max_validation_interactions < 1:
            raise ValueError(
                f"max_validation_interactions must be at least 1, got {max_validation_interactions}"
            )
        self.max_validation_interactions = max_validation_interactions
        self.bases: list[Recommender] = []
        self.weights = np.empty(0, dtype=np.float64)
        self.labels: list[str] = []
        self.validation_report: dict[str, float] = {}
        self._scale_cache: tuple[bytes, np.ndarray] | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {
            "bases": self.base_specs,
            "validation_fraction": self.validation_fraction,
            "seed": self.seed,
            "max_validation_users": self.max_validation_users,
            "candidates_per_base": self.candidates_per_base,
            "max_validation_interactions": self.max_validation_interactions,
        }

    @property
    def learned_weights(self) -> dict[str, float]:
        """Base label -> learned blend weight, for manifests and reports; bases weighted 0 (not kept in the
        model) are listed with 0."""
        searched = {
            key.removeprefix("weight."): value
            for key, value in self.validation_report.items()
            if key.startswith("weight.")
        }
        return searched | {label: float(w) for label, w in zip(self.labels, self.weights, strict=True)}

    # -- fitting -------------------------------------------------------------------------------------------

    def _fit(self, interactions: Interactions, items: ItemMetadata | None) -> None:
        split = split_per_user(
            self._validation_sample(interactions), self.validation_fraction, seed=self.seed
        )
        positions, validation_bases = self._fit_bases(split.train, items, range(len(self.base_specs)))
        if not validation_bases:
            raise ValueError("no base model could be fitted on this data; see the log for why")
        labels = _labels(positions, validation_bases)
        with single_threaded_blas():  # thousands of single-history scorings
            weights, self.validation_report = self._learn_weights(
                validation_bases, labels, split.train, split.test
            )
        logger.info(
            "hybrid blend weights learned: %s",
            ", ".join(f"{n}={w:.3f}" for n, w in zip(labels, weights, strict=True)),
        )
        self.validation_report.update({f"weight.{n}": float(w) for n, w in zip(labels, weights, strict=True)})
        # Only bases with a positive weight are refitted: the others would never be scored. The same objects
        # are refitted, so what does not depend on the interactions (e.g. the content model's text
        # embeddings) stays cached in them instead of being computed twice.
        used = [n for n, weight in enumerate(weights) if weight > 0]
        refitted_positions, self.bases = self._fit_bases(
            interactions, items, [positions[n] for n in used], [validation_bases[n] for n in used]
        )
        self.weights = weights[[positions.index(p) for p in refitted_positions]]
        self.labels = [labels[positions.index(p)] for p in refitted_positions]
        self._scale_cache = None

    def _validation_sample(self, interactions: Interactions) -> Interactions:
        """The interactions the weights are learned on: all of them, or above `max_validation_interactions`
        the rows of randomly chosen users holding about that many. Every base is fitted twice (on the
        validation split, then on everything); on a million interactions the first fit would otherwise cost
        as much as the second, while a few hundred thousand already rank the bases' usefulness."""
        matrix = interactions.matrix.tocsr()
        if matrix.nnz <= self.max_validation_interactions:
            return interactions
        order = np.random.default_rng(self.seed).permutation(interactions.n_users)
        counts = np.cumsum(np.diff(matrix.indptr)[order])
        chosen = np.sort(order[: int(np.searchsorted(counts, self.max_validation_interactions)) + 1])
        logger.info(
            "hybrid learns its weights on %d of %d users (%d of %d interactions)",
            len(chosen),
            interactions.n_users,
            int(np.diff(matrix.indptr)[chosen].sum()),
            matrix.nnz,
        )
        times = interactions.timestamps
        return Interactions(
            interactions.user_ids[chosen],
            interactions.item_ids,
            matrix[chosen],
            times.tocsr()[chosen] if times is not None else None,
            interactions.user_region[chosen],
        )

    def _fit_bases(
        self,
        interactions: Interactions,
        items: ItemMetadata | None,
        positions: Sequence[int],
        models: Sequence[Recommender] | None = None,
    ) -> tuple[list[int], list[Recommender]]:
        """Fit the bases at `positions` (or their fallbacks), refitting `models` when given (one per
        position); returns the positions fitted and their models."""
        kept, fitted = [], []
        for n, position in enumerate(positions):
            spec = self.base_specs[position]
            if models is not None:
                spec = {"name": models[n].name, "params": models[n].params}
            while spec is not None:
                base = models[n] if models is not None and models[n].name == spec["name"] else None
                base = base or base_class(spec["name"])(**spec["params"])
                try:
                    _check_applicable(spec["name"], interactions, items)
                    base.fit(interactions, items)
                except (BaseNotApplicableError, CatalogTooLargeError) as exc:
                    fallback = spec.get("fallback")
                    logger.warning(
                        "hybrid leaves out %s: %s%s",
                        spec["name"],
                        exc,
                        f"; using {fallback['name']} instead" if fallback else "",
                    )
                    spec = fallback
                    continue
                kept.append(position)
                fitted.append(base)
                break
        return kept, fitted

    def _learn_weights(
        self, bases: list[Recommender], labels: list[str], train: Interactions, test: sp.csr_matrix
    ) -> tuple[np.ndarray, dict[str, float]]:
        users = np.flatnonzero(np.diff(test.indptr) > 0)
        rng = np.random.default_rng(self.seed)
        if len(users) > self.max_validation_users:
            users = np.sort(rng.choice(users, self.max_validation_users, replace=False))
        n_bases = len(bases)
        if len(users) == 0 or n_bases == 1:
            return np.full(n_bases, 1.0 / n_bases), {}

        depth = self.candidates_per_base
        width = depth * n_bases
        candidates = np.full((len(users), width), -1, dtype=np.int64)
        scores = np.zeros((len(users), width, n_bases), dtype=np.float32)
        relevant = np.zeros((len(users), width), dtype=bool)
        n_relevant = np.zeros(len(users), dtype=np.int64)
        matrix = train.matrix.tocsr()
        for row, user in enumerate(users):
            # What score_user does, with the history row taken once for every base.
            history = as_history(matrix[user], train.n_items)
            context = ScoringContext(
                region=str(train.user_region[user]) or None, user_id=str(train.user_ids[user])
            )
            per_base = []
            for base in bases:
                base_scores = _normalised(np.asarray(base.score_history(history, context), dtype=np.float64))
                base_scores[history.indices] = -np.inf
                per_base.append(base_scores)
            pooled = np.unique(np.concatenate([top_k(s, depth) for s in per_base]))
            candidates[row, : len(pooled)] = pooled
            for b, base_scores in enumerate(per_base):
                scores[row, : len(pooled), b] = base_scores[pooled]
            held_out = test.indices[test.indptr[user] : test.indptr[user + 1]]
            relevant[row, : len(pooled)] = np.isin(pooled, held_out)
            n_relevant[row] = len(held_out)
        padding = candidates < 0

        def measure(weights: np.ndarray) -> tuple[float, float]:
            """Validation NDCG@10 and catalog coverage of the blend's top 20."""
            blend = scores @ weights.astype(np.float32)
            blend[padding] = -np.inf
            top = _top_columns(blend, COVERAGE_K)
            shown = np.take_along_axis(candidates, top, axis=1)
            coverage = np.unique(shown[shown >= 0]).size / train.n_items
            return _ndcg(blend, relevant, n_relevant, NDCG_K, top[:, :NDCG_K]), coverage

        report: dict[str, float] = {}
        singles = []
        for b in range(n_bases):
            ndcg, coverage = measure(np.eye(n_bases)[b])
            report[f"ndcg.{labels[b]}"], report[f"coverage.{labels[b]}"] = ndcg, coverage
            singles.append((ndcg, coverage))
        # The blend may not narrow the catalog below what its strongest single base shows.
        strongest = int(np.argmax([ndcg for ndcg, _ in singles]))
        floor = singles[strongest][1]
        # Coordinate search from uniform weights and from the two strongest single bases (it is greedy, so one
        # start can stall); the best feasible end point wins.
        ranked = np.argsort([-ndcg for ndcg, _ in singles], kind="stable")[:2]
        starts = [np.full(n_bases, 1.0 / n_bases), *np.eye(n_bases)[ranked]]
        best, weights = -1.0, np.eye(n_bases)[strongest]
        for start in starts:
            value, coverage = measure(start)
            if coverage < floor:
                continue
            end, end_value = self._coordinate_search(start, value, measure, floor)
            if end_value > best + 1e-9:
                best, weights = end_value, end
        report["ndcg.learned"], report["coverage.learned"] = measure(weights)
        report["coverage.floor"] = floor
        logger.info(
            "hybrid validation on %d users: %s",
            len(users),
            ", ".join(f"{k}={v:.4f}" for k, v in report.items()),
        )
        return weights, report

    @staticmethod
    def _coordinate_search(
        weights: np.ndarray,
        best: float,
        measure: Callable[[np.ndarray], tuple[float, float]],
        floor: float,
    ) -> tuple[np.ndarray, float]:
        """Change one weight at a time while that raises validation NDCG and keeps coverage >= floor."""
        for _ in range(MAX_SEARCH_ROUNDS):
            improved = False
            for b in range(len(weights)):
                for step in SEARCH_STEPS:
                    trial = weights.copy()
                    trial[b] = step(trial[b])
                    if trial.sum() <= 0:
                        continue
                    trial /= trial.sum()
                    value, coverage = measure(trial)
                    if value > best + 1e-6 and coverage >= floor:
                        best, weights, improved = value, trial, True
            if not improved:
                break
        return weights, best

    # -- scoring -------------------------------------------------------------------------------------------

    def _blend(self, score_of: Callable[[Recommender], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Blended scores, and each base's scale (1 for a base of weight 0, which is not even scored: it
        cannot change the blend, so its cost is skipped)."""
        total = np.zeros(len(self.data.item_ids), dtype=np.float64)
        scales = np.ones(len(self.bases))
        for position, (weight, base) in enumerate(zip(self.weights, self.bases, strict=True)):
            if weight <= 0:
                continue
            scores = np.asarray(score_of(base), dtype=np.float64)
            scales[position] = _scale(scores)
            total += weight * scores / scales[position]
        return total.astype(np.float32), scales

    def score_history(self, history: sp.csr_matrix, context: ScoringContext | None = None) -> np.ndarray:
        history = as_history(history, self.data.n_items)
        scores, scales = self._blend(lambda base: base.score_history(history, context))
        self._scale_cache = (_cache_key(history, context), scales)
        return scores

    def similar_items(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        index = self.item_idx(item_id)
        history = sp.csr_matrix(
            (np.ones(1, dtype=np.float32), (np.array([0]), np.array([index]))), shape=(1, self.data.n_items)
        )
        scores = self.score_history(history).astype(np.float64)
        scores[index] = -np.inf
        return [(str(self.data.item_ids[i]), float(scores[i])) for i in top_k(scores, k)]

    def explain_items(
        self,
        history_row: sp.csr_matrix,
        item_indices: Sequence[int],
        top: int = 3,
        context: ScoringContext | None = None,
    ) -> list[list[Contribution]]:
        history = as_history(history_row, self.data.n_items)
        key = _cache_key(history, context)
        if self._scale_cache is None or self._scale_cache[0] != key:
            self.score_history(history, context)
        assert self._scale_cache is not None
        scales = self._scale_cache[1]
        merged: list[dict[tuple[str, str], float]] = [{} for _ in item_indices]
        for base, weight, scale in zip(self.bases, self.weights, scales, strict=True):
            if weight <= 0:
                continue
            explained = base.explain_items(history, item_indices, top=top, context=context)
            for parts, into in zip(explained, merged, strict=True):
                for part in parts:
                    into[(part.kind, part.source)] = into.get((part.kind, part.source), 0.0) + (
                        weight * part.weight / scale
                    )
        return [
            [
                Contribution(kind, source, value)
                for (kind, source), value in sorted(one.items(), key=lambda entry: -abs(entry[1]))[:top]
                if value
            ]
            for one in merged
        ]

    # -- persistence ---------------------------------------------------------------------------------------

    def _get_model_state(self) -> dict[str, np.ndarray]:
        state: dict[str, np.ndarray] = {
            "weights": self.weights,
            "bases_json": np.array(
                json.dumps(
                    [
                        {"name": b.name, "params": b.params, "label": label}
                        for b, label in zip(self.bases, self.labels, strict=True)
                    ]
                )
            ),
            "validation_ndcg_json": np.array(json.dumps(self.validation_report)),
        }
        for position, base in enumerate(self.bases):
            for key, value in base._get_model_state().items():
                state[f"{position}.{key}"] = value
        return state

    def _set_model_state(self, state: Mapping[str, np.ndarray]) -> None:
        self.weights = np.asarray(state["weights"], dtype=np.float64)
        self.validation_report = json.loads(str(state["validation_ndcg_json"]))
        self.bases = []
        specs = json.loads(str(state["bases_json"]))
        self.labels = [spec["label"] for spec in specs]
        for position, spec in enumerate(specs):
            base = base_class(spec["name"])(**spec["params"])
            base.interactions = self.interactions
            prefix = f"{position}."
            base._set_model_state({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
            self.bases.append(base)
        self._scale_cache = None


def _labels(positions: Sequence[int], models: Sequence[Recommender]) -> list[str]:
    """Each base's name, with its position when the same model appears twice (e.g. two item_knn)."""
    names = [m.name for m in models]
    return [n if names.count(n) == 1 else f"{n}[{p}]" for p, n in zip(positions, names, strict=True)]


def _spec(base: Mapping[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": str(base["name"]), "params": dict(base.get("params", {}))}
    if base.get("fallback"):
        spec["fallback"] = _spec(base["fallback"])
    return spec


def _check_applicable(name: str, interactions: Interactions, items: ItemMetadata | None) -> None:
    if name == "content" and (items is None or not any(text.strip() for text in items.texts())):
        raise BaseNotApplicableError("the content model needs item metadata with text")
    if name == "contemporary" and interactions.timestamps is None:
        raise BaseNotApplicableError("contemporary popularity needs event timestamps")


def _scale(scores: np.ndarray) -> float:
    finite = scores[np.isfinite(scores)]
    peak = float(finite.max()) if finite.size else 0.0
    return peak if peak > 0 else 1.0


def _normalised(scores: np.ndarray) -> np.ndarray:
    return scores / _scale(scores)


def _cache_key(history: sp.csr_matrix, context: ScoringContext | None) -> bytes:
    return b"|".join([history.indices.tobytes(), history.data.tobytes(), repr(context).encode()])


def _top_columns(blend: np.ndarray, k: int) -> np.ndarray:
    """Column positions of each row's k best values, best first."""
    k = min(k, blend.shape[1])
    top = np.argpartition(-blend, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(blend, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def _ndcg(blend: np.ndarray, relevant: np.ndarray, n_relevant: np.ndarray, k: int, top: np.ndarray) -> float:
    """Mean NDCG@k of the ranked columns `top` (from `_top_columns`), relevance from `relevant`."""
    hits = np.take_along_axis(relevant, top, axis=1) & np.isfinite(np.take_along_axis(blend, top, axis=1))
    discounts = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[np.minimum(k, n_relevant)]
    return float(np.mean(dcg / ideal))
