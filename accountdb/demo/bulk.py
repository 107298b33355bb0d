"""Fast bulk loading for the seeder: executemany on SQLite, COPY on PostgreSQL, both in the caller's transaction.

The ORM would spend minutes on a million rows; here values are converted once per column into what the
driver wants and sent in large batches. Values must already be valid for the schema (the seeder builds
them that way); constraints and foreign keys are still checked by the database.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy import Connection

logger = logging.getLogger(__name__)

# How SQLAlchemy stores DateTime on SQLite (naive UTC here, see accountdb.models.UTCDateTime); rows written
# here must read back and compare exactly like rows the ORM wrote.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
SQLITE_BATCH_ROWS = 50_000


class BulkWriter:
    """Appends rows to tables through one open connection (inside its transaction)."""

    def __init__(self, connection: Connection, on_rows: Callable[[str, int], None] | None = None) -> None:
        self.connection = connection
        self.backend = connection.dialect.name
        self.on_rows = on_rows
        self.counts: dict[str, int] = {}

    def write_rows(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> int:
        """Insert row tuples whose values are Python scalars, dates, aware datetimes, dicts (JSON) or None."""
        if not rows:
            return 0
        as_columns = {
            name: list(values) for name, values in zip(columns, zip(*rows, strict=True), strict=True)
        }
        return self.write_columns(table, as_columns)

    def write_columns(self, table: str, data: dict[str, Any]) -> int:
        """Insert column data: numpy arrays (datetime64[s] included, NaT meaning NULL) or Python lists."""
        columns = list(data)
        converted = [self._convert(values) for values in data.values()]
        count = len(converted[0]) if converted else 0
        if count == 0:
            return 0
        rows = list(zip(*converted, strict=True))
        if self.backend == "postgresql":
            self._copy(table, columns, rows)
        else:
            placeholders = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
            for start in range(0, count, SQLITE_BATCH_ROWS):
                self.connection.exec_driver_sql(statement, rows[start : start + SQLITE_BATCH_ROWS])
        self.counts[table] = self.counts.get(table, 0) + count
        if self.on_rows:
            self.on_rows(table, count)
        return count

    def _copy(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        driver_connection = self.connection.connection.driver_connection
        with (
            driver_connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def _convert(self, values: Any) -> list:
        if isinstance(values, np.ndarray):
            if np.issubdtype(values.dtype, np.datetime64):
                return self._datetimes(values)
            return values.tolist()
        sample = next((value for value in values if value is not None), None)
        if isinstance(sample, dict):
            return [None if value is None else json.dumps(value, sort_keys=True) for value in values]
        if isinstance(sample, dt.datetime):
            if self.backend == "postgresql":
                return list(values)
            return [None if v is None else v.astimezone(dt.UTC).strftime(_SQLITE_DATETIME) for v in values]
        if isinstance(sample, dt.date):
            return [None if value is None else value.isoformat() for value in values]
        return list(values)

    def _datetimes(self, values: np.ndarray) -> list:
        if values.dtype == np.dtype("datetime64[D]"):
            text = np.datetime_as_string(values, unit="D").tolist()
            return [None if value == "NaT" else value for value in text]
        text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s").tolist()
        suffix = "+00" if self.backend == "postgresql" else ".000000"
        return [None if value == "NaT" else value.replace("T", " ") + suffix for value in text]


@contextmanager
def deferred_indexes(connection: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the secondary indexes of `tables` for the duration of a bulk load, then rebuild them.

    Building an index once over sorted data is much cheaper than updating it row by row in random order
    (e.g. viewing events by title). Indexes that back constraints (primary keys, UNIQUE constraints) stay.
    Both backends run DDL inside the caller's transaction, so a failed load restores them too.
    """
    saved: list[tuple[str, str]] = []
    for table in tables:
        if connection.dialect.name == "postgresql":
            rows = connection.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %(table)s AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                {"table": table},
            )
        else:
            rows = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table,),
            )
        saved.extend((name, definition) for name, definition in rows)
    for name, _ in saved:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, definition in saved:
        connection.exec_driver_sql(definition)
    logger.debug("rebuilt %d indexes after the bulk load", len(saved))
