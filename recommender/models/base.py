"""The one interface every recommender model implements.

A model is fitted on `Interactions` (and optionally `ItemMetadata`), then scores any history row: the user's
training row, or a row with fresh feedback folded in (a thumbs-up adds weight, a thumbs-down subtracts it), so
new feedback changes the next recommendation without retraining. `explain` decomposes a score into the
contributions that produced it; the ranking layer turns those into reasons.

State is a flat dict of numpy arrays (no pickled objects), saved with np.savez and loaded with
allow_pickle=False. Model classes register themselves by `name`, so `model_from_state` can rebuild any of them.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from recommender.dataset import Interactions, ItemMetadata

logger = logging.getLogger(__name__)

CONTRIBUTION_KINDS = ("item", "user", "feature", "popularity")


@dataclass(frozen=True)
class Contribution:
    """One additive part of a score.

    kind "item": `source` is a history item id ("because you watched X");
    kind "user": `source` is a neighbour user id;
    kind "feature": `source` is a genre, mood or stated preference ("matches thriller");
    kind "popularity": `source` is "global", "trending", "global:<REGION>", "trending:<REGION>" or
    "contemporary" (popular in the periods the viewer was active).
    """

    kind: str
    source: str
    weight: float


@dataclass(frozen=True)
class ScoringContext:
    """What a model may use besides the history: the viewer's region, stated preferences (genres, moods or
    free text such as "a dark thriller") and, when the history belongs to a training user, that user's id (a
    user-based model leaves them out of their own neighbours; contemporary popularity places them in their
    own time). Models ignore what they do not use."""

    region: str | None = None
    preferences: tuple[str, ...] = ()
    user_id: str | None = None


class NotFittedError(RuntimeError):
    pass


class UnknownItemError(KeyError):
    def __str__(self) -> str:
        return f"unknown title id {self.args[0]!r}; it is not in the model's catalog"


_REGISTRY: dict[str, type[Recommender]] = {}


class Recommender(ABC):
    """Base class: holds the training interactions and implements recommend/score_user on top of score_history."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _REGISTRY[cls.name] = cls

    def __init__(self) -> None:
        self.interactions: Interactions | None = None
        self.items: ItemMetadata | None = None

    # -- what subclasses implement -------------------------------------------------------------------------

    @property
    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Constructor arguments (JSON-serialisable); `type(model)(**model.params)` builds an unfitted twin."""

    @abstractmethod
    def _fit(self, interactions: Interactions, items: ItemMetadata | None) -> None: ...

    @abstractmethod
    def score_history(self, history: sp.csr_matrix, context: ScoringContext | None = None) -> np.ndarray:
        """Scores (float32, length n_items) for a 1 x n_items history row; higher is better."""

    @abstractmethod
    def similar_items(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        """The k titles most similar to `item_id` (never itself), best first."""

    def explain(
        self, history_row: sp.csr_matrix, item_idx: int, top: int = 3, context: ScoringContext | None = None
    ) -> list[Contribution]:
        """The largest contributions to `score_history(history_row, context)[item_idx]`, by absolute weight."""
        return self.explain_items(history_row, [item_idx], top, context)[0]

    @abstractmethod
    def explain_items(
        self,
        history_row: sp.csr_matrix,
        item_indices: Sequence[int],
        top: int = 3,
        context: ScoringContext | None = None,
    ) -> list[list[Contribution]]:
        """`explain` for several titles of one history, in order. A recommendation explains about 20 titles
        at once, so each model does its per-history work (a fold-in solve, a neighbour search) once here
        instead of once per title."""

    @abstractmethod
    def _get_model_state(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _set_model_state(self, state: Mapping[str, np.ndarray]) -> None: ...

    # -- shared behaviour ----------------------------------------------------------------------------------

    def fit(self, interactions: Interactions, items: ItemMetadata | None = None) -> Self:
        aligned = items
        # Re-aligning costs ~1 s at 20,000 titles; the hybrid passes every base metadata already aligned.
        if items is not None and not np.array_equal(items.item_ids, interactions.item_ids):
            aligned = items.align(interactions.item_ids)
        self.interactions = interactions
        self.items = aligned
        self._fit(interactions, aligned)
        logger.info(
            "fitted %s on %d users x %d items (%d interactions)",
            self.name,
            interactions.n_users,
            interactions.n_items,
            interactions.matrix.nnz,
        )
        return self

    @property
    def data(self) -> Interactions:
        if self.interactions is None:
            raise NotFittedError(f"{self.name} model is not fitted; call fit() or load a saved state first")
        return self.interactions

    def item_idx(self, item_id: str) -> int:
        try:
            return self.data.item_index[item_id]
        except KeyError:
            raise UnknownItemError(item_id) from None

    def history_of(self, user_id: str) -> sp.csr_matrix:
        """The user's training row; an unknown user has an empty history, which models answer by cold start."""
        data = self.data
        if user_id in data.user_index:
            return data.user_row(user_id)
        logger.debug("user %s is not in the training data; scoring an empty history", user_id)
        return data.empty_history()

    def score_user(self, user_id: str, context: ScoringContext | None = None) -> np.ndarray:
        """`score_history` of the user's training row with the user named in the context: the one scoring
        path, the same call the ranking layer makes for a user id, so what is evaluated is what is served."""
        return self.score_history(
            self.history_of(user_id), replace(context or ScoringContext(), user_id=user_id)
        )

    def recommend(
        self,
        user_id_or_history: str | sp.csr_matrix,
        k: int = 20,
        exclude_seen: bool = True,
        context: ScoringContext | None = None,
    ) -> list[tuple[str, float]]:
        if isinstance(user_id_or_history, str):
            history = self.history_of(user_id_or_history)
            scores = self.score_user(user_id_or_history, context)
        else:
            history = user_id_or_history
            scores = self.score_history(history, context)
        if exclude_seen and history.nnz:
            scores = scores.copy()
            scores[history.indices] = -np.inf
        best = top_k(scores, k)
        item_ids = self.data.item_ids
        return [(str(item_ids[i]), float(scores[i])) for i in best]

    def get_state(self) -> dict[str, np.ndarray]:
        state = {f"data.{key}": value for key, value in self.data.get_state().items()}
        state.update({f"model.{key}": value for key, value in self._get_model_state().items()})
        state["name"] = np.array(self.name)
        state["params_json"] = np.array(json.dumps(self.params, sort_keys=True))
        return state

    def set_state(self, state: Mapping[str, np.ndarray]) -> Self:
        if str(state["name"]) != self.name:
            raise ValueError(f"state is for model {str(state['name'])!r}, not {self.name!r}")
        self.interactions = Interactions.from_state(_sub_state(state, "data."))
        self._set_model_state(_sub_state(state, "model."))
        return self

    def save(self, path: str | Path) -> None:
        """Write the state to one .npz file (arrays only, no pickle)."""
        with open(path, "wb") as handle:
            np.savez(handle, **self.get_state())


