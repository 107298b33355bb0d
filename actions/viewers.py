"""Who is watching: the profile behind a verified token, with what the recommender needs to know about it.

A viewer is either a signed-in profile (region from the account's country, maturity limit from the
profile, history from viewing events and ratings) or an anonymous visitor (region from the metadata hint,
no history, no private data). A token whose profile does not belong to its account, or whose account is
locked, is refused and the caller is treated as anonymous.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from accountdb import maturity
from accountdb.engine import session_scope
from accountdb.models import Account, AccountStatus, Profile, Rating, RatingValue, ViewingEvent
from actions.identity import Identity

logger = logging.getLogger(__name__)

# Interaction weights for the recommender's history row (fold-in). A thumbs-down subtracts, so a title the
# profile disliked pulls its neighbours down rather than being ignored.
WEIGHT_LOVE = 3.0
WEIGHT_UP = 2.0
WEIGHT_DOWN = -2.0
WEIGHT_COMPLETED = 1.0
WEIGHT_STARTED = 0.5
# Anonymous visitors see the catalog as a public catalog page would: no adult-only (unrated/NC-17) titles.
ANONYMOUS_MATURITY_LIMIT = maturity.MATURITY_SCALE["TV-MA"]


@dataclass(frozen=True)
class Viewer:
    account_id: int | None
    profile_id: int | None
    profile_name: str | None
    is_kids: bool
    maturity_limit: int
    region: str
    # title id -> interaction weight, built from viewing events and ratings (ratings override viewing).
    history: dict[str, float] = field(default_factory=dict)
    watched: frozenset[str] = frozenset()
    disliked: frozenset[str] = frozenset()

    @property
    def signed_in(self) -> bool:
        return self.profile_id is not None

    @property
    def user_key(self) -> str:
        """The id this profile has in the recommender's interaction data."""
        return f"profile:{self.profile_id}" if self.profile_id is not None else "anonymous"


def anonymous(region: str) -> Viewer:
    return Viewer(None, None, None, False, ANONYMOUS_MATURITY_LIMIT, region)


def load_viewer(engine: Engine, identity: Identity) -> Viewer:
    """The viewer for a verified identity; anonymous when there is none or it does not check out."""
    if identity.is_anonymous:
        return anonymous(identity.region_hint)
    with session_scope(engine) as session:
        row = session.execute(
            select(Profile, Account)
            .join(Account, Profile.account_id == Account.id)
            .where(Profile.id == identity.profile_id)
        ).one_or_none()
        if row is None or row.Account.id != identity.account_id:
            logger.warning(
                "refused token: profile %s does not belong to account %s; treating as anonymous",
                identity.profile_id,
                identity.account_id,
            )
            return anonymous(identity.region_hint)
        profile, account = row.Profile, row.Account
        if account.status != AccountStatus.ACTIVE:
            logger.warning(
                "refused token: account %s is %s; treating as anonymous", account.id, account.status
            )
            return anonymous(identity.region_hint)
        history, watched, disliked = _history(session, profile.id)
        return Viewer(
            account_id=account.id,
            profile_id=profile.id,
            profile_name=profile.name,
            is_kids=profile.is_kids,
            maturity_limit=profile.maturity_limit,
            region=account.country,
            history=history,
            watched=watched,
            disliked=disliked,
        )


def interaction_weight(completed: bool | None, rating: str | None) -> float:
    """One profile's weight on one title: its rating if it rated it, else how far it watched."""
    if rating is not None:
        return {RatingValue.LOVE: WEIGHT_LOVE, RatingValue.UP: WEIGHT_UP, RatingValue.DOWN: WEIGHT_DOWN}[
            RatingValue(rating)
        ]
    return WEIGHT_COMPLETED if completed else WEIGHT_STARTED


def _history(session, profile_id: int) -> tuple[dict[str, float], frozenset[str], frozenset[str]]:  # noqa: ANN001
    completed: dict[str, bool] = {}
    for title_id, done in session.execute(
        select(ViewingEvent.title_id, ViewingEvent.completed).where(ViewingEvent.profile_id == profile_id)
    ):
        completed[str(title_id)] = completed.get(str(title_id), False) or bool(done)
    ratings = {
        str(title_id): value
        for title_id, value in session.execute(
            select(Rating.title_id, Rating.value).where(Rating.profile_id == profile_id)
        )
    }
    history = {
        title_id: interaction_weight(completed.get(title_id), ratings.get(title_id))
        for title_id in completed.keys() | ratings.keys()
    }
    disliked = frozenset(title_id for title_id, value in ratings.items() if value == RatingValue.DOWN)
    return history, frozenset(completed), disliked
