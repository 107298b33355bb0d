"""Items files (u.item, movies.dat, movies.csv) into Title rows, so ratings refer to known titles."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from accountdb.importers.report import ImportReport
from accountdb.importers.sources import external_id
from accountdb.importers.titles import TitleRecord, TitleUpserter, write_title_batch
from accountdb.models import TitleKind
from recommender.io import ProgressCallback, RowError, read_items

logger = logging.getLogger(__name__)

_MAX_TITLE, _MAX_EXTERNAL_ID = 300, 100


def import_items(
    engine: Engine,
    path: Path,
    source: str,
    regions: tuple[str, ...],
    batch_size: int,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Upsert the titles of an items file as movies keyed by `<source>:<item id>`.

    These files know only name, year and genres: maturity, descriptions and credits already in the
    database (e.g. from a catalog import) are left alone. Raises recommender.io.ItemFileError for a
    file that cannot be read at all.
    """
    rows = read_items(path, on_progress)
    report = ImportReport("items (titles)", path, source)
    upserter = TitleUpserter(regions)
    first_line_by_id: dict[str, int] = {}
    batch: list[TitleRecord] = []

    for row in rows:
        report.read += 1
        if isinstance(row, RowError):
            report.skip(row.line, row.reason)
            continue
        if row.item_id in first_line_by_id:
            report.duplicate(
                row.line, f"item {row.item_id} already appeared on line {first_line_by_id[row.item_id]}"
            )
            continue
        key = external_id(source, row.item_id)
        if len(key) > _MAX_EXTERNAL_ID or len(row.title) > _MAX_TITLE:
            report.skip(row.line, f"item id or title of item {row.item_id[:40]} is too long to store")
            continue
        if row.year is not None and not 1870 <= row.year <= 2100:
            report.skip(row.line, f"year {row.year} of item {row.item_id} is not a plausible release year")
            continue
        first_line_by_id[row.item_id] = row.line
        batch.append(TitleRecord(row.line, key, TitleKind.MOVIE.value, row.title, row.year, row.genres))
        if len(batch) >= batch_size and not write_title_batch(engine, report, upserter, batch):
            break
    else:
        write_title_batch(engine, report, upserter, batch)
    logger.info(
        "imported items %s: %d rows read, %d inserted, %d updated, %d unchanged, %d skipped",
        path,
        report.read,
        report.inserted,
        report.updated,
        report.unchanged,
        len(report.skipped),
    )
    return report