_blas_controller: ThreadpoolController | None = None
_blas_limit = threading.local()


def single_threaded_blas() -> contextlib.AbstractContextManager[Any]:
    """Run a block with one BLAS thread.

    A scoring call is one small matrix-vector product; a multi-threaded BLAS only adds hand-off cost, and on
    a busy server it is many times slower (measured 18 ms against 0.7 ms for 20,000 x 64 on 2 busy cores).
    The controller is built once, because discovering the loaded libraries costs far more than the switch;
    inside a block that already holds the limit (the ranking layer wraps a whole recommendation) nothing is
    switched again, since each switch costs about 0.2 ms.
    """
    global _blas_controller
    if getattr(_blas_limit, "held", False):
        return contextlib.nullcontext()
    if _blas_controller is None:
        _blas_controller = ThreadpoolController()
    return _held(_blas_controller)


@contextlib.contextmanager
def _held(controller: ThreadpoolController) -> Iterator[None]:
    with controller.limit(limits=1, user_api="blas"):
        _blas_limit.held = True
        try:
            yield
        finally:
            _blas_limit.held = False


def _sub_state(state: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}


def model_from_state(state: Mapping[str, np.ndarray]) -> Recommender:
    """Rebuild a fitted model of any registered class from `get_state()` output."""
    name = str(state["name"])
    if name not in _REGISTRY and name.isidentifier():
        # Model names are their module names, so a class not imported yet can be found and registered.
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(f"recommender.models.{name}")
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r} in saved state; known models: {sorted(_REGISTRY)}")
    params = json.loads(str(state["params_json"]))
    return _REGISTRY[name](**params).set_state(state)


def load_model(path: str | Path) -> Recommender:
    with np.load(path, allow_pickle=False) as archive:
        return model_from_state({key: archive[key] for key in archive.files})


def registered_models() -> dict[str, type[Recommender]]:
    return dict(_REGISTRY)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest finite scores, best first (ties broken by lower index)."""
    finite = np.isfinite(scores)
    k = min(k, int(finite.sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    candidates = np.flatnonzero(finite) if not finite.all() else None
    values = scores[candidates] if candidates is not None else scores
    part = np.argpartition(-values, k - 1)[:k] if k < len(values) else np.arange(len(values))
    # lexsort: primary key score descending, secondary index ascending, for deterministic ties.
    ordered = part[np.lexsort((part, -values[part]))]
    return candidates[ordered] if candidates is not None else ordered


def largest_contributions(
    kind: str, sources: np.ndarray, parts: np.ndarray, top: int
) -> list[list[Contribution]]:
    """Per column of `parts` (sources x explained titles), its `top` non-zero entries by absolute weight
    (ties keep their order), as contributions of `kind` whose sources are the matching entries of `sources`."""
    order = np.argsort(-np.abs(parts), axis=0, kind="stable")[:top]
    values = np.take_along_axis(parts, order, axis=0).T.tolist()
    names = np.asarray(sources)[order].T.tolist()
    return [
        [
            Contribution(kind, str(name), weight)
            for name, weight in zip(column_names, column, strict=True)
            if weight
        ]
        for column_names, column in zip(names, values, strict=True)
    ]


def as_history(row: sp.spmatrix | np.ndarray, n_items: int) -> sp.csr_matrix:
    """Accept a csr row or a dense vector; check its width. A float32 csr row is used as it is (no copy):
    every model call of a recommendation goes through here."""
    is_ready = isinstance(row, sp.csr_matrix) and row.dtype == np.float32
    history = row if is_ready else sp.csr_matrix(row, dtype=np.float32)
    if history.shape != (1, n_items):
        raise ValueError(
            f"history must be 1 x {n_items} (one row over the model's items), got {history.shape}"
        )
    return history
