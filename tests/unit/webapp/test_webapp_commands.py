"""`marquee token`, `marquee staff` and `marquee web`'s start-up checks, run in-process on a real database."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from webapp_testkit import SESSION_SECRET, TOKEN_SECRET
from webapp_world import WebWorld

from accountdb.engine import session_scope
from accountdb.models import AuditLogEntry, StaffUser
from actions.identity import verify_token
from marquee.cli import main
from webapp.auth import api_key_digest


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, web_db_url: str) -> None:
    monkeypatch.setenv("MARQUEE_DATABASE_URL", web_db_url)
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", TOKEN_SECRET)
    monkeypatch.setenv("MARQUEE_SESSION_SECRET", SESSION_SECRET)


def test_token_is_signed_for_the_named_or_first_grown_up_profile(
    cli_env: None, web_world: WebWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--email", "alice@example.com"]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_token(token, secret=TOKEN_SECRET) == (
        web_world.accounts["alice@example.com"],
        web_world.profiles["alice@example.com/Alice"],
    )
    assert main(["token", "--email", "alice@example.com", "--profile", "kiddo"]) == 0
    kids_token = capsys.readouterr().out.strip()
    assert verify_token(kids_token, secret=TOKEN_SECRET)[1] == web_world.profiles["alice@example.com/Kiddo"]


def test_token_errors_say_what_to_do(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--email", "nobody@example.com"]) == 1
    assert "no account has the email nobody@example.com" in capsys.readouterr().err
    assert main(["token", "--email", "alice@example.com", "--profile", "Nobody"]) == 1
    assert "Its profiles: Alice, Kiddo, Private" in capsys.readouterr().err


def test_staff_add_with_password_from_stdin_then_log_in(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, web_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    assert main(["staff", "add", "--username", "zoe", "--role", "supervisor", "--password-stdin"]) == 0
    with session_scope(web_engine) as session:
        zoe = session.scalars(select(StaffUser).where(StaffUser.username == "zoe")).one()
        assert zoe.role == "supervisor" and zoe.check_password("a-long-enough-password")
        assert session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "staff.add")).one()
    monkeypatch.setattr("sys.stdin", io.StringIO("another-long-password\n"))
    assert main(["staff", "add", "--username", "ZOE", "--role", "agent", "--password-stdin"]) == 1
    assert "is taken" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["staff", "add", "--username", "yan", "--role", "agent", "--password-stdin"]) == 1
    assert "shorter than 12" in capsys.readouterr().err


def test_api_key_is_printed_once_and_only_its_digest_kept(
    cli_env: None, web_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "api-key", "--username", "mark"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("mq_")
    with session_scope(web_engine) as session:
        stored = session.scalar(select(StaffUser.api_key_sha256).where(StaffUser.username == "mark"))
    assert stored == api_key_digest(key) and key not in stored
    assert main(["staff", "api-key", "--username", "ana"]) == 1
    assert "only marketers and supervisors" in capsys.readouterr().err


def test_deactivate_and_unlock(cli_env: None, web_engine: Engine) -> None:
    assert main(["staff", "deactivate", "--username", "mark"]) == 0
    assert main(["staff", "unlock", "--username", "ben"]) == 0
    with session_scope(web_engine) as session:
        mark = session.scalars(select(StaffUser).where(StaffUser.username == "mark")).one()
        assert not mark.active and mark.api_key_sha256 is None


def test_ensure_demo_is_idempotent_and_keeps_its_passwords(
    cli_env: None, web_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "ensure-demo"]) == 0
    first = capsys.readouterr().out
    assert main(["staff", "ensure-demo"]) == 0
    assert capsys.readouterr().out == first
    with session_scope(web_engine) as session:
        users = {
            u.username: u for u in session.scalars(select(StaffUser).where(StaffUser.username.like("demo-%")))
        }
        assert {u.role for u in users.values()} == {"agent", "supervisor", "marketer"}
    saved = json.loads((Path(os.environ["MARQUEE_DATA_DIR"]) / "demo-staff.json").read_text())
    with session_scope(web_engine) as session:
        agent = session.scalars(select(StaffUser).where(StaffUser.username == "demo-agent")).one()
        assert agent.check_password(saved["demo-agent"]["password"])
    assert saved["demo-agent"]["password"] in first


def test_web_refuses_to_start_without_secrets_or_schema(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARQUEE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MARQUEE_TOKEN_SECRET", TOKEN_SECRET)
    monkeypatch.delenv("MARQUEE_SESSION_SECRET", raising=False)
    assert main(["web", "--port", "8123"]) == 1
    assert "MARQUEE_SESSION_SECRET is unset" in capsys.readouterr().err
    monkeypatch.setenv("MARQUEE_SESSION_SECRET", SESSION_SECRET)
    assert main(["web", "--port", "8123"]) == 1
    assert "Run `marquee migrate` first" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command", [["web"], ["token"], ["staff"], ["staff", "add"], ["staff", "ensure-demo"]]
)
def test_every_command_explains_itself(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: marquee" in capsys.readouterr().out
