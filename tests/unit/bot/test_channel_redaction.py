"""Card numbers and passwords are masked by the input channels before Rasa sees a message.

The channels are Rasa 3.6 code, so they run in the Rasa environment (.venv-rasa, Python 3.10):
channel_redaction_probe.py serves them from bot/credentials.yml on a real Sanic server, talks to them over
REST and socket.io, and prints what the stand-in agent received, what the client got back, and every log
line. These tests run it once and check the result.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from accountdb.services.redaction import redact
from actions.secret_warning import CARD_WARNING, PASSWORD_WARNING, REDACTED_KEY, is_warning

ROOT = Path(__file__).resolve().parents[3]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
PROBE = Path(__file__).with_name("channel_redaction_probe.py")
TROUBLE = "Sorry, I'm having trouble right now"
SECRETS = (
    "4111 1111 1111 1111",
    "4111111111111111",
    "5555-5555-5555-4444",
    "5555555555554444",
    "Hunter2-Secret",
)
SECRET_CASES = ("card", "card_digits_only", "password", "both", "action_warned", "silent_with_secret")
EXPECTED_KINDS = {
    "card": ["card_number"],
    "card_digits_only": ["card_number"],
    "password": ["password"],
    "both": ["card_number", "password"],
}


def rasa_python() -> Path:
    if not RASA_PYTHON.exists():
        reason = f"{RASA_PYTHON} is missing; run `make setup` to build the Rasa environment"
        if os.environ.get("MARQUEE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (MARQUEE_REQUIRE_SERVICES=1, so this is an error)", pytrace=False)
        pytest.skip(reason)
    return RASA_PYTHON


def rasa_env() -> dict[str, str]:
    """The environment for the Rasa interpreter: the repository root on its import path, as `rasa run`
    started from the root has it."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    run = subprocess.run(
        [str(rasa_python()), str(PROBE)],
        cwd=ROOT,
        env=rasa_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, f"the channel probe failed:\n{run.stderr[-4000:]}"
    return json.loads(run.stdout)


def turns(probe: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (channel, name, turn) for channel in ("rest", "socketio") for name, turn in probe[channel].items()
    ]


def digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def test_the_shared_modules_import_on_python_3_10_with_the_standard_library_only() -> None:
    # -S: no site-packages at all, so any third-party import fails; the repo root is on the import path, as
    # the Rasa server's working directory is.
    run = subprocess.run(
        [
            str(rasa_python()), "-S", "-c",
            "import sys, accountdb.services.redaction, actions.secret_warning; print(sys.version_info[:2])",
        ],
        cwd=ROOT, env=rasa_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(3, 10)"


@pytest.mark.parametrize("channel", ["rest", "socketio"])
def test_rasa_receives_masked_text_and_the_kinds_in_the_metadata(probe: dict[str, Any], channel: str) -> None:
    for name, kinds in EXPECTED_KINDS.items():
        if name not in probe[channel]:
            continue
        [received] = probe[channel][name]["received"]
        assert received["metadata"][REDACTED_KEY] == kinds, name
        assert received["metadata"]["marquee_token"] == "token-for-the-probe"  # the client's metadata stays
        assert "removed" in received["text"], name
    card = probe[channel]["card"]["received"][0]["text"]
    assert card == "my card number is [card number removed, ending 1111], why was I charged twice?"


def test_nothing_secret_reaches_rasa_the_client_or_the_logs(probe: dict[str, Any]) -> None:
    for channel, name, turn in turns(probe):
        dumped = json.dumps(turn)
        for secret in SECRETS:
            assert secret not in dumped, (channel, name, secret)
            for received in turn["received"]:
                assert digits(secret) not in digits(received["text"]), (channel, name)
    for secret in SECRETS:
        assert secret not in probe["log"]
    assert "conversation rest-card: masked card_number in the user's message" in probe["log"]


@pytest.mark.parametrize("channel", ["rest", "socketio"])
def test_the_reply_starts_with_exactly_one_warning(probe: dict[str, Any], channel: str) -> None:
    for name in SECRET_CASES:
        if name not in probe[channel]:
            continue
        replies = [reply.get("text") for reply in probe[channel][name]["replies"]]
        assert is_warning(replies[0]), (name, replies)
        assert sum(map(is_warning, replies)) == 1, (name, replies)
        assert len(replies) == 2, (name, replies)  # the warning, then the turn's own answer
    assert probe[channel]["card"]["replies"][0]["text"] == CARD_WARNING
    assert probe["rest"]["password"]["replies"][0]["text"] == PASSWORD_WARNING
    assert probe["rest"]["both"]["replies"][0]["text"] == f"{CARD_WARNING} {PASSWORD_WARNING}"


@pytest.mark.parametrize("channel", ["rest", "socketio"])
def test_clean_messages_pass_untouched_and_a_client_cannot_set_the_flag(
    probe: dict[str, Any], channel: str
) -> None:
    for name, text in (
        ("clean", "something like Stranger Things"),
        ("client_flag_ignored", "a funny series"),
    ):
        turn = probe[channel][name]
        [received] = turn["received"]
        assert received["text"] == text and REDACTED_KEY not in received["metadata"]
        assert [reply["text"] for reply in turn["replies"]] == [f"you said: {text}"]


def test_a_silent_or_failed_turn_still_warns_and_then_says_it_is_in_trouble(probe: dict[str, Any]) -> None:
    for channel, name in (("rest", "silent_with_secret"), ("socketio", "silent_with_secret"), ("rest", "failure_with_secret")):  # fmt: skip
        replies = [reply["text"] for reply in probe[channel][name]["replies"]]
        assert is_warning(replies[0]) and replies[1].startswith(TROUBLE), (channel, name)
    assert "conversation rest-failure_with_secret: Rasa failed to handle the message" in probe["log"]
    assert probe["rest"]["silent_command"]["replies"] == []  # housekeeping stays silent


def test_metadata_that_is_not_an_object_is_refused_with_a_clear_message(probe: dict[str, Any]) -> None:
    refused = probe["rest_bad_metadata"]
    assert refused["status"] == 400
    assert '\\"metadata\\" must be a JSON object' in refused["body"]


def test_socketio_sessions_get_their_replies(probe: dict[str, Any]) -> None:
    # Rasa 3.6 forgets to await python-socketio 5's enter_room; the channel's own session handler fixes it.
    assert set(probe["socketio"]) == {
        "card",
        "clean",
        "client_flag_ignored",
        "action_warned",
        "silent_with_secret",
    }
    assert all(turn["replies"] for turn in probe["socketio"].values())


@pytest.mark.parametrize(
    "text",
    [
        "my password is Hunter2-Secret!",
        "password: 4111 1111 1111 1111",
        "card 5555-5555-5555-4444 and pw=abc123",
        'my pin is "1234" and passcode: 9876',
        "order 1234 4111 1111 1111 1111 ok",
    ],
)
def test_masking_twice_changes_nothing(text: str) -> None:
    # The REST channel masks while reading the request and again before Rasa; actions may mask once more.
    once = redact(text)
    assert once != text and redact(once) == once


PROJECT_PACKAGES = ("accountdb", "actions", "bot", "marquee", "recommender", "text_embedding", "webapp")


def project_files_imported_by(path: Path, seen: set[Path] | None = None) -> set[Path]:
    """`path` and every project module it imports, transitively, with their packages' __init__.py files."""
    seen = set() if seen is None else seen
    if path in seen:
        return seen
    seen.add(path)
    for node in ast.walk(ast.parse(path.read_text())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name.split(".")[0] not in PROJECT_PACKAGES:
                continue
            parts = name.split(".")
            for depth in range(1, len(parts)):
                init = ROOT.joinpath(*parts[:depth], "__init__.py")
                if init.exists():
                    seen.add(init)
            module = ROOT.joinpath(*parts).with_suffix(".py")
            package = ROOT.joinpath(*parts, "__init__.py")
            project_files_imported_by(module if module.exists() else package, seen)
    return seen


def test_the_rasa_image_holds_every_project_module_the_channels_import() -> None:
    sources = []
    for line in (ROOT / "docker" / "Dockerfile.rasa").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "COPY" and not any(p.startswith("--from") for p in parts):
            sources += [ROOT / p for p in parts[1:-1]]
    # The channels and the NLU components bot/config.yml names run inside the Rasa image.
    for entry in [ROOT / "bot" / "channels.py", *sorted((ROOT / "bot" / "components").glob("*.py"))]:
        needed = project_files_imported_by(entry)
        for path in needed:
            assert any(path == source or source in path.parents for source in sources), (
                f"docker/Dockerfile.rasa does not copy {path.relative_to(ROOT)}, which {entry.relative_to(ROOT)} needs"
            )
    # The walk does follow the imports.
    assert ROOT / "actions" / "secret_warning.py" in project_files_imported_by(ROOT / "bot" / "channels.py")
    assert ROOT / "text_embedding" / "minilm.py" in project_files_imported_by(
        ROOT / "bot" / "components" / "sentence_featurizer.py"
    )
