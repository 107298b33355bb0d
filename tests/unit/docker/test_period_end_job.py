"""The compose stack's period-end job runs a real `marquee` command and never starts with `up`."""

from __future__ import annotations

from pathlib import Path

import yaml

from marquee.cli import build_parser
from marquee.commands.jobs import run_period_end_command

ROOT = Path(__file__).resolve().parents[3]


def test_the_period_end_service_runs_the_job_on_demand_only():
    service = yaml.safe_load((ROOT / "docker" / "compose.yml").read_text())["services"]["period-end"]
    command = service["command"]
    assert command[0] == "marquee"
    args = build_parser().parse_args(command[1:])
    assert args.handler is run_period_end_command and args.dry_run is False
    # A profile keeps `docker compose up` from running it; the host's scheduler runs it once a day.
    assert service["profiles"] == ["jobs"] and service["restart"] == "no"
    assert "migrate" in service["depends_on"]
