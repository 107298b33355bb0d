"""Who asks for a service: a subscriber (from a verified token), a support agent, or a scheduled job."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from accountdb.services.errors import AccessDenied, InvalidRequest

logger = logging.getLogger(__name__)

SUBSCRIBER_PREFIX = "subscriber:"
AGENT_PREFIX = "agent:"
SYSTEM_PREFIX = "system:"
_AGENT_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MAX_CONVERSATION_ID_CHARS = 100


@dataclass(frozen=True)
class Actor:
    """`who` is "subscriber:<account_id>", "agent:<username>" or "system:<job>"; audit entries record it verbatim.

    `profile_id` is the subscriber's viewing profile from the token (None for agents and jobs); parental
    controls use it to refuse changes made from a kids profile. A job's `conversation_id` names its run.
    """

    who: str
    conversation_id: str
    profile_id: int | None = None

    def __post_init__(self) -> None:
        if self.who.startswith(SUBSCRIBER_PREFIX):
            raw = self.who.removeprefix(SUBSCRIBER_PREFIX)
            if not raw.isdigit() or int(raw) < 1:
                raise InvalidRequest(
                    f"actor {self.who!r} must be 'subscriber:<account id>'; take it from the token"
                )
        elif self.who.startswith((AGENT_PREFIX, SYSTEM_PREFIX)):
            prefix = AGENT_PREFIX if self.who.startswith(AGENT_PREFIX) else SYSTEM_PREFIX
            if not _AGENT_NAME.fullmatch(self.who.removeprefix(prefix)):
                shape = "agent:<staff username>" if prefix == AGENT_PREFIX else "system:<job name>"
                raise InvalidRequest(f"actor {self.who!r} must be '{shape}'")
            if self.profile_id is not None:
                raise InvalidRequest(
                    "an agent or a job acts for the account, not as a profile; leave profile_id unset"
                )
        else:
            raise InvalidRequest(
                f"actor {self.who!r} is neither 'subscriber:<id>', 'agent:<name>' nor 'system:<job>'"
            )
        if not self.conversation_id or len(self.conversation_id) > MAX_CONVERSATION_ID_CHARS:
            raise InvalidRequest(
                f"conversation id must be 1 to {MAX_CONVERSATION_ID_CHARS} characters (the Rasa sender id)"
            )

    @classmethod
    def subscriber(cls, account_id: int, conversation_id: str, profile_id: int | None = None) -> Actor:
        return cls(f"{SUBSCRIBER_PREFIX}{account_id}", conversation_id, profile_id)

    @classmethod
    def agent(cls, username: str, conversation_id: str) -> Actor:
        return cls(f"{AGENT_PREFIX}{username}", conversation_id)

    @classmethod
    def system(cls, job: str, run_id: str) -> Actor:
        return cls(f"{SYSTEM_PREFIX}{job}", run_id)

    @property
    def is_agent(self) -> bool:
        return self.who.startswith(AGENT_PREFIX)

    @property
    def is_system(self) -> bool:
        return self.who.startswith(SYSTEM_PREFIX)

    @property
    def account_id(self) -> int | None:
        """The subscriber's own account; None for agents and jobs."""
        return (
            int(self.who.removeprefix(SUBSCRIBER_PREFIX)) if self.who.startswith(SUBSCRIBER_PREFIX) else None
        )

    def require_access(self, account_id: int) -> None:
        """Subscribers reach only their own account; agents and jobs reach any account they work on."""
        if self.account_id is None or self.account_id == account_id:
            return
        logger.warning(
            "refused %s access to account %s in conversation %s", self.who, account_id, self.conversation_id
        )
        raise AccessDenied(
            "this conversation is signed in to a different account; sign in as that account's holder to see it"
        )
