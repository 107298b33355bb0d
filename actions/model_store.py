"""The recommender models the action server answers with.

The personal model (suggestions and "more like X") is the shipped default, the hybrid of
`recommender.models.hybrid`, loaded from its versioned artifact under `<data dir>/recommender/hybrid/current`
(`recommender.artifact`). Fitting it reads the account database and takes minutes at demo scale (most of it
encoding titles for the content base, cached on disk afterwards), so it is not done inside a turn:
`marquee recommender fit` fits it and switches the artifact atomically, and `make demo` runs that once
(`--if-needed`). The action server loads the artifact (0.6 s of CPU at demo scale) at start-up and whenever
the `current` link moves to another version: that is checked at each turn, and the turn that sees the switch
pays the load.

Without an artifact that covers the catalog (none fitted yet, or titles added since the fit), the action server
fits item-kNN with BM25 weighting from the database instead, in about a second at demo scale, and logs that
it did: those suggestions are weaker (NDCG@10 0.205 against the hybrid's 0.243 on the demo world, session-2
bench) but every title of the catalog can be suggested. A title the artifact does not know has no column in
the hybrid, which is why coverage, not age, decides; refit after imports, and periodically so the hybrid's
popularity and co-occurrence reflect new viewing.

Every profile's viewing events and ratings become one weighted interaction per (profile, title), with the
same weights a viewer's own history row uses (actions.viewers.interaction_weight), so that a profile's fresh
feedback, read from the database at each turn, folds into the model without retraining.

Besides the personal model, two popularity models serve "what's trending" (time-decayed) and "popular in my
country" (per region); they are fitted from the database whenever the models are built (under a second at demo
scale), so they follow current viewing. Models are rebuilt when the catalog snapshot changes.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, case, func, select

from accountdb.engine import data_dir, session_scope
from accountdb.models import Account, Profile, Rating, ViewingEvent
from actions.catalog_snapshot import CatalogSnapshot
from actions.viewers import interaction_weight
from recommender import artifact
from recommender.dataset import Interactions, ItemMetadata
from recommender.models.base import Recommender
from recommender.models.hybrid import HybridRecommender
from recommender.models.item_knn import ItemKNNRecommender
from recommender.models.popularity import PopularityRecommender
from recommender.progress import fit_progress

logger = logging.getLogger(__name__)

FIT_COMMAND = "marquee recommender fit"
# Versions kept after a fit: the new one and the one before it, which a running action server may still be
# loading when the new one becomes current.
KEEP_VERSIONS = 2


def artifact_root() -> Path:
    """Where the personal model's artifacts live: `<data dir>/recommender` (`<repo>/var` by default)."""
    return data_dir() / "recommender"


