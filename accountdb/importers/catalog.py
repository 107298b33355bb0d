"""`import_catalog`: the public streaming-catalog CSV into Title rows, upserted on `<source>:<show_id>`."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, select

from accountdb import maturity
from accountdb.engine import session_scope
from accountdb.importers.countries import country_code
from accountdb.importers.report import ImportReport
from accountdb.importers.sources import check_source, external_id
from accountdb.importers.titles import TitleRecord, TitleUpserter, write_title_batch
from accountdb.models import Account
from recommender.io import CatalogRow, ProgressCallback, RowError, read_catalog_csv

logger = logging.getLogger(__name__)

DEFAULT_CATALOG_SOURCE = "catalog"
DEFAULT_CATALOG_BATCH_SIZE = 500

# Column widths of the titles/people/genres tables; longer values are refused, never cut short.
_MAX_TITLE, _MAX_NAME, _MAX_GENRE, _MAX_EXTERNAL_ID = 300, 200, 80, 100


def account_regions(engine: Engine) -> tuple[str, ...]:
    """The regions (account countries) the service has subscribers in."""
    with session_scope(engine) as session:
        return tuple(sorted(session.scalars(select(Account.country).distinct())))


def import_catalog(
    engine: Engine,
    path: str | Path,
    *,
    source: str = DEFAULT_CATALOG_SOURCE,
    batch_size: int = DEFAULT_CATALOG_BATCH_SIZE,
    regions: tuple[str, ...] | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Upsert every title of a catalog CSV; running it twice changes nothing.

    Titles are keyed by `<source>:<show_id>`. A later row repeating a show_id, or the title, year
    and type of an earlier row, is reported as a duplicate and skipped. Titles are made available
    in `regions` (default: every region that has accounts); existing availability is never removed.
    Raises recommender.io.CatalogFileError when the file is missing, empty or its header is wrong.
    """
    path = Path(path)
    check_source(source)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    rows = read_catalog_csv(path, on_progress)  # checks the header before anything is written
    report = ImportReport("catalog titles", path, source)
    if regions is None:
        regions = account_regions(engine)
        if not regions:
            report.warn(
                None,
                "no accounts exist yet, so the titles were made available in no region; "
                "pass --available-in or import again after creating accounts",
            )
    upserter = TitleUpserter(regions)
    first_line_by_show_id: dict[str, int] = {}
    first_by_identity: dict[tuple[str, int | None, str], tuple[str, int]] = {}
    batch: list[TitleRecord] = []

    for row in rows:
        report.read += 1
        if isinstance(row, RowError):
            report.skip(row.line, row.reason)
            continue
        earlier_line = first_line_by_show_id.get(row.show_id)
        if earlier_line is not None:
            report.duplicate(row.line, f"show_id {row.show_id} already appeared on line {earlier_line}")
            continue
        identity = (row.title.casefold(), row.release_year, row.kind)
        earlier = first_by_identity.get(identity)
        if earlier is not None:
            report.duplicate(
                row.line,
                f"'{row.title}' ({row.release_year or 'year unknown'}, {row.kind}) is the same title as "
                f"show_id {earlier[0]} on line {earlier[1]}",
            )
            continue
        record = _title_record(row, source, report)
        if record is None:
            continue
        first_line_by_show_id[row.show_id] = row.line
        first_by_identity[identity] = (row.show_id, row.line)
        batch.append(record)
        if len(batch) >= batch_size and not write_title_batch(engine, report, upserter, batch):
            break
    else:
        write_title_batch(engine, report, upserter, batch)
    logger.info(
        "imported catalog %s: %d rows read, %d inserted, %d updated, %d unchanged, %d skipped, %d duplicates",
        path,
        report.read,
        report.inserted,
        report.updated,
        report.unchanged,
        len(report.skipped),
        len(report.duplicates),
    )
    return report


def _title_record(row: CatalogRow, source: str, report: ImportReport) -> TitleRecord | None:
    """The row as a TitleRecord; None (and a skipped-row entry) when a value cannot be stored."""
    key = external_id(source, row.show_id)
    if len(key) > _MAX_EXTERNAL_ID:
        report.skip(row.line, f"show_id is longer than {_MAX_EXTERNAL_ID - len(source) - 1} characters")
        return None
    if len(row.title) > _MAX_TITLE:
        report.skip(row.line, f"title is longer than {_MAX_TITLE} characters")
        return None
    too_long = [n for n in (*row.directors, *row.cast) if len(n) > _MAX_NAME]
    too_long += [g for g in row.genres if len(g) > _MAX_GENRE]
    if too_long:
        report.skip(row.line, f"name '{too_long[0][:40]}...' is too long to store")
        return None
    try:
        label = maturity.canonical_label(row.rating)
    except maturity.UnknownMaturityRating:
        # Unrated counts as adults-only, so an unknown label can never expose a title to kids profiles.
        report.warn(
            row.line, f"maturity rating '{row.rating}' is not on the scale; stored as NR (adults only)"
        )
        label = maturity.UNRATED_LABEL
    countries: list[str] = []
    for name in row.countries:
        code = country_code(name)
        if code is None:
            report.warn(row.line, f"country '{name}' is not a known country name; left out")
        elif code not in countries:
            countries.append(code)
    return TitleRecord(
        line=row.line,
        external_id=key,
        kind=row.kind,
        name=row.title,
        release_year=row.release_year,
        genres=row.genres,
        maturity_label=label,
        runtime_minutes=row.runtime_minutes or None,
        seasons=row.seasons or None,
        description=row.description,
        date_added=row.date_added,
        directors=row.directors,
        cast=row.cast,
        countries=tuple(countries),
    )
