"""What each custom action does in one turn, as plain functions from a Turn to a reply and slot changes.

The Rasa action classes (actions/actions.py) only run these in a worker thread and send the result; here
the turn's words become service calls (discovery, activity, title info) and the answer becomes a Reply.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

from actions import activity
from actions.activity import FeedbackKind
from actions.catalog_snapshot import TitleFacts
from actions.constraint_values import (
    country_code,
    language_code,
    language_name,
    parse_age,
    parse_era,
    parse_ordinal,
    parse_runtime_minutes,
    shorter_than,
)
from actions.conversation import TitleChoice, Turn, choose_title
from actions.discovery import Discovery, Picks, Request, maturity_limit
from actions.identity import identify
from actions.replies import (
    RECOMMENDATION_FOLLOW_UPS,
    Button,
    Reply,
    payload,
    region_name,
    title_card,
    title_detail_buttons,
    title_list_reply,
    which_one_reply,
)
from actions.services import Services
from actions.title_info import Aspect, answer, aspect_of
from actions.viewers import Viewer, load_viewer

logger = logging.getLogger(__name__)

CONSTRAINT_SLOTS = (
    "genre",
    "exclude_genres",
    "mood",
    "kind",
    "max_runtime",
    "year_min",
    "year_max",
    "language",
    "country",
    "person",
    "kids_age",
)
SIGN_IN_TEXT = (
    "Sign in to Marquee first, so I know whose profile to use. Until then I can still suggest popular titles."
)
# Words that introduce a person in a request ("with Tom Hanks", "directed by ...").
_PERSON_CUES = re.compile(
    r"\b(with|starring|stars|by|directed|featuring|from director|actor|actress)\b", re.I
)
_LOVE_WORDS = re.compile(
    r"\b(lov\w*|amazing|favou?rite|brilliant|masterpiece|incredible|perfect|the best)\b", re.I
)


@dataclass
class Outcome:
    reply: Reply
    slots: dict[str, Any] = field(default_factory=dict)


def viewer_of(turn: Turn, services: Services) -> Viewer:
    return load_viewer(services.engine, identify(turn.metadata, sender_id=turn.sender_id))


def _suggested(turn: Turn, picks: Picks | list[str]) -> dict[str, Any]:
    ids = picks.ids if isinstance(picks, Picks) else picks
    previous = turn.slot_list("suggested_ids")
    return {
        "suggested_ids": list(dict.fromkeys(previous + ids)),
        "last_suggestions": ids,
        "focus_title_id": ids[0] if len(ids) == 1 else None,
        "pending_choices": None,
    }


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


# -- constraints ---------------------------------------------------------------------------------------------


@dataclass
class Constraints:
    """The conversation's constraints after this message, in slot form, with notes for the reply."""

    values: dict[str, Any]
    notes: list[str]
    # Moods to avoid in this turn ("nothing too dark"); the dialogue contract keeps no slot for them.
    exclude_moods: tuple[str, ...] = ()

    def request(self, suggested: list[str], like: str | None = None) -> Request:
        v = self.values
        return Request(
            genres=tuple(v["genre"] or ()),
            exclude_genres=tuple(v["exclude_genres"] or ()),
            moods=tuple(v["mood"] or ()),
            exclude_moods=self.exclude_moods,
            kind=v["kind"],
            max_runtime=v["max_runtime"],
            year_min=int(v["year_min"]) if v["year_min"] is not None else None,
            year_max=int(v["year_max"]) if v["year_max"] is not None else None,
            language=v["language"],
            country=v["country"],
            person=v["person"],
            kids_age=int(v["kids_age"]) if v["kids_age"] is not None else None,
            like_title_id=like,
            suggested_ids=frozenset(suggested),
        )

    def summary(self) -> str:
        v = self.values
        parts = [*(v["genre"] or ()), *(v["mood"] or ())]
        if v["kind"]:
            parts.append("movies" if v["kind"] == "movie" else "series")
        if v["max_runtime"]:
            parts.append(f"under {int(v['max_runtime'])} min")
        if v["year_min"] is not None or v["year_max"] is not None:
            low, high = v["year_min"], v["year_max"]
            if low is not None and high is not None:
                parts.append(f"{int(low)}" if low == high else f"{int(low)}–{int(high)}")
            else:
                parts.append(f"from {int(low)}" if low is not None else f"before {int(high) + 1}")
        if v["language"]:
            parts.append(f"in {language_name(v['language'])}")
        if v["country"]:
            parts.append(f"from {region_name(v['country'])}")
        if v["person"]:
            parts.append(f"with {v['person']}")
        if v["kids_age"] is not None:
            age = int(v["kids_age"])
            parts.append(f"for {'an' if age in (8, 11, 18) else 'a'} {age} year old")
        if v["exclude_genres"]:
            parts.append("no " + "/".join(v["exclude_genres"]))
        return ", ".join(parts)


