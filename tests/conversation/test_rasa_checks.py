"""Rasa's own checks, run as part of the suite: data validation, the test stories (failing on any wrong
intent, entity or action) and the NLU cross-validation gate (intent macro-F1 >= 0.90, reports kept in
results/nlu-crossval/). Each is a script a developer can also run alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"

pytestmark = [pytest.mark.rasa, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _rasa_environment() -> None:
    if not RASA.exists():
        reason = f"{RASA} is missing; run `make setup` to build the Rasa environment"
        if os.environ.get("MARQUEE_REQUIRE_SERVICES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def run_script(*command: str, timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(command)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result


STORY_FILES = ("test_discovery_stories.yml", "test_support_stories.yml")


def stories_in(name: str) -> int:
    data = yaml.safe_load((ROOT / "tests" / "conversation" / name).read_text())
    return len(data["stories"])


def test_training_data_validates_and_every_test_story_passes():
    result = run_script("scripts/validate_bot.sh")
    failed = (ROOT / "results" / "failed_test_stories.yml").read_text()
    assert "None of the test stories failed" in failed, failed[:2000]
    # Both files ran: Rasa reports one conversation-level result per story it evaluated.
    evaluated = re.findall(r"Correct:\s+(\d+) / (\d+)", result.stdout + result.stderr)
    assert evaluated, "rasa test core printed no end-to-end result"
    correct, total = map(int, evaluated[0])
    assert total == sum(stories_in(name) for name in STORY_FILES) == correct


# Issue 4's gate: seeded 5-fold cross-validation (scripts/nlu_crossval.py, seed 1) with intent macro-F1 >= 0.90
# over all intents; the script exits non-zero below the gate. Its reports stay in results/nlu-crossval/.
# Rasa's cross_validate parses every message of the train and test side of each fold one at a time (about
# 35,000 parses with the word-piece features): the first fold took 194 s here, so the run is well above the
# suite's default 600 s per-test timeout.
@pytest.mark.timeout(2400)
def test_nlu_cross_validation_meets_the_intent_macro_f1_gate():
    run_script("scripts/nlu_crossval.sh", timeout=2300)
    report = json.loads((ROOT / "results" / "nlu-crossval" / "intent_report.json").read_text())
    assert report["macro avg"]["f1-score"] >= 0.90
