"""Every `marquee` command and subcommand explains itself with --help."""

from __future__ import annotations

import argparse

import pytest

from marquee.cli import build_parser, main


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.extend(command_paths(sub, (*prefix, name)))
    return paths


PATHS = command_paths(build_parser())


def test_the_expected_commands_exist():
    top = {path[0] for path in PATHS if path}
    assert {"migrate", "seed", "import", "token", "chat", "web", "staff"} <= top
    assert ("import", "catalog") in PATHS and ("import", "interactions") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "marquee")
def test_help_explains_the_command(path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*path, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: marquee")
    # A description or at least one documented option beyond -h.
    assert len([line for line in out.splitlines() if line.strip()]) >= 4


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_help_is_not_buried_in_log_lines():
    # A fresh process, so every subcommand module (and what it imports, such as alembic) is imported anew.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import sys; from marquee.cli import main; sys.exit(main(['--help']))"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("usage: marquee")
    assert done.stderr == ""
