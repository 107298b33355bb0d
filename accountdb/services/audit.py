"""Audit-log entries for service changes: who, what, when, which conversation; details are redacted."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from accountdb.models import AuditLogEntry
from accountdb.services.actor import Actor
from accountdb.services.redaction import redact_data


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | str,
    details: dict[str, Any],
) -> AuditLogEntry:
    entry = AuditLogEntry(
        actor=actor.who,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        details=redact_data(details),
        conversation_id=actor.conversation_id,
    )
    session.add(entry)
    return entry
