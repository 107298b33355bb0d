"""Parental controls: a profile's maturity limit and its lock PIN.

The PIN is hashed (accountdb.security, scrypt) before it reaches the database; it is never returned, logged,
put in an audit entry, or digested into the applied-request record (a hash of 4 digits is reversible).
Changes are refused when made from a kids profile: the controls would protect nothing otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from accountdb import maturity
from accountdb.models import Profile
from accountdb.security import check_pin_format
from accountdb.services import audit
from accountdb.services.actor import Actor
from accountdb.services.errors import AccessDenied, InvalidRequest, NotFound
from accountdb.services.idempotency import apply_once
from accountdb.services.records import account_for

logger = logging.getLogger(__name__)

# The label shown for a rank: the first label on the scale with that rank (TV-Y7 rather than TV-Y7-FV).
RANK_LABELS: dict[int, str] = {}
for _label, _rank in maturity.MATURITY_SCALE.items():
    RANK_LABELS.setdefault(_rank, _label)


@dataclass(frozen=True)
class ProfileControls:
    profile_id: int
    profile_name: str
    is_kids: bool
    maturity_limit: str  # the strongest rating the profile may watch
    maturity_rank: int
    pin_set: bool


def _controls(profile: Profile) -> ProfileControls:
    return ProfileControls(
        profile.id,
        profile.name,
        profile.is_kids,
        RANK_LABELS[profile.maturity_limit],
        profile.maturity_limit,
        profile.pin_hash is not None,
    )


def _profile(session: Session, actor: Actor, account_id: int, profile_id: int) -> Profile:
    account_for(session, actor, account_id)
    if actor.profile_id is not None:
        acting = session.get(Profile, actor.profile_id)
        if acting is not None and acting.is_kids:
            raise AccessDenied(
                "parental controls cannot be changed from a kids profile; switch to an adult profile"
            )
    profile = session.get(Profile, profile_id)
    if profile is None or profile.account_id != account_id:
        raise NotFound(f"this account has no profile {profile_id}; pick one of the account's profiles")
    return profile


def profile_controls(session: Session, actor: Actor, account_id: int, profile_id: int) -> ProfileControls:
    account_for(session, actor, account_id)
    profile = session.get(Profile, profile_id)
    if profile is None or profile.account_id != account_id:
        raise NotFound(f"this account has no profile {profile_id}; pick one of the account's profiles")
    return _controls(profile)


def set_maturity_limit(
    session: Session, actor: Actor, account_id: int, profile_id: int, rating: str, confirmation_id: str
) -> ProfileControls:
    """Limit the profile to titles rated `rating` or milder ("PG-13", "TV-14"; "NR" lifts the limit)."""
    try:
        label = maturity.canonical_label(rating)
    except maturity.UnknownMaturityRating as exc:
        raise InvalidRequest(str(exc)) from None
    rank = maturity.rank(label)
    profile = _profile(session, actor, account_id, profile_id)

    def apply() -> ProfileControls:
        if profile.is_kids and rank > maturity.KIDS_MAX_RANK:
            raise InvalidRequest(
                f"a kids profile can be allowed up to {RANK_LABELS[maturity.KIDS_MAX_RANK]}; choose a milder "
                "rating, or use an adult profile"
            )
        previous = profile.maturity_limit
        profile.maturity_limit = rank
        audit.record(
            session, actor, "profile.maturity_limit", "profile", profile.id,
            {"from": RANK_LABELS[previous], "to": RANK_LABELS[rank]},
        )  # fmt: skip
        logger.info("profile %s maturity limit set to %s", profile.id, RANK_LABELS[rank])
        return _controls(profile)

    return apply_once(
        session, actor, "profile.maturity_limit", account_id, confirmation_id,
        {"profile_id": profile_id, "rank": rank}, ProfileControls, apply,
    )  # fmt: skip


def set_profile_pin(
    session: Session, actor: Actor, account_id: int, profile_id: int, pin: str, confirmation_id: str
) -> ProfileControls:
    """Set (or replace) the profile's 4-digit lock PIN."""
    try:
        check_pin_format(pin)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    profile = _profile(session, actor, account_id, profile_id)

    def apply() -> ProfileControls:
        replaced = profile.pin_hash is not None
        profile.set_pin(pin)
        audit.record(session, actor, "profile.pin_set", "profile", profile.id, {"replaced": replaced})
        logger.info("profile %s lock PIN %s", profile.id, "replaced" if replaced else "set")
        return _controls(profile)

    return apply_once(
        session, actor, "profile.pin_set", account_id, confirmation_id, {"profile_id": profile_id},
        ProfileControls, apply,
    )  # fmt: skip


def remove_profile_pin(
    session: Session, actor: Actor, account_id: int, profile_id: int, confirmation_id: str
) -> ProfileControls:
    profile = _profile(session, actor, account_id, profile_id)

    def apply() -> ProfileControls:
        had_pin = profile.pin_hash is not None
        profile.clear_pin()
        audit.record(session, actor, "profile.pin_removed", "profile", profile.id, {"had_pin": had_pin})
        return _controls(profile)

    return apply_once(
        session, actor, "profile.pin_removed", account_id, confirmation_id, {"profile_id": profile_id},
        ProfileControls, apply,
    )  # fmt: skip
