"""Upsert a batch of titles keyed by Title.external_id, with genres, credits, countries and regions.

Shared by the catalog importer (which knows everything about a title) and the items files of the
interactions importer (which know only name, year and genres). A field given as None means "this
file does not say": new titles get the column default, existing titles keep what they have.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from accountdb import maturity
from accountdb.importers.batches import run_batch
from accountdb.importers.bulk import chunks, in_values, insert_rows, insert_rows_returning_ids, lookup_chunk
from accountdb.importers.lookups import NameIds
from accountdb.importers.report import ImportReport
from accountdb.models import (
    Credit,
    CreditRole,
    Genre,
    Person,
    Title,
    TitleAvailability,
    TitleCountry,
    title_genres,
)

Outcome = Literal["inserted", "updated", "unchanged"]

# Scalar columns an import may set, in the order they are compared.
_SCALARS = (
    "kind",
    "name",
    "release_year",
    "maturity_rating",
    "maturity_rank",
    "runtime_minutes",
    "seasons",
    "description",
    "date_added",
)


@dataclass(frozen=True, slots=True)
class TitleRecord:
    line: int
    external_id: str
    kind: str
    name: str
    release_year: int | None
    genres: tuple[str, ...]
    maturity_label: str | None = None  # canonical label, or None when the file does not say
    runtime_minutes: int | None = None
    seasons: int | None = None
    description: str | None = None
    date_added: date | None = None
    directors: tuple[str, ...] | None = None
    cast: tuple[str, ...] | None = None
    countries: tuple[str, ...] | None = None  # ISO alpha-2 codes

    @property
    def complete(self) -> bool:
        """Whether the record describes the whole title (catalog rows) or only part of it (items files)."""
        return self.directors is not None

    def scalar_values(self) -> dict[str, object]:
        values: dict[str, object] = {"kind": self.kind, "name": self.name, "release_year": self.release_year}
        if self.complete or self.maturity_label is not None:
            label = maturity.canonical_label(self.maturity_label)
            values["maturity_rating"] = label
            values["maturity_rank"] = maturity.rank(label)
        if self.complete:
            values |= {
                "runtime_minutes": self.runtime_minutes,
                "seasons": self.seasons,
                "description": self.description or "",
                "date_added": self.date_added,
            }
        return values


class TitleUpserter:
    """Writes batches of TitleRecords; holds the per-import genre and person caches."""

    def __init__(self, regions: tuple[str, ...]) -> None:
        self.regions = regions
        self.genre_ids = NameIds(Genre)
        self.person_ids = NameIds(Person)

    def upsert(self, session: Session, records: list[TitleRecord]) -> tuple[dict[str, int], list[Outcome]]:
        """Write `records` (distinct external ids); returns external_id -> title id and one outcome each."""
        existing = self._existing(session, [r.external_id for r in records])
        outcomes: list[Outcome] = []
        to_insert: list[TitleRecord] = []
        to_update: list[dict[str, object]] = []
        for record in records:
            current = existing.get(record.external_id)
            if current is None:
                to_insert.append(record)
                outcomes.append("inserted")
                continue
            wanted = record.scalar_values()
            if any(current[column] != value for column, value in wanted.items()):
                to_update.append({"id": current["id"], **_full_scalars(current, wanted)})
                outcomes.append("updated")
            else:
                outcomes.append("unchanged")
        ids = {external_id: row["id"] for external_id, row in existing.items()}
        ids.update(
            insert_rows_returning_ids(
                session, Title, [_new_title_values(record) for record in to_insert], "external_id"
            )
        )
        if to_update:
            session.execute(update(Title), to_update)
        changed_links = self._sync_links(session, records, ids, set(existing))
        for index, record in enumerate(records):
            if outcomes[index] == "unchanged" and record.external_id in changed_links:
                outcomes[index] = "updated"
        return ids, outcomes

    # -- reading what is there --------------------------------------------------------------------

    def _existing(self, session: Session, external_ids: list[str]) -> dict[str, dict[str, object]]:
        columns = [Title.id, Title.external_id, *(getattr(Title, name) for name in _SCALARS)]
        found: dict[str, dict[str, object]] = {}
        for part in chunks(external_ids, lookup_chunk(session)):
            query = select(*columns).where(in_values(session, Title.external_id, part))
            for row in session.execute(query).mappings():
                found[row["external_id"]] = dict(row)
        return found

    # -- genres, credits, countries, availability ---------------------------------------------------

    def _sync_links(
        self, session: Session, records: list[TitleRecord], ids: dict[str, int], existed: set[str]
    ) -> set[str]:
        """Make each title's links match its record; returns the external ids whose links changed."""
        old_ids = [ids[r.external_id] for r in records if r.external_id in existed]
        current_genres = _grouped(
            session,
            select(title_genres.c.title_id, Genre.name).join(Genre, Genre.id == title_genres.c.genre_id),
            title_genres.c.title_id,
            old_ids,
        )
        current_credits = _grouped(
            session,
            select(Credit.title_id, Person.name, Credit.role, Credit.position).join(Person),
            Credit.title_id,
            old_ids,
        )
        current_countries = _grouped(
            session, select(TitleCountry.title_id, TitleCountry.country), TitleCountry.title_id, old_ids
        )
        current_regions = _grouped(
            session,
            select(TitleAvailability.title_id, TitleAvailability.region),
            TitleAvailability.title_id,
            old_ids,
        )
        genre_ids = self.genre_ids.resolve(session, (g for r in records for g in r.genres))
        person_ids = self.person_ids.resolve(
            session, (p for r in records for p in (*(r.directors or ()), *(r.cast or ())))
        )

        changed: set[str] = set()
        genre_rows: list[dict[str, int]] = []
        credit_rows: list[dict[str, object]] = []
        country_rows: list[dict[str, object]] = []
        region_rows: list[dict[str, object]] = []
        replace_genres: list[int] = []
        replace_credits: list[int] = []
        replace_countries: list[int] = []
        for record in records:
            title_id = ids[record.external_id]
            wanted_genres = set(record.genres)
            if wanted_genres != set(current_genres.get(title_id, ())):
                replace_genres.append(title_id)
                genre_rows += [
                    {"title_id": title_id, "genre_id": genre_ids[g]} for g in sorted(wanted_genres)
                ]
                changed.add(record.external_id)
            if record.complete:
                wanted_credits = _credits(record)
                if wanted_credits != sorted(current_credits.get(title_id, ())):
                    replace_credits.append(title_id)
                    credit_rows += [
                        {
                            "title_id": title_id,
                            "person_id": person_ids[name],
                            "role": role,
                            "position": position,
                        }
                        for name, role, position in wanted_credits
                    ]
                    changed.add(record.external_id)
                wanted_countries = set(record.countries or ())
                if wanted_countries != set(current_countries.get(title_id, ())):
                    replace_countries.append(title_id)
                    country_rows += [{"title_id": title_id, "country": c} for c in sorted(wanted_countries)]
                    changed.add(record.external_id)
            # Regions are only ever added: an operator may have withdrawn a title from a region by hand.
            missing_regions = set(self.regions) - set(current_regions.get(title_id, ()))
            if missing_regions:
                region_rows += [{"title_id": title_id, "region": r} for r in sorted(missing_regions)]
                if record.external_id in existed:
                    changed.add(record.external_id)

        for table_column, title_ids in (
            (title_genres.c.title_id, replace_genres),
            (Credit.title_id, replace_credits),
            (TitleCountry.title_id, replace_countries),
        ):
            for part in chunks(title_ids, lookup_chunk(session)):
                session.execute(delete(table_column.table).where(in_values(session, table_column, part)))
        insert_rows(session, title_genres, genre_rows)
        insert_rows(session, Credit, credit_rows)
        insert_rows(session, TitleCountry, country_rows)
        insert_rows(session, TitleAvailability, region_rows)
        return changed


