"""The catalog as the action server sees it: one in-memory snapshot read from the account database.

Every turn needs titles, their genres, people and regional availability; reading them per message would
cost a dozen queries. The snapshot is loaded once, shared by the name index, the recommender metadata and
the reply cards, and reloaded when the catalog's cheap version stamp (row counts and newest ids) changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import selectinload

from accountdb.engine import session_scope
from accountdb.models import Credit, CreditRole, Title, TitleAvailability
from actions.catalog_index import CatalogEntry, CatalogIndex

logger = logging.getLogger(__name__)

# How often (seconds) a turn may check whether the catalog changed; the check is two aggregate queries.
VERSION_CHECK_INTERVAL = 30.0


@dataclass(frozen=True)
class Availability:
    """A title's status in one region: watchable now, or listed with a reason it cannot be played."""

    region: str
    unavailable_reason: str | None
    available_from: date | None

    @property
    def watchable(self) -> bool:
        return self.unavailable_reason is None


@dataclass(frozen=True)
class TitleFacts:
    """Everything replies and filters need about one title."""

    id: str
    title: str
    year: int | None
    kind: str
    genres: tuple[str, ...]
    moods: tuple[str, ...]
    cast: tuple[str, ...]
    directors: tuple[str, ...]
    runtime_minutes: int | None
    seasons: int | None
    maturity_rating: str
    maturity_rank: int
    description: str
    language: str | None
    countries: tuple[str, ...]
    date_added: date | None
    popularity: float
    availability: dict[str, Availability] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    @property
    def watchable_regions(self) -> frozenset[str]:
        return frozenset(region for region, status in self.availability.items() if status.watchable)

    def watchable_in(self, region: str) -> bool:
        status = self.availability.get(region)
        return status is not None and status.watchable


class CatalogSnapshot:
    """Immutable catalog view: ``titles`` by string id, plus derived indexes built on first use."""

    def __init__(self, titles: Iterable[TitleFacts], version: tuple) -> None:
        self.titles: dict[str, TitleFacts] = {facts.id: facts for facts in titles}
        self.version = version

    def __len__(self) -> int:
        return len(self.titles)

    def get(self, title_id: str | int | None) -> TitleFacts | None:
        return None if title_id is None else self.titles.get(str(title_id))

    @cached_property
    def name_index(self) -> CatalogIndex:
        return CatalogIndex(
            CatalogEntry(
                id=facts.id,
                title=facts.title,
                year=facts.year,
                kind=facts.kind,
                genres=facts.genres,
                moods=facts.moods,
                people=facts.cast + facts.directors,
                description=facts.description,
            )
            for facts in self.titles.values()
        )

    def metadata_records(self) -> list[dict]:
        """Records for recommender.dataset.ItemMetadata.from_records.

        ``regions`` lists where a title is watchable now. A title watchable nowhere gets the placeholder
        region "--" so that the recommender, which reads an empty list as "everywhere", never offers it.
        """
        records = []
        for facts in self.titles.values():
            regions = sorted(facts.watchable_regions) or [UNAVAILABLE_EVERYWHERE]
            records.append(
                {
                    "item_id": facts.id,
                    "title": facts.title,
                    "kind": facts.kind,
                    "genres": list(facts.genres),
                    "moods": list(facts.moods),
                    "runtime_minutes": facts.runtime_minutes,
                    "seasons": facts.seasons,
                    "release_year": facts.year,
                    "language": facts.language or "",
                    "countries": list(facts.countries),
                    "maturity_rank": facts.maturity_rank,
                    "regions": regions,
                    # The recommender matches a requested person in the title's text; the credits go there.
                    "description": _with_credits(facts),
                    "date_added": facts.date_added,
                }
            )
        return records


UNAVAILABLE_EVERYWHERE = "--"


def _with_credits(facts: TitleFacts) -> str:
    parts = [facts.description.strip()]
    if facts.cast:
        parts.append(f"With {', '.join(facts.cast)}.")
    if facts.directors:
        parts.append(f"Directed by {', '.join(facts.directors)}.")
    return " ".join(part for part in parts if part)


def catalog_version(engine: Engine) -> tuple:
    """A cheap stamp that changes when titles or their availability are added, removed or re-imported."""
    with session_scope(engine) as session:
        titles = session.execute(
            select(func.count(Title.id), func.max(Title.id), func.max(Title.date_added))
        ).one()
        availability = session.execute(
            select(func.count(), func.count(TitleAvailability.unavailable_reason)).select_from(
                TitleAvailability
            )
        ).one()
    return (*tuple(titles), *tuple(availability))


def load_snapshot(engine: Engine) -> CatalogSnapshot:
    started = time.perf_counter()
    version = catalog_version(engine)
    with session_scope(engine) as session:
        rows = session.scalars(
            select(Title).options(
                selectinload(Title.genres),
                selectinload(Title.tags),
                selectinload(Title.credits).selectinload(Credit.person),
                selectinload(Title.countries),
                selectinload(Title.availability),
            )
        ).all()
        facts = [_facts(title) for title in rows]
    snapshot = CatalogSnapshot(facts, version)
    logger.info("loaded catalog snapshot: %d titles in %.2f s", len(snapshot), time.perf_counter() - started)
    return snapshot


def _facts(title: Title) -> TitleFacts:
    return TitleFacts(
        id=str(title.id),
        title=title.name,
        year=title.release_year,
        kind=title.kind,
        genres=tuple(genre.name for genre in title.genres),
        moods=tuple(tag.name for tag in title.tags),
        cast=tuple(c.person.name for c in title.credits if c.role == CreditRole.CAST),
        directors=tuple(c.person.name for c in title.credits if c.role == CreditRole.DIRECTOR),
        runtime_minutes=title.runtime_minutes,
        seasons=title.seasons,
        maturity_rating=title.maturity_rating,
        maturity_rank=title.maturity_rank,
        description=title.description or "",
        language=title.original_language,
        countries=tuple(country.country for country in title.countries),
        date_added=title.date_added,
        popularity=title.popularity,
        availability={
            row.region: Availability(row.region, row.unavailable_reason, row.available_from)
            for row in title.availability
        },
    )


class SnapshotCache:
    """Holds the current snapshot for the process; reloads it when the catalog's version stamp changes."""

    def __init__(self, engine: Engine, check_interval: float = VERSION_CHECK_INTERVAL) -> None:
        self._engine = engine
        self._check_interval = check_interval
        self._lock = threading.Lock()
        self._snapshot: CatalogSnapshot | None = None
        self._checked_at = 0.0

    def current(self) -> CatalogSnapshot:
        with self._lock:
            now = time.monotonic()
            if self._snapshot is None:
                self._snapshot = load_snapshot(self._engine)
                self._checked_at = now
            elif now - self._checked_at >= self._check_interval:
                self._checked_at = now
                if catalog_version(self._engine) != self._snapshot.version:
                    logger.info("catalog changed; reloading the snapshot")
                    self._snapshot = load_snapshot(self._engine)
            return self._snapshot
