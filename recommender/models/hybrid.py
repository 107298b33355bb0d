"""Base models combined by a learned re-ranker (recommender/models/rerank.py), learned inside `fit` on a
validation split.

For a history h, every base b scores the catalog; s_b = its scores / its largest score (a 0..1 scale whatever
its units: popularity shares, cosine sums, EASE weights, ALS dot products). Each base's top
`candidates_per_base` titles with a positive score form the pool; the re-ranker scores every title as
  sum_b (a_b + a'_b l) s_b + sum_b (q_b + q'_b l) r_b + (v + v' l) p
(l: log history length, r_b: rank in base b's top, p: log popularity; see rerank.py), and titles outside the pool
are shifted below the pool's lowest score, because the re-ranker was only ever learned on pooled titles.

Learning (`fit`):
  1. each user's positives in the training data are split 80/20 (`validation_fraction`, fixed `seed`); above
     `max_validation_interactions` only a random sample of users takes part (steps 1-4);
  2. every base is fitted on the 80%;
  3. for up to `max_validation_users` users with held-out items, the pools are built and every base's
     normalised score and rank feature gathered for them;
  4. logistic regression (L2 `rerank_l2`) learns the coefficients from the pools (label: held out);
     then a popularity penalty is chosen: the one with the best validation NDCG@10 among those whose catalog
     coverage of the top 20 is at least that of the strongest single base and of the bases named in
     `coverage_floor_bases` (default EASE: the issue asks the default model for EASE's coverage at least;
     on the demo world the strongest base, ALS, shows less of the catalog than EASE). The strongest single
     base alone is kept instead when nothing beats it;
  5. the bases with a non-zero coefficient are refitted on all the training data.
`max_validation_users` is 6000 so that all of MovieTweetings 100k's 5,871 validation users count: the
coordinate search over blend weights this replaced moved by about 1% of test NDCG@10 from one sample of 3,000
to the next (measured 2026-11-30). Step 3 costs every base a scoring of the whole catalog per user, so
`max_validation_scores` (bases x titles x users, default 400 M) caps the users further on large catalogs: all
5,871 on MovieTweetings (7 bases x 8,259 titles), 6,000 on the demo world (5,083 titles), 3,333 on the
benchmark's 20,000-title world with 6 bases, where step 3 was most of a warm fit's CPU time.

Bases that do not apply to the data are left out and logged: the content model without item metadata, EASE
above its `max_dense_items`. `explain` rescales each base's contributions to that base's part of the score (its
score and rank terms) and adds the popularity term, so they add up to a pooled title's score plus the constant
that shifts the pool to 1 and above. Titles outside the pool that a base scores above 0 are squashed into
(0, 1) in the re-ranker's order, the others to 0 and below: the ranking layer reads a positive score as
evidence and back-fills by popularity only below it.

Measured 2026-11-30 with bench/recommender_bench.py (demo world: `marquee seed --scale demo`, seed 1, read as the
action server reads it; load average 2-3 on 2 cores). Quality: MovieTweetings 100k NDCG@10 0.1331 against tuned
EASE 0.1267 (+5.0%) and tuned ALS 0.1228 (+8.4%), catalog coverage 0.699 against EASE's 0.481; demo world 0.2073
against tuned EASE 0.1871 (+10.8%) and tuned ALS 0.1837 (+12.8%), coverage 0.594 against 0.524: both PASS (the
blend-weight search this replaced: +0.3% on MovieTweetings). Fit of the bench's 1,000,000 interactions over 20,000
titles, a first fit of that catalog: 20.9 s wall / 23.1 s CPU, PASS (the content base's word-piece embeddings take
~2 s for the 20,000 titles; with the full sentence embedding the same fit took 238.6 s, ~210 s of it encoding).
Top-20 with filters, diversity, exploration and reasons on the demo world, where all seven bases are kept: CPU
p50 2.75 ms, p99 3.74 ms.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
from recommender.models.rerank import (
    BASE_FEATURES,
    DEFAULT_L2,
    POPULARITY_FEATURES,
    LinearReranker,
    features,
    log_length,
    log_popularity,
    rank_positions,
)

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
    # MiniLM's word-piece embeddings, not its sentence embedding: a first fit of 20,000 titles embeds them in
    # ~2 s instead of ~210 s, and the content model ranked better with them (see content.py).
    {"name": "content", "params": {"encoder": "word-pieces"}},
)
# Share of the pooled candidates that are not held out kept for fitting the re-ranker (weighted back up).
NEGATIVE_SAMPLE = 0.25
# Popularity penalties tried (in units of the popularity feature, which runs 0..1; the learned re-rankers'
# score weights are of order 1..10).
POPULARITY_PENALTIES = tuple(np.arange(0.0, 12.01, 0.25))
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
        rerank_l2: float = DEFAULT_L2,
        coverage_floor_bases: Sequence[str] = ("ease",),
        max_validation_scores: int = 400_000_000,
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
        if rerank_l2 <= 0:
            raise ValueError(f"rerank_l2 must be positive, got {rerank_l2}")
        self.rerank_l2 = rerank_l2
        self.coverage_floor_bases = tuple(coverage_floor_bases)
        self.max_validation_scores = max_validation_scores
        self.bases: list[Recommender] = []
        self.reranker = LinearReranker(0)
        self.labels: list[str] = []
        # Told each step of a fit as it starts ("fitting als on the validation split", ...), for progress bars;
        # see recommender.progress. Not part of the saved state.
        self.on_step: Callable[[str], None] | None = None
        self.validation_report: dict[str, float] = {}
        self._item_popularity = np.empty(0, dtype=np.float32)
        self._terms_cache: tuple[bytes, _Terms] | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {
            "bases": self.base_specs,
            "validation_fraction": self.validation_fraction,
            "seed": self.seed,
            "max_validation_users": self.max_validation_users,
            "candidates_per_base": self.candidates_per_base,
            "max_validation_interactions": self.max_validation_interactions,
            "rerank_l2": self.rerank_l2,
            "coverage_floor_bases": list(self.coverage_floor_bases),
            "max_validation_scores": self.max_validation_scores,
        }

    @property
    def learned_weights(self) -> dict[str, float]:
        """Base label -> the re-ranker's weight on its normalised score at the typical history length, for
        manifests and reports (the rank, length and popularity terms are in `reranker`); bases the re-ranker
        does not use (not kept in the model) are listed with 0."""
        searched = {
            key.removeprefix("weight."): value
            for key, value in self.validation_report.items()
            if key.startswith("weight.")
        }
        kept = zip(self.labels, self.reranker.score_weights(), strict=True)
        return searched | {label: float(w) for label, w in kept}

    # -- fitting -------------------------------------------------------------------------------------------

    def _fit(self, interactions: Interactions, items: ItemMetadata | None) -> None:
        split = split_per_user(
            self._validation_sample(interactions), self.validation_fraction, seed=self.seed
        )
        positions, validation_bases = self._fit_bases(
            split.train, items, range(len(self.base_specs)), phase="on the validation split"
        )
        if not validation_bases:
            raise ValueError("no base model could be fitted on this data; see the log for why")
        labels = _labels(positions, validation_bases)
        self._step(f"learning the re-ranker on up to {self.max_validation_users} validation users")
        with single_threaded_blas():  # thousands of single-history scorings
            reranker, self.validation_report = self._learn_reranker(
                validation_bases, labels, split.train, split.test
            )
        logger.info(
            "hybrid score weights learned: %s",
            ", ".join(f"{n}={w:.3f}" for n, w in zip(labels, reranker.score_weights(), strict=True)),
        )
        # Only bases the re-ranker uses are refitted: the others would never be scored. The same objects are
        # refitted, so what does not depend on the interactions (e.g. the content model's text embeddings)
        # stays cached in them instead of being computed twice.
        used = reranker.used_bases()
        self.validation_report.update(
            {f"weight.{n}": float(w) for n, w in zip(labels, reranker.score_weights(), strict=True)}
        )
        refitted_positions, self.bases = self._fit_bases(
            interactions,
            items,
            [positions[n] for n in used],
            [validation_bases[n] for n in used],
            phase="on all interactions",
        )
        if refitted_positions != [positions[n] for n in used]:
            raise RuntimeError("a base that fitted on the validation split failed on all the interactions")
        labels = [labels[n] for n in used]
        reranker = reranker.restricted(used)
        self.labels = labels
        self.reranker = reranker
        self._item_popularity = log_popularity(_viewers(interactions.matrix.tocsr(), interactions.n_items))
        self._terms_cache = None

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
        phase: str = "",
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
                self._step(f"fitting {spec['name']} {phase}".strip())
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

    def _step(self, description: str) -> None:
        if self.on_step is not None:
            self.on_step(description)

    def _learn_reranker(
        self, bases: list[Recommender], labels: list[str], train: Interactions, test: sp.csr_matrix
    ) -> tuple[LinearReranker, dict[str, float]]:
        users = np.flatnonzero(np.diff(test.indptr) > 0)
        rng = np.random.default_rng(self.seed)
        # Each validation user costs every base a scoring of the whole catalog (plus its rank features).
        affordable = max(1, self.max_validation_scores // max(1, len(bases) * train.n_items))
        cap = min(self.max_validation_users, affordable)
        if len(users) > cap:
            users = np.sort(rng.choice(users, cap, replace=False))
        n_bases = len(bases)
        matrix = train.matrix.tocsr()
        centre = float(np.mean(np.log1p(np.diff(matrix.indptr)[users]))) if len(users) else 0.0
        if len(users) == 0:
            # Nothing held out to learn from: every base's score counts the same.
            coefficients = np.zeros(len(BASE_FEATURES) * n_bases + len(POPULARITY_FEATURES))
            coefficients[:n_bases] = 1.0
            return LinearReranker(n_bases, coefficients, centre), {}

        depth = self.candidates_per_base
        width = depth * n_bases
        candidates = np.full((len(users), width), -1, dtype=np.int64)
        scores = np.zeros((len(users), width, n_bases), dtype=np.float32)
        ranks = np.zeros((len(users), width, n_bases), dtype=np.float32)
        relevant = np.zeros((len(users), width), dtype=bool)
        n_relevant = np.zeros(len(users), dtype=np.int64)
        item_popularity = log_popularity(_viewers(matrix, train.n_items))
        lengths = log_length(np.diff(matrix.indptr)[users], centre)
        for row, user in enumerate(users):
            # What score_history does, with the history row taken once for every base.
            history = _row(matrix, user)
            context = ScoringContext(
                region=str(train.user_region[user]) or None, user_id=str(train.user_ids[user])
            )
            per_base = [_normalised(base, history, context) for base in bases]
            tops = [rank_positions(base_scores, depth) for base_scores in per_base]
            pooled = np.unique(np.concatenate([top for top, _ in tops]))
            n_pooled = len(pooled)
            candidates[row, :n_pooled] = pooled
            for b, (base_scores, (top, rank_values)) in enumerate(zip(per_base, tops, strict=True)):
                scores[row, :n_pooled, b] = base_scores[pooled]
                ranks[row, np.searchsorted(pooled, top), b] = rank_values
            held_out = test.indices[test.indptr[user] : test.indptr[user + 1]]
            relevant[row, :n_pooled] = np.isin(pooled, held_out)
            n_relevant[row] = len(held_out)
        padding = candidates < 0
        popularity = np.where(padding, 0.0, item_popularity[np.maximum(candidates, 0)]).astype(np.float32)

        def measure(reranker: LinearReranker) -> tuple[float, float]:
            """Validation NDCG@10 and catalog coverage of the re-ranked pools' top 20."""
            block = reranker._base_block()
            score_weights = block[0] + np.outer(lengths, block[1])  # users x bases
            rank_weights = block[2] + np.outer(lengths, block[3])
            popularity_weights = reranker.coefficients[-2] + lengths * reranker.coefficients[-1]
            blend = (
                np.einsum("uwb,ub->uw", scores, score_weights.astype(np.float32))
                + np.einsum("uwb,ub->uw", ranks, rank_weights.astype(np.float32))
                + popularity * popularity_weights[:, np.newaxis].astype(np.float32)
            )
            blend[padding] = -np.inf
            top = _top_columns(blend, COVERAGE_K)
            shown = np.take_along_axis(candidates, top, axis=1)
            coverage = np.unique(shown[shown >= 0]).size / train.n_items
            return _ndcg(blend, relevant, n_relevant, NDCG_K, top[:, :NDCG_K]), coverage

        report: dict[str, float] = {}
        singles = []
        for b in range(n_bases):
            single = np.zeros(len(BASE_FEATURES) * n_bases + len(POPULARITY_FEATURES))
            single[b] = 1.0
            ndcg, coverage = measure(LinearReranker(n_bases, single, centre))
            report[f"ndcg.{labels[b]}"], report[f"coverage.{labels[b]}"] = ndcg, coverage
            singles.append((ndcg, coverage))
        # The re-ranked lists may not narrow the catalog below what the strongest single base shows, nor below
        # the bases named in `coverage_floor_bases`.
        strongest = int(np.argmax([ndcg for ndcg, _ in singles]))
        named = [singles[b][1] for b in range(n_bases) if bases[b].name in self.coverage_floor_bases]
        floor = max([singles[strongest][1], *named])

        # Every held-out title of the pools, and a fixed share of the rest (weighted back up): the negatives are
        # most of the million-odd rows and, sampled, teach the same ranking at a fraction of the cost.
        inside = ~padding
        keep = inside & (relevant | (rng.random(relevant.shape) < NEGATIVE_SAMPLE))
        rows, columns = np.nonzero(keep)
        x = features(scores[rows, columns], ranks[rows, columns], popularity[rows, columns], lengths[rows])
        y = relevant[rows, columns]
        reranker = LinearReranker(n_bases, length_centre=centre)
        reranker.fit(x, y, np.where(y, 1.0, 1.0 / NEGATIVE_SAMPLE), self.rerank_l2)

        # Logistic regression favours the head of the catalog (popular titles are held out more often); the
        # popularity penalty with the best NDCG whose coverage reaches the floor wins. Logistic loss is not
        # NDCG, so the strongest base alone stays in the running (it wins on data where one base says it all).
        single = np.zeros_like(reranker.coefficients)
        single[strongest] = 1.0
        chosen = LinearReranker(n_bases, single, centre)
        best_ndcg, report["popularity_penalty"] = singles[strongest][0], float("nan")
        for penalty in POPULARITY_PENALTIES:
            ndcg, coverage = measure(reranker.penalised(penalty))
            if coverage >= floor and ndcg > best_ndcg + 1e-9:
                chosen, best_ndcg, report["popularity_penalty"] = reranker.penalised(penalty), ndcg, penalty
        if np.isnan(report["popularity_penalty"]):
            logger.info("hybrid: no re-ranking beats %s alone on the validation split", labels[strongest])
        report["ndcg.learned"], report["coverage.learned"] = measure(chosen)
        report["coverage.floor"] = floor
        logger.info(
            "hybrid validation on %d users: %s",
            len(users),
            ", ".join(f"{k}={v:.4f}" for k, v in report.items()),
        )
        return chosen, report

    # -- scoring -------------------------------------------------------------------------------------------

    def _terms(self, history: sp.csr_matrix, context: ScoringContext | None) -> _Terms:
        """Every base's normalised scores and rank features for one history, and the weights the re-ranker
        gives them; the last history's terms are kept, because a recommendation scores a history and then
        explains its titles."""
        key = _cache_key(history, context)
        if self._terms_cache is not None and self._terms_cache[0] == key:
            return self._terms_cache[1]
        n_items = self.data.n_items
        scales = np.ones(len(self.bases))
        scores = np.zeros((len(self.bases), n_items), dtype=np.float32)
        ranks = np.zeros((len(self.bases), n_items), dtype=np.float32)
        pooled = np.zeros(n_items, dtype=bool)
        for b, base in enumerate(self.bases):
            raw = np.asarray(base.score_history(history, context), dtype=np.float32)
            scales[b] = _scale(raw)
            scores[b] = raw / scales[b]
            masked = scores[b].copy()
            masked[history.indices] = -np.inf
            top, rank_values = rank_positions(masked, self.candidates_per_base)
            ranks[b, top] = rank_values
            pooled[top] = True
        length = float(log_length(history.nnz, self.reranker.length_centre))
        score_weights, rank_weights, popularity_weight = self.reranker.per_history(length)
        total = (
            score_weights.astype(np.float32) @ scores
            + rank_weights.astype(np.float32) @ ranks
            + np.float32(popularity_weight) * self._item_popularity
        )
        # The re-ranker was learned on the bases' pooled candidates only, so the pool ranks first, at 1 and
        # above. The ranking layer reads a score above 0 as evidence (and back-fills by popularity below it):
        # a title outside the pool that some base still scores above 0 goes to (0, 1), in the re-ranker's
        # order (a monotone squash), and a title no base scores above 0 goes to 0 and below. Explanations add
        # up to score + pool_offset for a pooled title.
        final = np.empty_like(total)
        pool_offset = 0.0
        if pooled.any():
            pool_offset = float(total[pooled].min()) - 1.0
            final[pooled] = total[pooled] - pool_offset
        evidence = ~pooled & (scores > 0).any(axis=0)
        if evidence.any():
            centred = total[evidence] - float(np.median(total[evidence]))
            final[evidence] = 0.5 * (1.0 + np.tanh(0.5 * centred))
            final[evidence] = np.clip(final[evidence], 1e-6, 0.999)
        rest = ~pooled & ~evidence
        if rest.any():
            final[rest] = total[rest] - float(total[rest].max())
        terms = _Terms(
            scales, scores, ranks, pooled, score_weights, rank_weights, popularity_weight, final, pool_offset
        )
        self._terms_cache = (key, terms)
        return terms

    def score_history(self, history: sp.csr_matrix, context: ScoringContext | None = None) -> np.ndarray:
        history = as_history(history, self.data.n_items)
        return self._terms(history, context).final.copy()

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
        """Each base's contributions, rescaled so that they add up to that base's part of the score (its score
        and rank terms), plus the popularity term. The constant that shifts the scores (`_Terms.pool_offset`
        for pooled titles) is not a contribution: for a pooled title they add up to score + pool_offset."""
        history = as_history(history_row, self.data.n_items)
        terms = self._terms(history, context)
        targets = np.asarray(item_indices, dtype=np.int64)
        merged: list[dict[tuple[str, str], float]] = [{} for _ in targets]
        for b, base in enumerate(self.bases):
            raw = terms.scores[b, targets].astype(np.float64) * terms.scales[b]
            share = (
                terms.score_weights[b] * terms.scores[b, targets]
                + terms.rank_weights[b] * terms.ranks[b, targets]
            )
            # Where the base's score is 0 it has no contributions, and no rank term either.
            factor = np.divide(share, raw, out=np.zeros_like(raw), where=raw != 0)
            explained = base.explain_items(history, targets, top=top, context=context)
            for parts, into, scale in zip(explained, merged, factor, strict=True):
                for part in parts:
                    into[(part.kind, part.source)] = (
                        into.get((part.kind, part.source), 0.0) + scale * part.weight
                    )
        popularity = terms.popularity_weight * self._item_popularity[targets]
        for into, value in zip(merged, popularity, strict=True):
            into[("popularity", "global")] = into.get(("popularity", "global"), 0.0) + float(value)
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
            **{f"reranker.{k}": v for k, v in self.reranker.get_state().items()},
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
        self.reranker = LinearReranker.from_state(
            len(self.bases),
            {k.removeprefix("reranker."): v for k, v in state.items() if k.startswith("reranker.")},
        )
        self._item_popularity = log_popularity(_viewers(self.data.matrix.tocsr(), self.data.n_items))
        self._terms_cache = None


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