def fallback_model() -> Recommender:
    """The personal model when no fitted artifact covers the catalog.

    Item-kNN with BM25 weighting: its scores decompose exactly into "because you watched X" contributions,
    and it fits a demo-scale catalog in about a second.
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


def catalog_items(snapshot: CatalogSnapshot) -> ItemMetadata:
    return ItemMetadata.from_records(snapshot.metadata_records())


def fit_artifact(
    engine: Engine, snapshot: CatalogSnapshot, root: Path | None = None, show_progress: bool = False
) -> Path:
    """Fit the shipped default model (the hybrid) on the database and make it the current artifact."""
    items = catalog_items(snapshot)
    interactions = load_interactions(engine, [str(i) for i in items.item_ids])
    started, cpu = time.perf_counter(), time.process_time()
    model = HybridRecommender()
    with fit_progress(model, "fitting the recommender") if show_progress else nullcontext():
        model.fit(interactions, items)
    fit_seconds, fit_cpu = time.perf_counter() - started, time.process_time() - cpu
    path = artifact.save(
        model,
        root or artifact_root(),
        items=items,
        metrics=model.validation_report,
        extras={
            "source": "account database",
            "fit_seconds": round(fit_seconds, 3),
            "fit_cpu_seconds": round(fit_cpu, 3),
        },
    )
    prune_versions(path.parent)
    logger.info(
        "fitted %s on %d profiles x %d titles in %.1f s (%.1f s CPU); artifact %s",
        model.name,
        interactions.n_users,
        interactions.n_items,
        fit_seconds,
        fit_cpu,
        path,
    )
    return path


def prune_versions(family: Path, keep: int = KEEP_VERSIONS) -> list[Path]:
    """Delete all but the `keep` newest versions of a model family (the current one is always kept); returns
    what was deleted. At demo scale a version is 130 MiB (measured; 127 of them the model), and every fit
    writes one."""
    current = (family / artifact.CURRENT).resolve()
    versions = sorted(
        (p for p in family.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")),
        key=lambda p: p.name,  # version names start with their UTC creation time
    )
    doomed = [p for p in versions[:-keep] if p != current]
    for version in doomed:
        shutil.rmtree(version, ignore_errors=True)
        logger.info("removed old %s artifact %s", family.name, version.name)
    return doomed


def load_personal(snapshot: CatalogSnapshot, root: Path | None = None) -> Recommender | None:
    """The current hybrid artifact when it can score every title of `snapshot`, else None (logged)."""
    family = (root or artifact_root()) / HybridRecommender.name
    if not (family / artifact.CURRENT).exists():
        logger.warning(
            "no fitted %s artifact under %s; suggestions come from %s until `%s` fits one",
            HybridRecommender.name,
            family,
            fallback_model().name,
            FIT_COMMAND,
        )
        return None
    try:
        loaded = artifact.load(family)
    except artifact.ArtifactError as exc:
        logger.error("cannot use the %s artifact: %s; falling back to %s", family, exc, fallback_model().name)
        return None
    known = loaded.model.data.item_index
    missing = [title_id for title_id in snapshot.titles if title_id not in known]
    if missing:
        logger.warning(
            "the %s artifact %s does not know %d of the catalog's %d titles (e.g. %s); suggestions come from "
            "%s until `%s` refits it",
            HybridRecommender.name,
            loaded.path.name,
            len(missing),
            len(snapshot),
            missing[0],
            fallback_model().name,
            FIT_COMMAND,
        )
        return None
    logger.info(
        "personal model: %s artifact %s, fitted %s on %s",
        HybridRecommender.name,
        loaded.path.name,
        loaded.manifest.get("created"),
        loaded.manifest.get("counts"),
    )
    return loaded.model


def build_models(engine: Engine, snapshot: CatalogSnapshot, root: Path | None = None) -> Models:
    started = time.perf_counter()
    items = catalog_items(snapshot)
    item_ids = [str(i) for i in items.item_ids]
    interactions = load_interactions(engine, item_ids)
    personal = load_personal(snapshot, root) or fallback_model().fit(interactions, items)
    trending = PopularityRecommender(mode="trending").fit(interactions, items)
    popular = PopularityRecommender(mode="global").fit(interactions, items)
    models = Models(
        personal=personal,
        trending=trending,
        popular=popular,
        # The catalog as it is now (availability, maturity), in the personal model's column order.
        items=items.align(personal.data.item_ids),
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


def current_artifact(root: Path | None = None) -> Path | None:
    """The version directory the hybrid's `current` link points at, or None when there is none."""
    link = (root or artifact_root()) / HybridRecommender.name / artifact.CURRENT
    return link.resolve() if link.exists() else None


class ModelCache:
    """The process's models: rebuilt when the catalog snapshot they were built for is replaced, and the
    personal model swapped when `marquee recommender fit` makes another artifact current."""

    def __init__(self, engine: Engine, root: Path | None = None) -> None:
        self._engine = engine
        self._root = root
        self._lock = threading.Lock()
        self._models: Models | None = None
        # The artifact version last looked at (used or refused), so that each new one is loaded once.
        self._seen_artifact: Path | None = None

    def current(self, snapshot: CatalogSnapshot) -> Models:
        with self._lock:
            # Resolved before loading: a switch in between is then seen, and loaded, at the next call.
            target = current_artifact(self._root)
            if self._models is None or self._models.catalog_version != snapshot.version:
                self._models = build_models(self._engine, snapshot, self._root)
            elif target is not None and target != self._seen_artifact:
                personal = load_personal(snapshot, self._root)
                if personal is not None:
                    logger.info("personal model swapped for %s artifact %s", personal.name, target.name)
                    self._models = replace(
                        self._models,
                        personal=personal,
                        items=catalog_items(snapshot).align(personal.data.item_ids),
                    )
            self._seen_artifact = target
            return self._models
