"""Who is asking: the verified subscriber behind a support message, or nobody.

The token in the message metadata (`actions.identity`) names an account and a profile. A support action
trusts it only after checking, in the database, that the profile really belongs to that account; a token
that fails (forged, expired, or pairing one account with another account's profile) is refused, logged,
and the caller is treated as signed out. Unlike discovery, a *locked* account keeps its identity here:
sign-in trouble is exactly what a locked subscriber asks support about, and every service still checks
what the actor may do.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from accountdb.engine import session_scope
from accountdb.models import Profile
from accountdb.services.actor import MAX_CONVERSATION_ID_CHARS, Actor
from actions.conversation import Turn
from actions.identity import identify

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    account_id: int
    profile_id: int
    conversation_id: str

    @property
    def actor(self) -> Actor:
        return Actor.subscriber(self.account_id, self.conversation_id, self.profile_id)


def conversation_id(sender_id: str) -> str:
    """The Rasa sender id, or its digest when it is longer than the audit log's column."""
    if 0 < len(sender_id) <= MAX_CONVERSATION_ID_CHARS:
        return sender_id
    return "sha256:" + hashlib.sha256(sender_id.encode()).hexdigest()[:64]


def identify_caller(engine: Engine, turn: Turn) -> Caller | None:
    identity = identify(turn.metadata, sender_id=turn.sender_id)
    if identity.is_anonymous or identity.account_id is None or identity.profile_id is None:
        return None
    with session_scope(engine) as session:
        profile = session.get(Profile, identity.profile_id)
        owner = profile.account_id if profile is not None else None
    if owner != identity.account_id:
        logger.warning(
            "refused token in conversation %s: profile %s is not a profile of account %s",
            turn.sender_id,
            identity.profile_id,
            identity.account_id,
        )
        return None
    return Caller(identity.account_id, identity.profile_id, conversation_id(turn.sender_id))
