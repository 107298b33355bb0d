"""The long-lived parts of the action server, created once per process and shared by every action.

Loading the catalog, fitting the models and loading the embedding model take seconds; a turn must take
milliseconds. `Services` holds them, refreshes the catalog snapshot when the database's catalog changes,
and `warm_up()` does the slow work at start-up (in the background) instead of in the first user's turn.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from accountdb.engine import data_dir, make_engine
from actions.catalog_index import DescriptionSearch
from actions.catalog_snapshot import CatalogSnapshot, SnapshotCache
from actions.discovery import Discovery
from actions.model_store import ModelCache

logger = logging.getLogger(__name__)


class Services:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._snapshots = SnapshotCache(engine)
        self._models = ModelCache(engine)
        self._lock = threading.Lock()
        self._search: tuple[tuple, DescriptionSearch] | None = None

    def snapshot(self) -> CatalogSnapshot:
        return self._snapshots.current()

    def discovery(self) -> Discovery:
        snapshot = self.snapshot()
        return Discovery(snapshot, self._models.current(snapshot))

    def description_search(self) -> DescriptionSearch:
        snapshot = self.snapshot()
        with self._lock:
            if self._search is None or self._search[0] != snapshot.version:
                self._search = (
                    snapshot.version,
                    DescriptionSearch(snapshot.name_index, data_dir() / "embeddings"),
                )
            return self._search[1]

    def warm_up(self) -> None:
        """Load everything a turn needs, so the first conversation is as fast as the rest."""
        discovery = self.discovery()
        discovery.snapshot.name_index  # noqa: B018 - builds the PhraseMatcher
        self.description_search().warm_up()
        logger.info("action services warm: %d titles, models and embeddings ready", len(discovery.snapshot))


_services: Services | None = None
_services_lock = threading.Lock()


def services() -> Services:
    """The process's services, on the database `accountdb.engine.database_url()` names."""
    global _services
    with _services_lock:
        if _services is None:
            _services = Services(make_engine())
        return _services


def use_services(replacement: Services | None) -> None:
    """Install services on another engine (tests and embedding applications); None resets to default."""
    global _services
    with _services_lock:
        _services = replacement
