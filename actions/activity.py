"""What a profile does with titles: thumbs, "watched it", My List, and what it is in the middle of.

Each write is one transaction and idempotent, because Rasa retries an action call when the action server
is slow: a second "loved it" updates the same rating row, a second "watched it" finds the completed
viewing event already there, a second "add it to my list" finds the list item.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from accountdb.engine import session_scope
from accountdb.models import MyListItem, Rating, RatingValue, Title, ViewingEvent, utcnow

logger = logging.getLogger(__name__)
T = TypeVar("T")


# SQLite refuses to upgrade a read transaction to a write while another connection writes ("database is
# locked", without waiting); PostgreSQL may report a serialization failure. Both are safe to retry because
# every write here is idempotent.
WRITE_ATTEMPTS = 6
_RETRYABLE = ("database is locked", "database is busy", "could not serialize", "deadlock detected")


def _with_retry(work: Callable[[], T], what: str) -> T:
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return work()
        except OperationalError as exc:
            if attempt == WRITE_ATTEMPTS or not any(text in str(exc).lower() for text in _RETRYABLE):
                raise
            logger.info("%s: concurrent write (attempt %d of %d), retrying", what, attempt, WRITE_ATTEMPTS)
            time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")


class FeedbackKind(StrEnum):
    LOVE = "love"
    UP = "up"
    DOWN = "down"
    WATCHED = "watched"


@dataclass(frozen=True)
class FeedbackResult:
    title_id: str
    kind: FeedbackKind
    changed: bool  # False when the same feedback was already stored


def record_feedback(
    engine: Engine, profile_id: int, title_id: str | int, kind: FeedbackKind
) -> FeedbackResult:
    """Store a thumbs rating (upsert) or a completed viewing (once) for the profile."""

    def work() -> bool:
        with session_scope(engine) as session:
            title = session.get(Title, int(title_id))
            if title is None:
                raise LookupError(f"title {title_id} does not exist")
            if kind is FeedbackKind.WATCHED:
                return _mark_watched(session, profile_id, title)
            return _upsert_rating(session, profile_id, title.id, RatingValue(kind.value))

    changed = _with_retry(work, f"feedback {kind} by profile {profile_id} on title {title_id}")
    logger.info(
        "profile %s feedback %s on title %s (%s)",
        profile_id,
        kind,
        title_id,
        "stored" if changed else "unchanged",
    )
    return FeedbackResult(str(title_id), kind, changed)


def _upsert_rating(session: Session, profile_id: int, title_id: int, value: RatingValue) -> bool:
    existing = session.scalars(
        select(Rating).where(Rating.profile_id == profile_id, Rating.title_id == title_id)
    ).one_or_none()
    if existing is not None:
        if existing.value == value:
            return False
        existing.value = value
        existing.rated_at = utcnow()
        return True
    try:
        # A savepoint, so that a concurrent insert of the same rating only costs this statement.
        with session.begin_nested():
            session.add(Rating(profile_id=profile_id, title_id=title_id, value=value))
    except IntegrityError:
        existing = session.scalars(
            select(Rating).where(Rating.profile_id == profile_id, Rating.title_id == title_id)
        ).one()
        existing.value = value
        existing.rated_at = utcnow()
    return True


def _mark_watched(session: Session, profile_id: int, title: Title) -> bool:
    already = session.scalar(
        select(func.count())
        .select_from(ViewingEvent)
        .where(
            ViewingEvent.profile_id == profile_id,
            ViewingEvent.title_id == title.id,
            ViewingEvent.completed.is_(True),
        )
    )
    if already:
        return False
    session.add(
        ViewingEvent(
            profile_id=profile_id,
            title_id=title.id,
            completed=True,
            # The user told us rather than the player: the whole runtime is the best estimate we have.
            minutes_watched=title.runtime_minutes or 0,
        )
    )
    return True


def add_to_list(engine: Engine, profile_id: int, title_id: str | int) -> bool:
    """Add a title to My List; False when it was already there."""

    def work() -> bool:
        with session_scope(engine) as session:
            if session.get(Title, int(title_id)) is None:
                raise LookupError(f"title {title_id} does not exist")
            exists = session.scalar(
                select(func.count())
                .select_from(MyListItem)
                .where(MyListItem.profile_id == profile_id, MyListItem.title_id == int(title_id))
            )
            if exists:
                return False
            try:
                with session.begin_nested():
                    session.add(MyListItem(profile_id=profile_id, title_id=int(title_id)))
            except IntegrityError:
                return False  # added by a concurrent retry of the same request
            return True

    added = _with_retry(work, f"My List add by profile {profile_id} of title {title_id}")
    if added:
        logger.info("profile %s added title %s to My List", profile_id, title_id)
    return added


def my_list(engine: Engine, profile_id: int) -> list[str]:
    """Title ids on My List, most recently added first."""
    with session_scope(engine) as session:
        ids = session.scalars(
            select(MyListItem.title_id)
            .where(MyListItem.profile_id == profile_id)
            .order_by(MyListItem.added_at.desc(), MyListItem.id.desc())
        ).all()
    return [str(title_id) for title_id in ids]


@dataclass(frozen=True)
class InProgress:
    title_id: str
    minutes_watched: int
    season: int | None
    episode: int | None
    last_watched: datetime


def continue_watching(engine: Engine, profile_id: int, limit: int = 10) -> list[InProgress]:
    """Titles whose latest viewing is unfinished, most recent first, with where the profile stopped."""
    with session_scope(engine) as session:
        latest = (
            select(ViewingEvent.title_id, func.max(ViewingEvent.started_at).label("last"))
            .where(ViewingEvent.profile_id == profile_id)
            .group_by(ViewingEvent.title_id)
            .subquery()
        )
        rows = session.scalars(
            select(ViewingEvent)
            .join(
                latest,
                (ViewingEvent.title_id == latest.c.title_id) & (ViewingEvent.started_at == latest.c.last),
            )
            .where(ViewingEvent.profile_id == profile_id, ViewingEvent.completed.is_(False))
            .order_by(ViewingEvent.started_at.desc(), ViewingEvent.id.desc())
        ).all()
        seen: set[int] = set()
        result = []
        for event in rows:
            if event.title_id in seen:
                continue
            seen.add(event.title_id)
            result.append(
                InProgress(
                    str(event.title_id), event.minutes_watched, event.season, event.episode, event.started_at
                )
            )
    return result[:limit]


@dataclass(frozen=True)
class AudienceScore:
    liked: int
    rated: int

    @property
    def share(self) -> float:
        return self.liked / self.rated if self.rated else 0.0


def audience_score(engine: Engine, title_id: str | int) -> AudienceScore:
    """How many profiles rated the title, and how many of them liked (thumbs up or love) it."""
    with session_scope(engine) as session:
        rated, liked = session.execute(
            select(
                func.count(Rating.id),
                func.count(Rating.id).filter(Rating.value.in_([RatingValue.UP, RatingValue.LOVE])),
            ).where(Rating.title_id == int(title_id))
        ).one()
    return AudienceScore(int(liked or 0), int(rated or 0))