def merge_constraints(turn: Turn, discovery: Discovery) -> Constraints:
    """This message's constraint entities merged over the slots: a new value replaces the old one."""
    notes: list[str] = []
    asked = turn.entity_values("genre")
    excluded_now = turn.entity_values("genre", "exclude")
    if turn.intent == "refine_exclude":
        excluded_now, asked = _unique(excluded_now + asked), []
    excluded = [g for g in _unique(turn.slot_list("exclude_genres") + excluded_now) if g not in asked]
    genres = [g for g in (asked or turn.slot_list("genre")) if g not in excluded]

    runtime = turn.entity("runtime")
    max_runtime = parse_runtime_minutes(runtime) if runtime else turn.slot_number("max_runtime")
    if turn.intent == "refine_shorter":
        shown = [discovery.snapshot.get(i) for i in turn.slot_list("last_suggestions")]
        runtimes = [float(f.runtime_minutes) for f in shown if f is not None and f.runtime_minutes]
        max_runtime = shorter_than(max_runtime, runtimes)

    year_min, year_max = turn.slot_number("year_min"), turn.slot_number("year_max")
    era = turn.entity("era")
    if era:
        parsed = parse_era(era)
        if parsed is not None:
            year_min, year_max = parsed

    language = turn.entity("language")
    language = language_code(language) if language else turn.slot_text("language")
    country = turn.entity("country")
    country = country_code(country) if country else turn.slot_text("country")

    person = turn.slot_text("person")
    named_person = turn.entity("person")
    if named_person or _PERSON_CUES.search(turn.text):
        found = discovery.snapshot.name_index.find_people(turn.text, hint=named_person)
        if found:
            person = found[0].name
        elif named_person:
            notes.append(f"I couldn't find anyone called {named_person} in our catalog.")

    age = turn.entity("age")
    kids_age = parse_age(age) if age else turn.slot_number("kids_age")
    avoided_moods = tuple(turn.entity_values("mood", "exclude"))

    values = {
        "genre": genres or None,
        "exclude_genres": excluded or None,
        "mood": [m for m in (turn.entity_values("mood") or turn.slot_list("mood")) if m not in avoided_moods]
        or None,
        "kind": (turn.entity("kind") or turn.slot_text("kind")),
        "max_runtime": max_runtime,
        "year_min": year_min,
        "year_max": year_max,
        "language": language,
        "country": country,
        "person": person,
        "kids_age": float(kids_age) if kids_age is not None else None,
    }
    if values["kind"] not in ("movie", "series"):
        values["kind"] = None
    return Constraints(values, notes, avoided_moods)


def slots_only(turn: Turn) -> Turn:
    """The turn without its message's entities: for feedback and choices, whose words are not constraints."""
    return replace(turn, entities=(), intent=None)


