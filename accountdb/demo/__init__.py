"""The demo world: a believable streaming service generated deterministically from a seed.

`seed_demo_world(url, SCALES["demo"], seed)` migrates the database and fills it; `marquee seed` is the
command-line front end. The content generators (catalog, subscribers, viewing, billing) are pure
functions of a numpy Generator, so tests can use them without a database.
"""

from accountdb.demo.scales import DEFAULT_AS_OF, SCALES, Scale
from accountdb.demo.seeder import SeedError, SeedReport, seed_demo_world

__all__ = ["DEFAULT_AS_OF", "SCALES", "Scale", "SeedError", "SeedReport", "seed_demo_world"]
