"""Run a Rasa command (normally `rasa run ...`) under cProfile and write the profile when it stops.

Rasa's `run` serves everything from one process and one thread (Sanic with one worker), so a deterministic
profile of that thread is the whole server: NLU, policies, tracker store, the action-server client, the
channel. Run it with .venv-rasa's Python, drive some load, stop it with SIGINT or SIGTERM, then read the
profile with `pstats` (sorted by cumulative or internal time):

    .venv-rasa/bin/python bench/assistant/profiled_rasa.py --output /tmp/rasa.prof -- \\
        run --model models/marquee.tar.gz --endpoints bot/endpoints.yml --credentials bot/credentials.yml
    .venv-rasa/bin/python -m pstats /tmp/rasa.prof    # then: sort tottime, stats 40

cProfile slows pure-Python code down (roughly 1.5-2x), so read the profile for shares and call counts
(how often the policies featurise a tracker per message, how many events are copied), not for absolute
milliseconds; the benchmark (bench/assistant_bench.py) measures the unprofiled server.

`--sort` also prints the top functions to stderr when the server stops.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import io
import pstats
import signal
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, required=True, help="file the cProfile stats are written to")
    parser.add_argument(
        "--sort",
        choices=["cumulative", "tottime"],
        help="also print the 60 top functions by this key to stderr when the server stops",
    )
    parser.add_argument("rasa_args", nargs=argparse.REMAINDER, help="arguments of the `rasa` command")
    args = parser.parse_args()
    rasa_args = args.rasa_args[1:] if args.rasa_args[:1] == ["--"] else args.rasa_args
    if not rasa_args:
        parser.error("give the rasa command after --, e.g. `-- run --model models/marquee.tar.gz`")
    try:
        from rasa.__main__ import main as rasa_main
    except ImportError:
        parser.error("rasa is not importable: run this with .venv-rasa/bin/python")
    args.output.parent.mkdir(parents=True, exist_ok=True)

    profiler = cProfile.Profile()

    def write_profile() -> None:
        profiler.disable()
        profiler.dump_stats(str(args.output))
        print(f"profile written to {args.output}", file=sys.stderr)
        if args.sort:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats(args.sort).print_stats(60)
            print(text.getvalue(), file=sys.stderr)

    # Sanic stops its loop on SIGINT/SIGTERM and `rasa run` returns; a plain SIGTERM before Sanic installed
    # its handlers still ends through SystemExit, so the profile is written either way.
    atexit.register(write_profile)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.argv = ["rasa", *rasa_args]
    profiler.enable()
    try:
        rasa_main()
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int | None) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
