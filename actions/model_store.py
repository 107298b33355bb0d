"""The recommender models the action server answers with, fitted from the account database once per process.

Every profile's viewing events and ratings become one weighted interaction per (profile, title), with the
same weights a viewer's own history row uses (actions.viewers.interaction_weight), so that a profile's fresh
feedback, read from the database at each turn, folds into the trained model without retraining.

Besides the personal model, two popularity models serve "what's trending" (time-decayed) and "popular in my
country" (per region). Models are rebuilt when the catalog snapshot changes (new titles need columns).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Engine, case, func, select

from accountdb.engine import session_scope
from accountdb.models import Account, Profile, Rating, ViewingEvent
from actions.catalog_snapshot import CatalogSnapshot
from actions.viewers import interaction_weight
from recommender.dataset import Interactions, ItemMetadata
from recommender.models.base import Recommender
from recommender.models.item_knn import ItemKNNRecommender
from recommender.models.popularity import PopularityRecommender

logger = logging.getLogger(__name__)


def personal_model() -> Recommender:
    """The model behind personal suggestions and "more like X".

    Item-kNN with BM25 weighting: its scores decompose exactly into "because you watched X" contributions,
    and it fits a demo-scale catalog in well under a second.
    """
    return ItemKNNRecommender(weighting="bm25", neighbours=100)


@dataclass(frozen=True)
class Models:
    personal: Recommender
    trending: PopularityRecommender
    popular: PopularityRecommender
    items: ItemMetadata  # aligned to the models' item order
    catalog_version: tuple
    fingerprint: str

    def history_row(self, history: dict[str, float]):  # noqa: ANN201 - scipy csr row
        """A viewer's history as a row over the models' items; titles the models do not know are skipped."""
        known = [
            (title_id, weight) for title_id, weight in history.items() if title_id in self.items.item_index
        ]
        interactions = self.personal.data
        return interactions.history_row([t for t, _ in known], [w for _, w in known])


def _epoch(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def load_interactions(engine: Engine, item_ids: list[str]) -> Interactions:
    """One interaction per (profile, title) from viewing events and ratings, with each profile's region."""
    started = time.perf_counter()
    with session_scope(engine) as session:
        viewing = session.execute(
            select(
                ViewingEvent.profile_id,
                ViewingEvent.title_id,
                func.max(case((ViewingEvent.completed.is_(True), 1), else_=0)),
                func.max(ViewingEvent.started_at),
            ).group_by(ViewingEvent.profile_id, ViewingEvent.title_id)
        ).all()
        ratings = session.execute(
            select(Rating.profile_id, Rating.title_id, Rating.value, Rating.rated_at)
        ).all()
        regions = dict(session.execute(select(Profile.id, Account.country).join(Account)).all())
    cells: dict[tuple[int, int], list] = {}
    for profile_id, title_id, completed, last in viewing:
        cells[(profile_id, title_id)] = [bool(completed), None, _epoch(last)]
    for profile_id, title_id, value, rated_at in ratings:
        cell = cells.setdefault((profile_id, title_id), [None, None, 0.0])
        cell[1] = value
        cell[2] = max(cell[2], _epoch(rated_at))
    known = set(item_ids)
    keys = [key for key in cells if str(key[1]) in known]
    users = [f"profile:{profile_id}" for profile_id, _ in keys]
    items = [str(title_id) for _, title_id in keys]
    weights = np.array([interaction_weight(cells[key][0], cells[key][1]) for key in keys], dtype=np.float32)
    timestamps = np.array([cells[key][2] for key in keys], dtype=np.float64)
    interactions = Interactions.from_arrays(
        users,
        items,
        weights=weights,
        timestamps=timestamps,
        item_ids=item_ids,
        user_regions={f"profile:{profile_id}": country for profile_id, country in regions.items()},
    )
    logger.info(
        "read %d interactions of %d profiles on %d titles in %.2f s",
        len(keys),
        interactions.n_users,
        interactions.n_items,
        time.perf_counter() - started,
    )
    return interactions


def build_models(engine: Engine, snapshot: CatalogSnapshot) -> Models:
    started = time.perf_counter()
    items = ItemMetadata.from_records(snapshot.metadata_records())
    item_ids = [str(i) for i in items.item_ids]
    interactions = load_interactions(engine, item_ids)
    personal = personal_model().fit(interactions, items)
    trending = PopularityRecommender(mode="trending").fit(interactions, items)
    popular = PopularityRecommender(mode="global").fit(interactions, items)
    models = Models(
        personal=personal,
        trending=trending,
        popular=popular,
        items=items.align(interactions.item_ids),
        catalog_version=snapshot.version,
        fingerprint=interactions.fingerprint(),
    )
    logger.info(
        "built recommender models (%s, trending, popular) on %d profiles x %d titles in %.2f s",
        personal.name,
        interactions.n_users,
        interactions.n_items,
        time.perf_counter() - started,
    )
    return models


class ModelCache:
    """The process's models; rebuilt when the catalog snapshot they were built for is replaced."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._models: Models | None = None

    def current(self, snapshot: CatalogSnapshot) -> Models:
        with self._lock:
            if self._models is None or self._models.catalog_version != snapshot.version:
                self._models = build_models(self._engine, snapshot)
            return self._models
