"""Previews of a change and the confirmation id derived from them.

Before a change, a form shows the user exactly what will happen and keeps that preview in a slot. The
preview names the account it was made for and carries a confirmation id: the service's own id when it has
one (plan changes digest everything the proration promised), otherwise a digest of the preview itself,
including a random nonce drawn when it was shown. The id therefore stays the same for every retry of one
confirmation (Rasa re-sending the action call, a double-tapped "Yes"), and the services' `apply_once`
applies the change once; a new preview, even for the same change later in the conversation, gets a new id.

A preview is checked before use: it must be of the expected kind, made for the account of the token that
confirms it (a conversation that changed hands, or a slot set through the HTTP API, is refused and
logged), and unaltered.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from typing import Any

from actions.support.caller import Caller

logger = logging.getLogger(__name__)


class PreviewRejected(Exception):
    """The preview cannot be applied; the message is safe to show to the user."""


def _digest(kind: str, account_id: int, params: dict[str, Any], nonce: str) -> str:
    body = {"kind": kind, "account_id": account_id, "params": params, "nonce": nonce}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:24]


def make_preview(
    kind: str,
    caller: Caller,
    params: dict[str, Any],
    *,
    shown: dict[str, Any] | None = None,
    service_confirmation_id: str | None = None,
) -> dict[str, Any]:
    """A preview for the slot. `params` are what the change needs; `shown` what the user was told."""
    nonce = secrets.token_hex(8)
    return {
        "kind": kind,
        "account_id": caller.account_id,
        "params": params,
        "nonce": nonce,
        "shown": shown or {},
        "confirmation_id": service_confirmation_id
        or f"{kind}-{_digest(kind, caller.account_id, params, nonce)}",
    }


def checked_preview(value: Any, caller: Caller, kinds: frozenset[str] | set[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("kind") not in kinds:
        raise PreviewRejected("I don't have a change waiting for your confirmation, so nothing was changed")
    if value.get("account_id") != caller.account_id:
        logger.warning(
            "refused %s confirmation in conversation %s: prepared for account %s, confirmed by account %s",
            value.get("kind"),
            caller.conversation_id,
            value.get("account_id"),
            caller.account_id,
        )
        raise PreviewRejected(
            "that change was prepared for a different account than the one you're signed in to, so "
            "nothing was changed; ask me again to start over"
        )
    params, nonce = value.get("params"), value.get("nonce")
    own_id = isinstance(params, dict) and isinstance(nonce, str)
    expected = (
        f"{value['kind']}-{_digest(value['kind'], caller.account_id, params, nonce)}" if own_id else None
    )
    service_id = value.get("confirmation_id")
    if (
        not own_id
        or not isinstance(service_id, str)
        or (service_id.startswith(f"{value['kind']}-") and service_id != expected)
    ):
        logger.warning(
            "refused %s confirmation in conversation %s: the preview was altered",
            value.get("kind"),
            caller.conversation_id,
        )
        raise PreviewRejected("that change could not be verified, so nothing was changed; please ask again")
    return value
