"""Run each batch of an import as one transaction and turn a database failure into a report entry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accountdb.engine import session_scope
from accountdb.importers.report import FailedBatch, ImportReport

logger = logging.getLogger(__name__)

T = TypeVar("T")


def run_batch(
    engine: Engine,
    report: ImportReport,
    lines: tuple[int, int],
    write: Callable[[Session], T],
) -> T | None:
    """Call `write` in one transaction. On a database error the transaction is rolled back, the
    report records the batch's lines as not imported, and None is returned: the caller stops."""
    # COPY (accountdb.importers.bulk) talks to the driver directly, so its errors arrive unwrapped.
    driver_error = engine.dialect.loaded_dbapi.Error
    try:
        with session_scope(engine) as session:
            return write(session)
    except (SQLAlchemyError, driver_error) as exc:
        first_line, last_line = lines
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        report.failed_batch = FailedBatch(first_line, last_line, reason)
        logger.error(
            "database refused lines %d-%d of %s; rolled back that batch and stopped: %s",
            first_line,
            last_line,
            report.path,
            reason,
        )
        return None
