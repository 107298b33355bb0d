import sys

from marquee.cli import run

sys.exit(run())
