"""Insert many rows inside the current transaction, as fast as each backend allows.

On PostgreSQL rows go through COPY: one stream instead of a statement per row, and no multi-thousand-
placeholder SQL text for the driver to parse (which costs more than the database work at 100k rows).
Elsewhere (SQLite) a plain executemany INSERT is already fast.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam, insert, select
from sqlalchemy.orm import Session

from accountdb.models import Base

T = TypeVar("T")

# Well below SQLite's and PostgreSQL's bound-parameter limits.
IN_LIST_CHUNK = 900
# Rows per ANY(array) look-up after a COPY; one bound parameter however long the array.
_ID_LOOKUP_CHUNK = 20_000


def chunks(values: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lookup_chunk(session: Session) -> int:
    """How many values one `in_values` condition may hold on this backend."""
    return _ID_LOOKUP_CHUNK if is_postgres(session) else IN_LIST_CHUNK


def in_values(session: Session, column: ColumnElement, values: Sequence) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `= ANY(array)`, a single parameter however many values."""
    if is_postgres(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _table(target: type[Base] | Table) -> Table:
    return target if isinstance(target, Table) else target.__table__  # type: ignore[return-value]


def insert_rows(session: Session, target: type[Base] | Table, rows: Sequence[Mapping[str, object]]) -> None:
    """INSERT `rows` (dicts with the same keys) into `target`."""
    if not rows:
        return
    if is_postgres(session):
        _copy(session, _table(target), rows)
    else:
        # A Core insert on the table: the ORM's per-row bookkeeping is not needed for plain rows.
        session.connection().execute(insert(_table(target)), list(rows))


def insert_rows_returning_ids(
    session: Session,
    model: type[Base],
    rows: Sequence[Mapping[str, object]],
    key: str,
) -> dict:
    """INSERT `rows` into `model` and return {row[key]: new id}.

    `key` must tell the new rows apart from each other and from every row already in the table with
    the same key value (a unique column, or e.g. the account id of a new account's only profile).
    """
    if not rows:
        return {}
    table = _table(model)
    key_column, id_column = table.c[key], table.c["id"]
    if not is_postgres(session):
        created = session.execute(insert(model).returning(key_column, id_column), list(rows))
        return {row_key: id_ for row_key, id_ in created}
    _copy(session, table, rows)
    keys = [row[key] for row in rows]
    ids: dict = {}
    for part in chunks(keys, _ID_LOOKUP_CHUNK):
        found = session.execute(select(key_column, id_column).where(in_values(session, key_column, part)))
        ids.update({row_key: id_ for row_key, id_ in found})
    return ids


def _copy(session: Session, table: Table, rows: Sequence[Mapping[str, object]]) -> None:
    # COPY skips SQLAlchemy's Python-side column defaults and type processing, so both are done here.
    defaults = {
        column.name: column.default
        for column in table.columns
        if column.name not in rows[0]
        and not column.primary_key
        and column.default is not None
        and (column.default.is_scalar or column.default.is_callable)
    }
    columns = [*rows[0].keys(), *defaults]
    column_list = ", ".join(f'"{name}"' for name in columns)
    driver_connection = session.connection().connection.driver_connection
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy,
    ):
        for row in rows:
            values = [row[name] for name in rows[0]]
            values += [d.arg(None) if d.is_callable else d.arg for d in defaults.values()]
            copy.write_row([v.value if isinstance(v, enum.Enum) else v for v in values])
