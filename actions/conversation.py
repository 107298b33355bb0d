"""One turn of the conversation as the actions read it: the message, its entities, the slots, the history.

Rasa hands the action server a tracker; this module turns it into plain values (so the flows can run in a
worker thread and be tested without Rasa), and answers the questions several actions share: which title
does the user mean, and what was the user doing when the bot asked "which one did you mean?".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from actions.catalog_index import PRONOUNS, fold
from actions.catalog_snapshot import CatalogSnapshot, TitleFacts
from actions.constraint_values import parse_ordinal

# Custom actions that can ask "which one did you mean?"; action_choose_option resumes them.
RESUMABLE_ACTIONS = frozenset(
    {
        "action_similar_titles",
        "action_title_info",
        "action_feedback",
        "action_add_to_list",
        "action_recommend",
    }
)


@dataclass(frozen=True)
class Turn:
    sender_id: str
    text: str
    intent: str | None
    entities: tuple[dict[str, Any], ...]
    slots: dict[str, Any]
    metadata: dict[str, Any]
    events: tuple[dict[str, Any], ...] = field(default=())

    @classmethod
    def from_tracker(cls, tracker: Any) -> Turn:
        latest = tracker.latest_message or {}
        metadata = latest.get("metadata") or {}
        return cls(
            sender_id=str(tracker.sender_id),
            text=str(latest.get("text") or ""),
            intent=(latest.get("intent") or {}).get("name"),
            entities=tuple(e for e in latest.get("entities") or () if isinstance(e, dict)),
            slots=dict(tracker.slots or {}),
            metadata=metadata if isinstance(metadata, dict) else {},
            events=tuple(tracker.events or ()),
        )

    # -- entities ------------------------------------------------------------------------------------------

    def entity_values(self, name: str, role: str | None = None, *, any_role: bool = False) -> list[str]:
        values = [
            str(e.get("value"))
            for e in self.entities
            if e.get("entity") == name and e.get("value") is not None and (any_role or e.get("role") == role)
        ]
        return list(dict.fromkeys(v.strip() for v in values if v.strip()))

    def entity(self, name: str) -> str | None:
        values = self.entity_values(name, any_role=True)
        return values[0] if values else None

    # -- slots ---------------------------------------------------------------------------------------------

    def slot_list(self, name: str) -> list[str]:
        value = self.slots.get(name)
        if value is None:
            return []
        if isinstance(value, list | tuple):
            return [str(v) for v in value if v is not None and str(v).strip()]
        return [str(value)]

    def slot_text(self, name: str) -> str | None:
        value = self.slots.get(name)
        return str(value) if value not in (None, "") else None

    def slot_number(self, name: str) -> float | None:
        value = self.slots.get(name)
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    # -- history -------------------------------------------------------------------------------------------

    def pending_purpose(self) -> tuple[str | None, str | None]:
        """(action, user intent) of the turn that asked "which one did you mean?", from the event log."""
        events = list(self.events)
        for position in range(len(events) - 1, -1, -1):
            event = events[position]
            if event.get("event") == "slot" and event.get("name") == "pending_choices" and event.get("value"):
                action = intent = None
                for earlier in reversed(events[:position]):
                    if (
                        action is None
                        and earlier.get("event") == "action"
                        and earlier.get("name") in RESUMABLE_ACTIONS
                    ):
                        action = earlier["name"]
                    elif action is not None and earlier.get("event") == "user":
                        intent = ((earlier.get("parse_data") or {}).get("intent") or {}).get("name")
                        break
                return action, intent
        return None, None


@dataclass(frozen=True)
class TitleChoice:
    """What the user's words point at: one title, several candidates, or nothing."""

    title: TitleFacts | None = None
    options: tuple[TitleFacts, ...] = ()
    named: str | None = None  # what the user typed, for "I couldn't find ..."
    hidden: bool = False  # named a title this profile may not see

    @property
    def found(self) -> bool:
        return self.title is not None

    @property
    def ambiguous(self) -> bool:
        return len(self.options) > 1


def _by_ordinal(turn: Turn, ids: list[str]) -> str | None:
    position = parse_ordinal(turn.entity("ordinal"))
    if position is None or not ids:
        return None
    if position == -1:
        return ids[-1]
    return ids[position - 1] if position <= len(ids) else None


def choose_title(
    turn: Turn,
    snapshot: CatalogSnapshot,
    maturity_limit: int,
    *,
    fallbacks: Iterable[str] = ("focus_title_id",),
) -> TitleChoice:
    """The title the user means: a button's id, an ordinal against the last suggestions, a name in the text
    (exact, typo or ambiguous), else the slots named in `fallbacks` ("focus_title_id", "last_suggestions")."""
    hint = turn.entity("title")
    chosen = snapshot.get(hint) if hint else None
    if chosen is None:
        chosen = snapshot.get(_by_ordinal(turn, turn.slot_list("last_suggestions")))
    if chosen is None:
        resolution = snapshot.name_index.resolve_title(
            turn.text if not turn.text.startswith("/") else "", hint=hint
        )
        if resolution is not None:
            candidates = [snapshot.get(entry.id) for entry in resolution.candidates]
            visible = tuple(c for c in candidates if c is not None and c.maturity_rank <= maturity_limit)
            if not visible:
                return TitleChoice(named=resolution.matched_text, hidden=True)
            if len(visible) > 1:
                return TitleChoice(options=visible, named=resolution.matched_text)
            chosen = visible[0]
    named_explicitly = hint is not None and fold(hint).strip(" ?!.") not in PRONOUNS
    if chosen is None and named_explicitly:
        # The user named a title we cannot find: say so rather than answer about another one.
        return TitleChoice(named=hint)
    if chosen is None:
        for slot in fallbacks:
            ids = turn.slot_list(slot)
            if ids:
                chosen = snapshot.get(ids[0])
                if chosen is not None:
                    break
    if chosen is None:
        return TitleChoice(named=hint)
    if chosen.maturity_rank > maturity_limit:
        return TitleChoice(named=chosen.title, hidden=True)
    return TitleChoice(title=chosen, named=chosen.title)
