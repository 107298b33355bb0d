"""Apply a confirmed change once: a retried or repeated confirmation gets the first result back.

The key is a digest of (actor, conversation, action, confirmation id). The change and its
`ServiceRequest` row commit together, so either both exist or neither does. On PostgreSQL a transaction
advisory lock on the key makes a concurrent second attempt wait for the first and then find its record;
on SQLite writers are serialised by the database lock. Should two attempts still race to the insert, the
unique key stops the second one and its savepoint (with everything it changed) is rolled back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accountdb.models import ServiceRequest
from accountdb.services.actor import Actor
from accountdb.services.errors import Conflict, InvalidRequest

logger = logging.getLogger(__name__)

MAX_CONFIRMATION_ID_CHARS = 200
ResultT = TypeVar("ResultT")


def idempotency_key(actor: Actor, action: str, confirmation_id: str) -> str:
    material = "\x1f".join((actor.who, actor.conversation_id, action, confirmation_id))
    return hashlib.sha256(material.encode()).hexdigest()


def params_digest(params: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()


def apply_once(
    session: Session,
    actor: Actor,
    action: str,
    account_id: int | None,
    confirmation_id: str,
    params: Mapping[str, Any],
    result_type: type[ResultT],
    apply: Callable[[], ResultT],
) -> ResultT:
    """Run `apply` once per confirmation and return its result (a flat dataclass); replays return the first.

    `params` identify the request (never put a secret in them: the digest of a 4-digit PIN is reversible).
    """
    if not confirmation_id or len(confirmation_id) > MAX_CONFIRMATION_ID_CHARS:
        raise InvalidRequest(
            f"confirmation id must be 1 to {MAX_CONFIRMATION_ID_CHARS} characters: the id of the turn in which "
            "the subscriber confirmed"
        )
    key = idempotency_key(actor, action, confirmation_id)
    digest = params_digest(params)
    if session.get_bind().dialect.name == "postgresql":
        lock_id = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
    previous = _find(session, key)
    if previous is not None:
        return _replay(previous, action, digest, result_type)
    try:
        with session.begin_nested():
            result = apply()
            session.add(
                ServiceRequest(
                    idempotency_key=key,
                    action=action,
                    actor=actor.who,
                    account_id=account_id,
                    conversation_id=actor.conversation_id,
                    params_sha256=digest,
                    result=to_record(result),
                )
            )
            session.flush()
    except IntegrityError:
        previous = _find(session, key)
        if previous is None:
            raise
        return _replay(previous, action, digest, result_type)
    return result


def _find(session: Session, key: str) -> ServiceRequest | None:
    return session.scalar(select(ServiceRequest).where(ServiceRequest.idempotency_key == key))


def _replay(previous: ServiceRequest, action: str, digest: str, result_type: Any) -> Any:
    if previous.action != action or previous.params_sha256 != digest:
        raise Conflict(
            "this confirmation was already used for a different request; ask the subscriber to confirm again"
        )
    logger.info(
        "%s by %s in conversation %s already applied (request %s); returning the first result",
        action,
        previous.actor,
        previous.conversation_id,
        previous.id,
    )
    return from_record(result_type, previous.result)


def to_record(result: Any) -> dict[str, Any]:
    """A flat dataclass as a JSON object (dates and datetimes as ISO strings, tuples as lists)."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        raise TypeError(f"apply_once needs a dataclass result, got {type(result).__name__}")
    record = {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        record[field.name] = value
    return record


def from_record(result_type: type, record: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(result_type)
    values = {}
    for field in dataclasses.fields(result_type):
        value = record.get(field.name)
        kinds = _member_types(hints[field.name])
        if value is not None and datetime in kinds:
            value = datetime.fromisoformat(value)
        elif value is not None and date in kinds:
            value = date.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[field.name] = value
    return result_type(**values)


def _member_types(hint: Any) -> set[Any]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return set(typing.get_args(hint))
    return {hint}
