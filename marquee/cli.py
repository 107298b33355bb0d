"""The `marquee` command line. Each subcommand lives in its own module under marquee/commands/."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from pathlib import Path

from marquee import commands


class UserError(Exception):
    """A problem the user can fix; printed as `error: ...` without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="marquee",
        description="Marquee: conversational assistant for video-streaming services.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


SECRETS_FILE = "secrets.env"


def load_local_secrets(folder: Path | None = None) -> list[str]:
    """Set the MARQUEE_* variables of `<data dir>/secrets.env` (written once by `make demo`) that the
    environment does not already set, so `marquee chat` or `marquee token` in another terminal use the running
    demo's secrets. Returns the names it set."""
    from accountdb.engine import data_dir

    path = (folder or data_dir()) / SECRETS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot read %s: %s", path, exc)
        return []
    loaded = []
    for line in lines:
        name, sep, value = line.strip().partition("=")
        name = name.strip()
        if not sep or not name.startswith("MARQUEE_") or name in os.environ:
            continue
        os.environ[name] = value.strip()
        loaded.append(name)
    return loaded


def main(argv: list[str] | None = None) -> int:
    # Before the subcommands are imported: importing `actions` sets up logging for the action server's
    # worker processes unless something already has, and alembic logs each plugin it loads at INFO.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.getLogger().setLevel(logging.DEBUG)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> int:
    """The `marquee` console script: the checkout's local secrets, then the command."""
    load_local_secrets()
    return main()


if __name__ == "__main__":
    sys.exit(run())
