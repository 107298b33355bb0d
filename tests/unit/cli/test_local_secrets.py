"""`make demo` writes var/secrets.env once; every `marquee` command reads what the environment does not set."""

from __future__ import annotations

import os

from marquee.cli import load_local_secrets


def test_unset_names_are_read_and_set_ones_are_kept(tmp_path, monkeypatch) -> None:
    (tmp_path / "secrets.env").write_text(
        "# made by make demo\n"
        "MARQUEE_TOKEN_SECRET=abc123\n"
        "MARQUEE_RASA_TOKEN = from-file\n"
        "PATH=/nowhere\n"
        "not a line\n"
    )
    monkeypatch.delenv("MARQUEE_TOKEN_SECRET", raising=False)
    monkeypatch.setenv("MARQUEE_RASA_TOKEN", "from-environment")
    assert load_local_secrets(tmp_path) == ["MARQUEE_TOKEN_SECRET"]
    assert os.environ["MARQUEE_TOKEN_SECRET"] == "abc123"
    assert os.environ["MARQUEE_RASA_TOKEN"] == "from-environment"
    assert os.environ["PATH"] != "/nowhere"


def test_no_file_sets_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MARQUEE_TOKEN_SECRET", raising=False)
    assert load_local_secrets(tmp_path) == []
    assert "MARQUEE_TOKEN_SECRET" not in os.environ


def test_the_data_folder_is_where_it_looks(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MARQUEE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MARQUEE_SESSION_SECRET", raising=False)
    (tmp_path / "secrets.env").write_text("MARQUEE_SESSION_SECRET=s3cret\n")
    assert load_local_secrets() == ["MARQUEE_SESSION_SECRET"]


def test_a_command_in_another_terminal_uses_the_demos_token_secret(tmp_path) -> None:
    import subprocess
    import sys

    from marquee.cli import main

    url = f"sqlite:///{tmp_path / 'marquee.db'}"
    assert main(["migrate", "--database-url", url]) == 0
    assert main(["seed", "--scale", "tiny", "--seed", "3", "--database-url", url, "--no-progress"]) == 0
    env = {k: v for k, v in os.environ.items() if k != "MARQUEE_TOKEN_SECRET"}
    env.update({"MARQUEE_DATA_DIR": str(tmp_path), "MARQUEE_DATABASE_URL": url})
    command = [sys.executable, "-m", "marquee", "token", "--email", "demo@marquee.example"]

    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "MARQUEE_TOKEN_SECRET" in refused.stderr

    (tmp_path / "secrets.env").write_text(f"MARQUEE_TOKEN_SECRET={'k' * 64}\n")
    signed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout.count(".") == 2  # a JWT: header.payload.signature


def test_main_alone_leaves_the_environment_as_it_is(tmp_path, monkeypatch, capsys) -> None:
    # Tests and embedders call main(); only the console script (run) reads the checkout's secrets.
    from marquee.cli import main

    monkeypatch.setenv("MARQUEE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MARQUEE_TOKEN_SECRET", raising=False)
    (tmp_path / "secrets.env").write_text("MARQUEE_TOKEN_SECRET=from-file\n")
    assert main([]) == 2
    assert "MARQUEE_TOKEN_SECRET" not in os.environ
