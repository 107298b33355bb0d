"""`import_interactions`: a ratings file (plus its items file) into accounts, ratings and viewing events.

Each data-set user becomes an Account `<source>:<user id>` with one profile. Each row becomes:
- a completed ViewingEvent at the row's timestamp, unique per (profile, title, time), so the
  recommender sees the view; a row repeated with another timestamp is another viewing;
- a thumbs Rating per (profile, title) holding the raw score (see accountdb.importers.thumbs for
  the mapping); when a pair is rated several times the latest timestamp wins.

Rows whose item is neither in the items file nor already in the database are skipped and reported:
inventing nameless placeholder titles would put them in front of subscribers.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from accountdb.engine import session_scope
from accountdb.importers.batches import run_batch
from accountdb.importers.bulk import chunks, in_values, insert_rows, insert_rows_returning_ids, lookup_chunk
from accountdb.importers.catalog import account_regions
from accountdb.importers.items import import_items
from accountdb.importers.report import ImportReport
from accountdb.importers.sources import check_source, derive_source, external_id
from accountdb.importers.thumbs import SUPPORTED_SCALES, scale_for, thumbs_for
from accountdb.models import Account, Profile, Rating, Title, ViewingEvent
from recommender.io import (
    InteractionRow,
    ProgressCallback,
    RowError,
    load_interactions,
    read_interactions,
    sniff_interaction_format,
)

logger = logging.getLogger(__name__)

DEFAULT_INTERACTIONS_BATCH_SIZE = 5000
DEFAULT_COUNTRY = "US"
# Addresses under the reserved `.invalid` TLD (RFC 2606) can never receive mail, so a marketing job
# pointed at imported accounts cannot message real people.
IMPORTED_EMAIL_DOMAIN = "import.invalid"
IMPORTED_PROFILE_NAME = "Main"
_MAX_USER_ID = 60


class RatingScaleError(ValueError):
    """The scores of a ratings file do not fit a supported scale."""


@dataclass(frozen=True, slots=True)
class _KnownTitle:
    id: int
    runtime_minutes: int | None


def detect_rating_scale(path: Path, fmt: str) -> float:
    """5 or 10, from the highest score in the file (malformed rows are ignored here, reported later)."""
    scores = load_interactions(path, fmt, strict=False).ratings
    highest = float(scores.max()) if len(scores) else 0.0
    scale = scale_for(highest)
    if scale is None:
        supported = " or ".join(f"{s:g}" for s in SUPPORTED_SCALES)
        raise RatingScaleError(
            f"{path}: the highest score is {highest:g}, above every supported scale ({supported}); "
            "rescale the scores to 0-5 or 0-10"
        )
    return scale


def import_interactions(
    engine: Engine,
    ratings_path: str | Path,
    items_path: str | Path | None = None,
    fmt: str = "auto",
    source: str | None = None,
    *,
    rating_scale: float | None = None,
    country: str = DEFAULT_COUNTRY,
    regions: tuple[str, ...] | None = None,
    batch_size: int = DEFAULT_INTERACTIONS_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Upsert a ratings file (and first its items file); running it twice changes nothing.

    `source` prefixes every external id (default: 'movietweetings' or 'movielens' when the path
    names the data set, else 'ratings'). `rating_scale` is 5 or 10 (default: from the highest
    score). New accounts get `country`; imported titles are made available in `regions` (default:
    every region with accounts, plus `country`). Raises recommender.io.InteractionFileError /
    ItemFileError for unreadable files and RatingScaleError for scores on no supported scale.
    """
    ratings_path = Path(ratings_path)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    resolved_fmt = sniff_interaction_format(ratings_path) if fmt == "auto" else fmt
    rows = read_interactions(ratings_path, resolved_fmt, on_progress)  # checks the file before writing
    source = check_source(source or derive_source(ratings_path, "ratings"))
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ValueError(f"country {country!r} is not an ISO 3166-1 alpha-2 code such as US or GB")
    if rating_scale is None:
        rating_scale = detect_rating_scale(ratings_path, resolved_fmt)
    elif rating_scale not in SUPPORTED_SCALES:
        raise RatingScaleError(f"rating scale {rating_scale:g} is not supported; use 5 or 10")
    if regions is None:
        regions = tuple(sorted({*account_regions(engine), country}))

    report = ImportReport(f"ratings (scale 0-{rating_scale:g})", ratings_path, source)
    if items_path is not None:
        items_report = import_items(engine, Path(items_path), source, regions, batch_size, on_progress)
        report.parts.append(items_report)
        if items_report.failed_batch is not None:
            return report
    writer = _InteractionWriter(engine, source, country, rating_scale, report)
    batch: list[InteractionRow] = []
    for row in rows:
        report.read += 1
        if isinstance(row, RowError):
            report.skip(row.line, row.reason)
            continue
        reason = writer.problem_with(row)
        if reason:
            report.skip(row.line, reason)
            continue
        batch.append(row)
        if len(batch) >= batch_size:
            if not writer.write(batch):
                break
            batch.clear()
    else:
        writer.write(batch)
    logger.info(
        "imported ratings %s (source %s): %d rows read, %d inserted, %d updated, %d unchanged, %d skipped",
        ratings_path,
        source,
        report.read,
        report.inserted,
        report.updated,
        report.unchanged,
        len(report.skipped),
    )
    return report