def _picks_reply(intro: str, picks: Picks, notes: list[str], empty: str) -> Reply:
    lines = list(notes)
    if picks.unknown_genres:
        lines.append(f"I don't have any {' or '.join(picks.unknown_genres)} titles.")
    if not picks.picks:
        lines.append(empty)
        buttons = [Button("Start over", payload("stop")), Button("What's trending", payload("ask_trending"))]
        return Reply("\n".join(lines), buttons)
    if picks.relaxed:
        # The list no longer matches everything asked for; say what was dropped instead of the filters.
        lines.append(f"Nothing left matches all of that, so I dropped {' and '.join(picks.relaxed)}.")
        intro = "Here are the closest matches:"
    lead = "\n".join([*lines, intro])
    return title_list_reply(
        lead, [(p.facts, p.reason) for p in picks.picks], follow_ups=RECOMMENDATION_FOLLOW_UPS
    )


# -- action_recommend ----------------------------------------------------------------------------------------


def recommend(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    discovery = services.discovery()
    constraints = merge_constraints(turn, discovery)
    limit = maturity_limit(viewer, constraints.request([]).kids_age)
    notes = list(constraints.notes)
    like = None
    suggested = turn.slot_list("suggested_ids")

    if turn.intent == "refine_more_like":
        choice = choose_title(
            turn, discovery.snapshot, limit, fallbacks=("focus_title_id", "last_suggestions")
        )
        if choice.ambiguous:
            return _which_one(choice)
        like = choice.title.id if choice.title else None
    elif turn.intent == "already_seen":
        seen = _seen_title(turn, discovery, limit)
        if isinstance(seen, Outcome):
            return seen
        if seen is not None:
            notes.append(_mark_seen(services, viewer, seen))
            suggested = _unique(suggested + [seen.id])
            if viewer.signed_in:
                viewer = viewer_of(turn, services)  # the new viewing event is part of the history now

    picks = discovery.recommend(viewer, constraints.request(suggested, like))
    summary = constraints.summary()
    if like:
        intro = f"More like {discovery.snapshot.get(like).label}:"
    else:
        intro = f"Here are some ideas ({summary}):" if summary else "Here are some ideas for you:"
    empty = f'I\'ve run out of titles that match{f" ({summary})" if summary else ""}. Change a filter or say "start over".'
    reply = _picks_reply(intro, picks, notes, empty)
    return Outcome(reply, {**constraints.values, **_suggested(turn, picks)})


def _seen_title(turn: Turn, discovery: Discovery, limit: int) -> TitleFacts | Outcome | None:
    """Which of the last suggestions "I've seen that" means; asks when it could be any of several."""
    last = turn.slot_list("last_suggestions")
    choice = choose_title(turn, discovery.snapshot, limit, fallbacks=())
    if choice.ambiguous:
        return _which_one(choice)
    if choice.title is not None:
        return choice.title
    focus = turn.slot_text("focus_title_id")
    if len(last) == 1 or (focus and focus in last):
        return discovery.snapshot.get(focus if focus in last else last[0])
    options = tuple(f for f in (discovery.snapshot.get(i) for i in last) if f is not None)
    if len(options) > 1:
        return _which_one(TitleChoice(options=options), question="Which one have you seen?")
    return None


def _mark_seen(services: Services, viewer: Viewer, facts: TitleFacts) -> str:
    if not viewer.signed_in:
        return f"Okay, I'll skip {facts.title}."
    activity.record_feedback(services.engine, viewer.profile_id, facts.id, FeedbackKind.WATCHED)
    return f"Got it, I've marked {facts.title} as watched."


def _which_one(choice: TitleChoice, question: str | None = None) -> Outcome:
    asked = question or f'Which "{choice.named}" do you mean?'
    reply = which_one_reply(asked, choice.options)
    return Outcome(reply, {"pending_choices": [f.id for f in choice.options]})


def _not_found(choice: TitleChoice, what: str) -> Outcome:
    if choice.hidden:
        return Outcome(
            Reply("That title isn't available on this profile. Want me to suggest something else?")
        )
    if choice.named:
        return Outcome(
            Reply(
                f'I couldn\'t find "{choice.named}" in our catalog. Could you check the spelling, or describe it?'
            )
        )
    return Outcome(Reply(f'Which title {what}? Tell me its name, for example "{what} Dune".'))


# -- action_similar_titles -----------------------------------------------------------------------------------


def similar_titles(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    discovery = services.discovery()
    kids_age = parse_age(turn.entity("age")) if turn.entity("age") else turn.slot_number("kids_age")
    limit = maturity_limit(viewer, int(kids_age) if kids_age is not None else None)
    choice = choose_title(turn, discovery.snapshot, limit)
    if choice.ambiguous:
        return _which_one(choice)
    if not choice.found:
        return _not_found(choice, "do you mean")
    return _similar_to(turn, services, viewer, discovery, choice, kids_age)


def _similar_to(
    turn: Turn,
    services: Services,
    viewer: Viewer,
    discovery: Discovery,
    choice: TitleChoice,
    kids_age: float | None,
) -> Outcome:
    title = choice.title
    assert title is not None
    # "Something like X" is about X: only this message's kind and the child's age narrow it, not older filters.
    request = Request(
        kind=turn.entity("kind") if turn.entity("kind") in ("movie", "series") else None,
        kids_age=int(kids_age) if kids_age is not None else None,
        suggested_ids=frozenset(turn.slot_list("suggested_ids")),
    )
    picks = discovery.similar(viewer, title.id, request)
    notes = []
    if choice.named and choice.named.lower() != title.title.lower() and not turn.entity("title"):
        notes.append(f'(I took "{choice.named}" to mean {title.label}.)')
    reply = _picks_reply(
        f"If you liked {title.label}, try these:",
        picks,
        notes,
        f"I've already shown you everything like {title.title}.",
    )
    return Outcome(reply, {**_suggested(turn, picks), "focus_title_id": title.id})


# -- action_trending -----------------------------------------------------------------------------------------

MODES = {"ask_trending": "trending", "ask_new_releases": "new", "ask_popular_local": "popular_local"}


def trending(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    discovery = services.discovery()
    mode = MODES.get(turn.intent or "", "trending")
    kids_age = parse_age(turn.entity("age")) if turn.entity("age") else turn.slot_number("kids_age")
    # Lists are about the service, not the conversation's filters: only this message narrows them.
    request = Request(
        genres=tuple(turn.entity_values("genre")),
        kind=turn.entity("kind") if turn.entity("kind") in ("movie", "series") else None,
        kids_age=int(kids_age) if kids_age is not None else None,
        suggested_ids=frozenset(turn.slot_list("suggested_ids")),
    )
    where = region_name(viewer.region)
    if mode == "new":
        picks = discovery.new_releases(viewer, request)
        intro = f"New on Marquee in {where}:"
    else:
        picks = discovery.popular(viewer, mode, request)
        intro = f"Trending in {where} right now:" if mode == "trending" else f"Most popular in {where}:"
    reply = _picks_reply(
        intro, picks, [], "You've already seen everything on that list in this conversation."
    )
    return Outcome(reply, _suggested(turn, picks))


# -- action_search_description -------------------------------------------------------------------------------

# A best hit this far ahead of the next one is "the one" the user described.
CLEAR_WINNER_MARGIN = 0.08


def search_description(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    discovery = services.discovery()
    hits = discovery.search_description(viewer, services.description_search(), turn.text)
    if not hits:
        return Outcome(
            Reply(
                "I couldn't find a title matching that description. Could you add a detail, "
                "like an actor, where it's set, or roughly when it came out?"
            )
        )
    best, best_score = hits[0]
    where = region_name(viewer.region)
    titles = [
        (facts, None if facts.watchable_in(viewer.region) else f"not available in {where}")
        for facts, _ in hits
    ]
    if len(hits) == 1 or best_score - hits[1][1] >= CLEAR_WINNER_MARGIN:
        intro = f"That sounds like {best.label}: {best.description}"
        if len(hits) > 1:
            intro += "\nIf not, maybe one of these:"
        reply = title_list_reply(intro, titles, follow_ups=title_detail_buttons(best))
    else:
        reply = title_list_reply("Is it one of these?", titles)
    ids = [facts.id for facts, _ in hits]
    return Outcome(reply, {**_suggested(turn, ids), "focus_title_id": best.id})


# -- action_title_info ---------------------------------------------------------------------------------------


def title_info(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    snapshot = services.snapshot()
    choice = choose_title(
        turn, snapshot, viewer.maturity_limit, fallbacks=("focus_title_id", "last_suggestions")
    )
    if choice.ambiguous:
        return _which_one(choice)
    if not choice.found:
        return _not_found(choice, "tell me about")
    return _describe(turn, services, viewer, choice.title, aspect_of(turn.text))


def _describe(turn: Turn, services: Services, viewer: Viewer, facts: TitleFacts, aspect: Aspect) -> Outcome:
    score = (
        activity.audience_score(services.engine, facts.id)
        if aspect is Aspect.RATING
        else activity.AudienceScore(0, 0)
    )
    text = answer(facts, aspect, viewer.region, score)
    reply = Reply(text, title_detail_buttons(facts), [title_card(facts)])
    return Outcome(reply, {"focus_title_id": facts.id, "pending_choices": None})


# -- action_feedback -----------------------------------------------------------------------------------------


def feedback_kind(intent: str | None, text: str) -> FeedbackKind:
    if intent == "feedback_negative":
        return FeedbackKind.DOWN
    if intent == "feedback_watched":
        return FeedbackKind.WATCHED
    return FeedbackKind.LOVE if _LOVE_WORDS.search(text) else FeedbackKind.UP


def feedback(turn: Turn, services: Services, intent: str | None = None) -> Outcome:
    viewer = viewer_of(turn, services)
    discovery = services.discovery()
    choice = choose_title(
        turn, discovery.snapshot, viewer.maturity_limit, fallbacks=("focus_title_id", "last_suggestions")
    )
    if choice.ambiguous:
        return _which_one(choice)
    if not choice.found:
        return _not_found(choice, "did you watch")
    return _store_feedback(
        turn, services, viewer, discovery, choice.title, feedback_kind(intent or turn.intent, turn.text)
    )


def _store_feedback(
    turn: Turn,
    services: Services,
    viewer: Viewer,
    discovery: Discovery,
    facts: TitleFacts,
    kind: FeedbackKind,
) -> Outcome:
    thanks = {
        FeedbackKind.LOVE: f"Great, I'll remember you loved {facts.title}.",
        FeedbackKind.UP: f"Thanks, I'll remember you liked {facts.title}.",
        FeedbackKind.DOWN: f"Thanks for telling me; I'll steer away from titles like {facts.title}.",
        FeedbackKind.WATCHED: f"Noted: you've watched {facts.title}.",
    }[kind]
    suggested = _unique(turn.slot_list("suggested_ids") + [facts.id])
    constraints = merge_constraints(slots_only(turn), discovery)
    if viewer.signed_in:
        activity.record_feedback(services.engine, viewer.profile_id, facts.id, kind)
        viewer = viewer_of(turn, services)  # read back: the next suggestions use the new feedback
        picks = discovery.recommend(viewer, constraints.request(suggested))
    else:
        thanks += " Sign in and I'll keep it for next time."
        like = facts.id if kind in (FeedbackKind.LOVE, FeedbackKind.UP) else None
        picks = discovery.recommend(viewer, constraints.request(suggested, like))
    reply = _picks_reply(
        "You might like these next:", picks, [thanks], "That's everything matching your filters for now."
    )
    return Outcome(
        reply,
        {
            **_suggested(turn, picks),
            "suggested_ids": _unique(suggested + picks.ids),
            "focus_title_id": facts.id,
        },
    )


# -- My List and continue watching ---------------------------------------------------------------------------


def add_to_list(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    if not viewer.signed_in:
        return Outcome(Reply(SIGN_IN_TEXT))
    snapshot = services.snapshot()
    choice = choose_title(
        turn, snapshot, viewer.maturity_limit, fallbacks=("focus_title_id", "last_suggestions")
    )
    if choice.ambiguous:
        return _which_one(choice)
    if not choice.found:
        return _not_found(choice, "should I add")
    return _add(services, viewer, choice.title)


def _add(services: Services, viewer: Viewer, facts: TitleFacts) -> Outcome:
    added = activity.add_to_list(services.engine, viewer.profile_id, facts.id)
    text = f"Added {facts.title} to My List." if added else f"{facts.title} is already on My List."
    buttons = [
        Button("Show My List", payload("show_list")),
        Button("Suggest something", payload("request_recommendation")),
    ]
    return Outcome(
        Reply(text, buttons, [title_card(facts)]), {"focus_title_id": facts.id, "pending_choices": None}
    )


def show_list(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    if not viewer.signed_in:
        return Outcome(Reply(SIGN_IN_TEXT))
    snapshot = services.snapshot()
    where = region_name(viewer.region)
    titles = [
        (facts, None if facts.watchable_in(viewer.region) else f"not available in {where} right now")
        for facts in (snapshot.get(i) for i in activity.my_list(services.engine, viewer.profile_id))
        if facts is not None and facts.maturity_rank <= viewer.maturity_limit
    ]
    if not titles:
        return Outcome(
            Reply(
                'My List is empty. When you see something you like, say "add it to my list".',
                [Button("Suggest something", payload("request_recommendation"))],
            )
        )
    reply = title_list_reply(f"My List ({len(titles)}):", titles)
    return Outcome(reply, {"last_suggestions": [f.id for f, _ in titles], "focus_title_id": None})


def continue_watching(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    if not viewer.signed_in:
        return Outcome(Reply(SIGN_IN_TEXT))
    snapshot = services.snapshot()
    titles = []
    for progress in activity.continue_watching(services.engine, viewer.profile_id):
        facts = snapshot.get(progress.title_id)
        if facts is None or facts.maturity_rank > viewer.maturity_limit:
            continue
        where = f"season {progress.season}, episode {progress.episode}, " if progress.season else ""
        titles.append((facts, f"Continue {where}{progress.minutes_watched} min in"))
    if not titles:
        return Outcome(
            Reply(
                "You're not in the middle of anything right now. Want a suggestion?",
                [Button("Suggest something", payload("request_recommendation"))],
            )
        )
    reply = title_list_reply("Pick up where you left off:", titles)
    return Outcome(reply, {"last_suggestions": [f.id for f, _ in titles], "focus_title_id": None})


# -- action_choose_option ------------------------------------------------------------------------------------


def choose_option(turn: Turn, services: Services) -> Outcome:
    viewer = viewer_of(turn, services)
    discovery = services.discovery()
    pending = turn.slot_list("pending_choices")
    if pending:
        chosen = _pick_pending(turn, pending)
        if chosen is None or discovery.snapshot.get(chosen) is None:
            options = tuple(f for f in (discovery.snapshot.get(i) for i in pending) if f is not None)
            return _which_one(TitleChoice(options=options), question="Sorry, which one? Tap one of these:")
        facts = discovery.snapshot.get(chosen)
        action, intent = turn.pending_purpose()
        logger.info("choice %s resolves the question asked by %s (%s)", chosen, action, intent)
        outcome = _resume(turn, services, viewer, discovery, facts, action, intent)
        outcome.slots.setdefault("pending_choices", None)
        outcome.slots["pending_choices"] = None
        return outcome
    choice = choose_title(turn, discovery.snapshot, viewer.maturity_limit, fallbacks=())
    if not choice.found:
        if choice.hidden:
            return _not_found(choice, "do you mean")
        return Outcome(Reply('Which one? Say "the first one", "the second one", or tap a title.'))
    return _describe(turn, services, viewer, choice.title, Aspect.OVERVIEW)


def _pick_pending(turn: Turn, pending: list[str]) -> str | None:
    title = turn.entity("title")
    if title in pending:
        return title
    position = parse_ordinal(turn.entity("ordinal") or (turn.text if turn.text.strip().isdigit() else None))
    if position == -1:
        return pending[-1]
    if position is not None and position <= len(pending):
        return pending[position - 1]
    return None


def _resume(
    turn: Turn,
    services: Services,
    viewer: Viewer,
    discovery: Discovery,
    facts: TitleFacts,
    action: str | None,
    intent: str | None,
) -> Outcome:
    if facts.maturity_rank > viewer.maturity_limit:
        return _not_found(TitleChoice(named=facts.title, hidden=True), "")
    choice = TitleChoice(title=facts, named=facts.title)
    if action == "action_similar_titles":
        kids_age = turn.slot_number("kids_age")
        return _similar_to(turn, services, viewer, discovery, choice, kids_age)
    if action == "action_feedback":
        return _store_feedback(turn, services, viewer, discovery, facts, feedback_kind(intent, ""))
    if action == "action_add_to_list" and viewer.signed_in:
        return _add(services, viewer, facts)
    if action == "action_recommend" and intent == "already_seen":
        note = _mark_seen(services, viewer, facts)
        viewer = viewer_of(turn, services) if viewer.signed_in else viewer
        constraints = merge_constraints(slots_only(turn), discovery)
        suggested = _unique(turn.slot_list("suggested_ids") + [facts.id])
        picks = discovery.recommend(viewer, constraints.request(suggested))
        reply = _picks_reply(
            "Here's something else:", picks, [note], "That's everything matching your filters for now."
        )
        return Outcome(
            reply,
            {
                **constraints.values,
                **_suggested(turn, picks),
                "suggested_ids": _unique(suggested + picks.ids),
            },
        )
    if action == "action_recommend" and intent == "refine_more_like":
        constraints = merge_constraints(slots_only(turn), discovery)
        picks = discovery.recommend(viewer, constraints.request(turn.slot_list("suggested_ids"), facts.id))
        reply = _picks_reply(
            f"More like {facts.label}:", picks, [], "I've already shown you everything like it."
        )
        return Outcome(reply, {**constraints.values, **_suggested(turn, picks)})
    return _describe(turn, services, viewer, facts, Aspect.OVERVIEW)


# -- action_reset_constraints and the fallback question ------------------------------------------------------


def reset_constraints(turn: Turn, services: Services) -> Outcome:
    reply = Reply(
        "Okay, I've cleared your filters. What are you in the mood for?",
        [
            Button("Suggest something", payload("request_recommendation")),
            Button("What's trending", payload("ask_trending")),
        ],
    )
    return Outcome(reply, {**dict.fromkeys(CONSTRAINT_SLOTS), "pending_choices": None})


READABLE_INTENTS = {
    "request_recommendation": "a suggestion of something to watch",
    "refine_shorter": "different suggestions",
    "refine_another": "different suggestions",
    "refine_more_like": "different suggestions",
    "refine_exclude": "different suggestions",
    "already_seen": "to swap out a title you've seen",
    "ask_similar": "titles like one you enjoyed",
    "ask_trending": "what's trending",
    "ask_new_releases": "new releases",
    "ask_popular_local": "what's popular where you are",
    "search_description": "to find a title from its description",
    "ask_title_info": "details about a title",
    "feedback_positive": "to tell me what you thought of a title",
    "feedback_negative": "to tell me what you thought of a title",
    "feedback_watched": "to tell me what you thought of a title",
    "add_to_list": "to add it to My List",
    "show_list": "to see My List",
    "continue_watching": "to continue watching",
    "help": "to know what I can do",
}


def ask_affirmation(turn: Turn, intent_ranking: list[dict[str, Any]]) -> Outcome:
    """First stage of the two-stage fallback: "Did you want ...?" with Yes (the guessed intent) and No."""
    guess = next(
        (i.get("name") for i in intent_ranking if i.get("name") and i.get("name") != "nlu_fallback"), None
    )
    readable = READABLE_INTENTS.get(guess or "", "something else")
    entities = {
        e["entity"]: str(e["value"]) for e in turn.entities if e.get("entity") and e.get("value") is not None
    }
    yes = payload(guess, **entities) if guess else payload("help")
    reply = Reply(
        f"Sorry, I'm not sure I understood. Did you want {readable}?",
        [Button("Yes", yes), Button("No", payload("out_of_scope"))],
    )
    return Outcome(reply)