def _credits(record: TitleRecord) -> list[tuple[str, str, int]]:
    directors = [(name, CreditRole.DIRECTOR.value, i) for i, name in enumerate(record.directors or ())]
    cast = [(name, CreditRole.CAST.value, i) for i, name in enumerate(record.cast or ())]
    return sorted(directors + cast)


def _grouped(session: Session, query, key_column, title_ids: list[int]) -> dict[int, list]:  # noqa: ANN001
    """Rows of `query` for `title_ids`, grouped by title id (the first column); the rest as tuples."""
    grouped: dict[int, list] = defaultdict(list)
    for part in chunks(title_ids, lookup_chunk(session)):
        for row in session.execute(query.where(in_values(session, key_column, part))):
            title_id, *rest = row
            grouped[title_id].append(rest[0] if len(rest) == 1 else tuple(rest))
    return grouped


def _new_title_values(record: TitleRecord) -> dict[str, object]:
    values = {
        "external_id": record.external_id,
        "maturity_rating": maturity.UNRATED_LABEL,
        "maturity_rank": maturity.ADULT_RANK,
        "runtime_minutes": None,
        "seasons": None,
        "description": "",
        "date_added": None,
        "popularity": 0.0,
    }
    return values | record.scalar_values()


def _full_scalars(current: dict[str, object], wanted: dict[str, object]) -> dict[str, object]:
    # Every row of a bulk UPDATE carries the same columns, so one statement serves the whole batch.
    return {column: wanted.get(column, current[column]) for column in _SCALARS}


def write_title_batch(
    engine: Engine, report: ImportReport, upserter: TitleUpserter, batch: list[TitleRecord]
) -> bool:
    """Upsert `batch` in one transaction, count the outcomes and empty it; False when the database refused it."""
    if not batch:
        return True
    outcomes = run_batch(
        engine, report, (batch[0].line, batch[-1].line), lambda session: upserter.upsert(session, batch)[1]
    )
    if outcomes is None:
        return False
    for outcome in outcomes:
        report.count(outcome)
    batch.clear()
    return True
