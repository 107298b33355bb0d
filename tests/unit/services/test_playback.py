"""The playback decision tree walks a code's steps for the device and escalates when they run out."""

import pytest

from accountdb.services.errors import InvalidRequest
from accountdb.services.playback import ERROR_CODES, find_code, next_step


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("NW-2-5", "NW-2-5"),
        ("nw 2 5", "NW-2-5"),
        ("error 1011", "1011"),
        ("tvq-pb-101", "TVQ-PB-101"),
        ("5.7", "5.7"),
    ],
)
def test_codes_are_found_however_they_are_typed(typed, code):
    assert find_code(typed).code == code


def test_walking_a_code_to_escalation_gives_each_device_step_once():
    tried: tuple[str, ...] = ()
    seen = []
    for _ in range(20):
        advice = next_step("tv", "NW-2-5", tried=tried)
        if advice.escalate:
            break
        seen.append(advice.step_id)
        tried += (advice.step_id,)
    assert advice.escalate and advice.step is None
    assert len(seen) == len(set(seen))
    # Wired connection is a TV step; switching to mobile data is not.
    assert "wired" in seen and "switch_network" not in seen
    expected = [s.step_id for s in ERROR_CODES["NW-2-5"].steps if "tv" in s.devices]
    assert seen == expected


def test_device_specific_steps_differ():
    mobile = next_step("phone", "1011")
    tv = next_step("tv", "1011")
    assert mobile.step_id == "airplane"
    assert tv.step_id != "airplane"


def test_steps_left_counts_down():
    first = next_step("web", "10008")
    second = next_step("web", "10008", tried=(first.step_id,))
    assert second.steps_left == first.steps_left - 1


def test_symptoms_choose_steps_without_a_code():
    advice = next_step("tv", None, symptoms="the episodes play with no sound")
    assert advice.code == "SYMPTOM-NO-SOUND" and not advice.escalate


def test_unknown_code_and_symptom_escalates_at_once():
    advice = next_step("mobile", "ZZ-999", symptoms="it is weird")
    assert advice.escalate and advice.code == "ZZ-999"


def test_unknown_device_is_refused_with_the_choices():
    with pytest.raises(InvalidRequest, match="tv, mobile, tablet, web"):
        next_step("toaster", "NW-2-5")
