"""A real stack for end-to-end tests: a seeded SQLite account database, the rasa-sdk action server (.venv)
and the Rasa server (.venv-rasa) with the trained model, talking over HTTP on free local ports.

Starting Rasa takes about 40 s, so the stack is shared by the whole session. When the Rasa environment or
the trained model is missing the tests skip and say how to get them, unless MARQUEE_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "marquee.tar.gz"
STARTUP_SECONDS = 240
E2E_SEED = 7


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path, params: dict | None = None) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"{url} exited with {process.returncode} while starting:\n{log_path.read_text()[-3000:]}"
            )
        try:
            if httpx.get(url, params=params, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"{url} did not come up within {STARTUP_SECONDS} s:\n{log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Stack:
    database_url: str
    rasa_url: str
    actions_url: str
    rasa_token: str
    token_secret: str
    env: dict[str, str]
    actions_process: subprocess.Popen
    actions_log: Path

    def say(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": metadata or {}},
            timeout=60,
        )
        assert response.status_code == 200, (
            f"Rasa answered HTTP {response.status_code}: {response.text[:300]}"
        )
        replies = response.json()
        assert isinstance(replies, list)
        return replies

    def start_actions(self) -> None:
        self.actions_process = start_action_server(self.env, self.actions_url, self.actions_log)

    def stop_actions(self) -> None:
        stop(self.actions_process)


def start_action_server(env: dict[str, str], actions_url: str, log_path: Path) -> subprocess.Popen:
    port = actions_url.rsplit(":", 1)[1].split("/")[0]
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", port],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("a"),
        stderr=subprocess.STDOUT,
    )
    wait_until_up(actions_url.replace("/webhook", "/health"), process, log_path)
    return process


def _missing(reason: str) -> None:
    if os.environ.get("MARQUEE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (MARQUEE_REQUIRE_SERVICES=1, so this is an error)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not RASA.exists():
        _missing(f"{RASA} is missing; run `make setup` to build the Rasa environment")
    if not MODEL.exists():
        _missing(f"{MODEL} is missing; run `make train`")
    workdir = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{workdir / 'marquee.db'}"
    actions_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "MARQUEE_DATA_DIR": str(workdir),
        "MARQUEE_DATABASE_URL": database_url,
        "MARQUEE_TOKEN_SECRET": secrets.token_urlsafe(32),
        "MARQUEE_RASA_TOKEN": secrets.token_urlsafe(16),
        "MARQUEE_ACTIONS_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "marquee", "seed", "--scale", "tiny", "--seed", str(E2E_SEED)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    # The model `make demo` serves: the hybrid's artifact under MARQUEE_DATA_DIR (without it the action
    # server would answer with its item-kNN fallback, and these tests would not cover what ships).
    subprocess.run(
        [sys.executable, "-m", "marquee", "recommender", "fit"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    actions_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    actions_process = start_action_server(env, env["MARQUEE_ACTIONS_URL"], actions_log)
    rasa_process = subprocess.Popen(
        [
            str(RASA), "run", "--model", str(MODEL), "--endpoints", "bot/endpoints.yml",
            "--credentials", "bot/credentials.yml", "--enable-api", f"--auth-token={env['MARQUEE_RASA_TOKEN']}",
            "--port", str(rasa_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=rasa_log.open("w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    running = Stack(
        database_url=database_url,
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        actions_url=env["MARQUEE_ACTIONS_URL"],
        rasa_token=env["MARQUEE_RASA_TOKEN"],
        token_secret=env["MARQUEE_TOKEN_SECRET"],
        env=env,
        actions_process=actions_process,
        actions_log=actions_log,
    )
    try:
        wait_until_up(
            f"{running.rasa_url}/status", rasa_process, rasa_log, params={"token": running.rasa_token}
        )
        yield running
    finally:
        stop(rasa_process)
        stop(running.actions_process)


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def web_on_stack(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`marquee web` forwarding to the stack's Rasa server, with demo sign-in enabled."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("web") / "web.log"
    env = {
        **stack.env,
        "MARQUEE_RASA_URL": stack.rasa_url,
        "MARQUEE_SESSION_SECRET": secrets.token_urlsafe(32),
        "MARQUEE_DEMO_SIGNIN": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "marquee", "web", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process, log_path)
        yield base
    finally:
        stop(process)