class _InteractionWriter:
    """Writes batches of valid rows; caches the source's titles and profiles for the whole import."""

    def __init__(self, engine: Engine, source: str, country: str, scale: float, report: ImportReport) -> None:
        self.engine = engine
        self.source = source
        self.country = country
        self.scale = scale
        self.report = report
        self.prefix = f"{source}:"
        with session_scope(engine) as session:
            self.titles = self._load_titles(session)
            self.profiles = self._load_profiles(session)
        # A completed viewing lasted the title's runtime; 0 when the data set does not say.
        self.runtime_of = {t.id: t.runtime_minutes or 0 for t in self.titles.values()}

    def _load_titles(self, session: Session) -> dict[str, _KnownTitle]:
        query = select(Title.external_id, Title.id, Title.runtime_minutes).where(
            Title.external_id.startswith(self.prefix, autoescape=True)
        )
        cut = len(self.prefix)
        return {ext[cut:]: _KnownTitle(id_, runtime) for ext, id_, runtime in session.execute(query)}

    def _load_profiles(self, session: Session) -> dict[str, int]:
        # An imported account has one profile; if someone added more, ratings go to the first one.
        query = (
            select(Account.external_id, func.min(Profile.id))
            .join(Profile, Profile.account_id == Account.id)
            .where(Account.external_id.startswith(self.prefix, autoescape=True))
            .group_by(Account.external_id)
        )
        cut = len(self.prefix)
        return {ext[cut:]: profile_id for ext, profile_id in session.execute(query)}

    def problem_with(self, row: InteractionRow) -> str | None:
        """Why `row` cannot be imported, or None."""
        if row.item_id not in self.titles:
            return (
                f"item {row.item_id} is neither in the items file nor in the database "
                f"(as {self.prefix}{row.item_id}); pass the matching items file with --items"
            )
        if not 0 <= row.rating <= self.scale:
            return f"rating {row.rating:g} is outside the 0-{self.scale:g} scale"
        if len(row.user_id) > _MAX_USER_ID:
            return f"user id is longer than {_MAX_USER_ID} characters"
        return None

    def write(self, rows: list[InteractionRow]) -> bool:
        """Write one batch in one transaction; False when the database refused it (the import stops)."""
        if not rows:
            return True
        result = run_batch(
            self.engine, self.report, (rows[0].line, rows[-1].line), lambda s: self._write(s, rows)
        )
        if result is None:
            return False
        outcomes, new_profiles, tallies = result
        # Only now that the batch is committed may later batches rely on its accounts.
        self.profiles.update(new_profiles)
        for outcome in outcomes:
            self.report.count(outcome)
        self.report.details.update(tallies)
        return True

    def _write(self, session: Session, rows: list[InteractionRow]) -> tuple[list[str], dict[str, int], dict]:
        new_profiles = self._create_users(session, sorted({r.user_id for r in rows} - self.profiles.keys()))
        profile_of = self.profiles | new_profiles
        keyed = [(profile_of[r.user_id], self.titles[r.item_id].id, r) for r in rows]
        created = set(new_profiles.values())
        old_pairs = sorted({(p, t) for p, t, _ in keyed if p not in created})

        latest: dict[tuple[int, int], InteractionRow] = {}
        for profile_id, title_id, row in keyed:
            kept = latest.get((profile_id, title_id))
            if kept is None or row.timestamp >= kept.timestamp:
                latest[(profile_id, title_id)] = row
        rating_outcome = self._upsert_ratings(session, latest, old_pairs)
        event_is_new = self._insert_events(session, keyed, old_pairs)

        outcomes = []
        for (profile_id, title_id, row), new_event in zip(keyed, event_is_new, strict=True):
            is_latest = latest[(profile_id, title_id)] is row
            rated = rating_outcome.get((profile_id, title_id)) if is_latest else None
            if rated == "updated":
                outcomes.append("updated")
            elif rated == "inserted" or new_event:
                outcomes.append("inserted")
            else:
                outcomes.append("unchanged")
        tallies = {
            "accounts created": len(new_profiles),
            "viewing events inserted": sum(event_is_new),
            "ratings inserted": sum(1 for o in rating_outcome.values() if o == "inserted"),
            "ratings updated": sum(1 for o in rating_outcome.values() if o == "updated"),
            "lukewarm scores (viewing only, no thumbs)": sum(
                1 for r in latest.values() if thumbs_for(r.rating, self.scale) is None
            ),
        }
        return outcomes, new_profiles, tallies

    def _create_users(self, session: Session, user_ids: list[str]) -> dict[str, int]:
        if not user_ids:
            return {}
        now = datetime.now(UTC)
        account_rows = [
            {
                "external_id": external_id(self.source, user_id),
                "email": _imported_email(self.source, user_id),
                "name": f"{self.source} user {user_id}",
                "country": self.country,
                "language": "en",
                "marketing_consent": False,
                "created_at": now,
            }
            for user_id in user_ids
        ]
        account_ids = insert_rows_returning_ids(session, Account, account_rows, "external_id")
        # Each new account gets exactly one profile, so the account id identifies it.
        profile_ids = insert_rows_returning_ids(
            session,
            Profile,
            [
                {
                    "account_id": account_ids[row["external_id"]],
                    "name": IMPORTED_PROFILE_NAME,
                    "created_at": now,
                }
                for row in account_rows
            ],
            "account_id",
        )
        cut = len(self.prefix)
        return {ext[cut:]: profile_ids[account_id] for ext, account_id in account_ids.items()}

    def _upsert_ratings(
        self,
        session: Session,
        latest: dict[tuple[int, int], InteractionRow],
        old_pairs: list[tuple[int, int]],
    ) -> dict[tuple[int, int], str]:
        """Insert, update or remove the thumbs rating of each pair; returns what happened per pair."""
        existing = {
            (profile_id, title_id): (rating_id, value, score, rated_at)
            for profile_id, title_id, rating_id, value, score, rated_at in _rows_for_pairs(
                session,
                select(
                    Rating.profile_id, Rating.title_id, Rating.id, Rating.value, Rating.score, Rating.rated_at
                ),
                Rating,
                old_pairs,
            )
        }
        inserts, updates, removals = [], [], []
        outcome: dict[tuple[int, int], str] = {}
        for (profile_id, title_id), row in latest.items():
            value = thumbs_for(row.rating, self.scale)
            rated_at = datetime.fromtimestamp(row.timestamp, UTC)
            current = existing.get((profile_id, title_id))
            if current is None:
                if value is not None:
                    inserts.append(
                        {
                            "profile_id": profile_id,
                            "title_id": title_id,
                            "value": value.value,
                            "score": row.rating,
                            "rated_at": rated_at,
                        }
                    )
                    outcome[(profile_id, title_id)] = "inserted"
                continue
            rating_id, current_value, current_score, current_rated_at = current
            if value is None:
                # The file now holds a lukewarm score: an imported thumbs rating no longer applies. A
                # rating without a score was given in the app and is not the importer's to remove.
                if current_score is not None:
                    removals.append(rating_id)
                    outcome[(profile_id, title_id)] = "updated"
                continue
            if (current_value, current_score, current_rated_at) != (value.value, row.rating, rated_at):
                updates.append(
                    {"id": rating_id, "value": value.value, "score": row.rating, "rated_at": rated_at}
                )
                outcome[(profile_id, title_id)] = "updated"
        insert_rows(session, Rating, inserts)
        if updates:
            session.execute(update(Rating), updates)
        for part in chunks(removals, lookup_chunk(session)):
            session.execute(delete(Rating).where(in_values(session, Rating.id, part)))
        return outcome

    def _insert_events(
        self, session: Session, keyed: list[tuple[int, int, InteractionRow]], old_pairs: list[tuple[int, int]]
    ) -> list[bool]:
        """Insert a completed viewing per (profile, title, time) not yet recorded; True per new row."""
        recorded = {
            (profile_id, title_id, started_at)
            for profile_id, title_id, started_at in _rows_for_pairs(
                session,
                select(ViewingEvent.profile_id, ViewingEvent.title_id, ViewingEvent.started_at),
                ViewingEvent,
                old_pairs,
            )
        }
        new_rows, is_new = [], []
        for profile_id, title_id, row in keyed:
            started_at = datetime.fromtimestamp(row.timestamp, UTC)
            key = (profile_id, title_id, started_at)
            if key in recorded:
                is_new.append(False)
                continue
            recorded.add(key)
            is_new.append(True)
            new_rows.append(
                {
                    "profile_id": profile_id,
                    "title_id": title_id,
                    "started_at": started_at,
                    "minutes_watched": self.runtime_of[title_id],
                    "completed": True,
                }
            )
        insert_rows(session, ViewingEvent, new_rows)
        return is_new


def _rows_for_pairs(session: Session, query, model, pairs: list[tuple[int, int]]):  # noqa: ANN001, ANN202
    """Rows of `query` whose (profile_id, title_id) is in `pairs`, fetched a few hundred pairs at a time."""
    wanted = set(pairs)
    for part in chunks(pairs, lookup_chunk(session) // 2):
        profile_ids = sorted({p for p, _ in part})
        title_ids = sorted({t for _, t in part})
        for row in session.execute(
            query.where(
                in_values(session, model.profile_id, profile_ids),
                in_values(session, model.title_id, title_ids),
            )
        ):
            if (row[0], row[1]) in wanted:
                yield tuple(row)


def _imported_email(source: str, user_id: str) -> str:
    """A unique, undeliverable address; ids differing only in case get a hash to stay distinct."""
    local = "".join(c if c.isalnum() or c in "._-" else "-" for c in user_id.lower())
    if local != user_id:
        local = f"{local}-{hashlib.sha1(user_id.encode()).hexdigest()[:8]}"
    return f"{source}-{local}@{IMPORTED_EMAIL_DOMAIN}"