def _normalised(base: Recommender, history: sp.csr_matrix, context: ScoringContext) -> np.ndarray:
    """A base's scores for a history on its 0..1 scale, the history's own titles at -inf."""
    scores = np.asarray(base.score_history(history, context), dtype=np.float32)
    scores = scores / np.float32(_scale(scores))
    scores[history.indices] = -np.inf
    return scores


def _row(matrix: sp.csr_matrix, user: int) -> sp.csr_matrix:
    """Row `user` of a csr matrix as a float32 1 x n csr row, built from the arrays (scipy's row indexing
    costs more than scoring a history with some of the bases)."""
    start, stop = matrix.indptr[user], matrix.indptr[user + 1]
    return sp.csr_matrix(
        (matrix.data[start:stop].astype(np.float32), matrix.indices[start:stop], np.array([0, stop - start])),
        shape=(1, matrix.shape[1]),
    )


def _viewers(matrix: sp.csr_matrix, n_items: int) -> np.ndarray:
    """Per title, the number of users with a positive weight on it."""
    return np.bincount(matrix.indices[matrix.data > 0], minlength=n_items)


@dataclass(frozen=True)
class _Terms:
    scales: np.ndarray  # per base
    scores: np.ndarray  # bases x items, each base's scores / its scale
    ranks: np.ndarray  # bases x items, rank features (0 outside a base's pool)
    pooled: np.ndarray  # items: in some base's pool
    score_weights: np.ndarray
    rank_weights: np.ndarray
    popularity_weight: float
    final: np.ndarray  # the scores score_history returns
    pool_offset: float  # subtracted from the pool's summed terms, so its lowest title scores 1


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
