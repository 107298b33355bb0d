"""Get-or-create of named rows (genres, people) with a per-import cache, so 100k rows cost few queries."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from accountdb.importers.bulk import chunks, in_values, insert_rows_returning_ids, lookup_chunk
from accountdb.models import Genre, Person


class NameIds:
    """Maps names to ids for a table with a unique `name` column, creating the missing ones.

    The cache lives for one import. An import stops at the first batch the database refuses, so
    ids created inside a rolled-back batch are never used afterwards.
    """

    def __init__(self, model: type[Genre] | type[Person]) -> None:
        self.model = model
        self.ids: dict[str, int] = {}

    def resolve(self, session: Session, names: Iterable[str]) -> dict[str, int]:
        missing = sorted({name for name in names if name not in self.ids})
        for part in chunks(missing, lookup_chunk(session)):
            found = session.execute(
                select(self.model.name, self.model.id).where(in_values(session, self.model.name, part))
            )
            self.ids.update({name: id_ for name, id_ in found})
        to_create = [{"name": name} for name in missing if name not in self.ids]
        self.ids.update(insert_rows_returning_ids(session, self.model, to_create, "name"))
        return self.ids
