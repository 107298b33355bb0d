"""The support forms and the slots each one owns (cleared when the form ends, however it ends).

Names must match docs/support-domain.yml: `forms:` there lists the required slots, these tuples add the
custom slots the actions keep alongside (previews, offers, steps tried).
"""

from __future__ import annotations

from rasa_sdk.events import SlotSet

CHANGE_PLAN_FORM = "change_plan_form"
CANCEL_FORM = "cancel_subscription_form"
PAUSE_FORM = "pause_subscription_form"
CONFIRM_FORM = "confirm_change_form"
PLAYBACK_FORM = "playback_form"
PARENTAL_FORM = "parental_controls_form"

FORM_SLOTS: dict[str, tuple[str, ...]] = {
    CHANGE_PLAN_FORM: ("plan_target", "plan_change_confirmed", "plan_change_preview"),
    CANCEL_FORM: (
        "cancel_reason",
        "cancel_note",
        "retention_offer",
        "retention_accepted",
        "cancel_confirmed",
        "cancel_preview",
    ),
    PAUSE_FORM: ("pause_months", "pause_confirmed", "pause_preview"),
    CONFIRM_FORM: ("change_confirmed", "pending_change"),
    PLAYBACK_FORM: (
        "playback_device",
        "playback_error_code",
        "playback_symptoms",
        "playback_step_result",
        "playback_tried",
        "playback_advice",
    ),
    PARENTAL_FORM: (
        "parental_profile",
        "parental_rating",
        "parental_pin",
        "parental_confirmed",
        "parental_preview",
    ),
}
ALL_FORM_SLOTS: tuple[str, ...] = tuple(dict.fromkeys(s for slots in FORM_SLOTS.values() for s in slots))


def clear(form: str) -> list[dict]:
    """SlotSet(None) for the slots of `form`, which is ending, and for those of every other support form.

    Only one form is active at a time, so another form's values can only be left over from a form the user
    walked away from by starting this one ("actually I'd rather pause"); kept, they would prefill that form
    the next time it starts, skipping its questions.
    """
    if form not in FORM_SLOTS:
        raise ValueError(f"unknown support form {form!r}; expected one of {', '.join(FORM_SLOTS)}")
    return clear_all()


def clear_all() -> list[dict]:
    return [SlotSet(name, None) for name in ALL_FORM_SLOTS]
