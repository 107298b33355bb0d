"""Fixed, recognisable titles with distinctive premises that every seeded world contains.

Tests, the README and live demos search for these ("the one about a chef in Paris", "a haunted
lighthouse"), so they never depend on what the random generator happened to produce. They are
available in every region.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnchorTitle:
    title: str
    kind: str  # "movie" or "series"
    genres: tuple[str, ...]
    moods: tuple[str, ...]
    language: str
    countries: tuple[str, ...]
    release_year: int
    maturity_rating: str
    description: str
    cast: tuple[str, ...]
    directors: tuple[str, ...]
    runtime_minutes: int | None = None
    seasons: int | None = None
    episodes_per_season: int | None = None
    episode_minutes: int | None = None


ANCHOR_TITLES: tuple[AnchorTitle, ...] = (
    AnchorTitle(
        "Butter and Ash", "movie", ("drama", "food"), ("heartwarming", "emotional", "inspiring"),
        "fr", ("FR",), 2023, "PG-13",
        "A young chef from Lyon moves to Paris to save her late father's failing bistro, and has one month "
        "to win over the city's most feared food critic. A moving, heartwarming drama about food, family "
        "and second chances in the kitchens of Paris.",
        ("Camille Fontaine", "Julien Mercier", "Élodie Garnier", "Rémi Faure"), ("Amélie Rousseau",),
        runtime_minutes=118,
    ),
    AnchorTitle(
        "The Keeper of Gull Rock", "movie", ("horror", "mystery"), ("scary", "dark", "suspenseful"),
        "en", ("GB",), 2021, "R",
        "A lighthouse keeper on a fog-bound island off Cornwall hears knocking from inside the lighthouse "
        "walls at the same hour every night. A chilling horror film about a haunted lighthouse, isolation "
        "and a sea that never gives back its dead.",
        ("Owen Holloway", "Naomi Graves", "Henry Marsh"), ("Claire Whitaker",),
        runtime_minutes=97,
    ),
    AnchorTitle(
        "Midnight in Lisbon", "movie", ("romance", "drama"), ("romantic", "emotional", "cozy"),
        "en", ("US", "PT"), 2022, "PG-13",
        "Two strangers who miss the last tram in Lisbon spend one summer night walking the city, talking "
        "until dawn about the lives they almost lived. A romantic, bittersweet love story about timing, "
        "chance and the courage to fall in love again.",
        ("Grace Sullivan", "Rafael Almeida", "Tessa Brooks"), ("Adrian Hale",),
        runtime_minutes=104,
    ),
    AnchorTitle(
        "Orbit of Silence", "movie", ("scifi", "thriller"), ("mind-bending", "tense", "thought-provoking"),
        "en", ("US",), 2024, "PG-13",
        "An astronaut alone on a research station orbiting Jupiter starts receiving radio messages in her own "
        "voice, sent from a future she cannot remember. A mind-bending, tense science-fiction thriller about "
        "isolation, time and memory.",
        ("Maya Okafor", "Elliot Chen", "Dana Kessler"), ("Marcus Lindqvist",),
        runtime_minutes=126,
    ),
    AnchorTitle(
        "Pip and the Paper Moon", "series", ("kids", "animation"), ("cozy", "heartwarming", "light"),
        "en", ("GB",), 2020, "TV-Y",
        "A little fox named Pip builds a paper moon to light the way home for a lost baby owl, and every "
        "night brings a new friend to help. A gentle, cozy animated series for preschoolers about kindness, "
        "sharing and bedtime.",
        ("Ruby Fletcher", "Jack Turner", "Isla Barnes"), ("Sophie Lawson",),
        seasons=3, episodes_per_season=26, episode_minutes=11,
    ),
    AnchorTitle(
        "Sky Scouts", "series", ("kids", "animation", "adventure"), ("action-packed", "funny", "feel-good"),
        "en", ("US",), 2022, "TV-Y7",
        "Four young dragon riders train at a floating academy and protect their cloud village from storms "
        "and sky pirates. A funny, action-packed animated adventure for kids about teamwork and courage.",
        ("Caleb Price", "Zoe Carter", "Leah Morgan", "Dylan Reed"), ("Nathan Foster",),
        seasons=2, episodes_per_season=20, episode_minutes=22,
    ),
    AnchorTitle(
        "Cold Ledger", "series", ("crime", "thriller", "drama"), ("gritty", "tense", "dark"),
        "en", ("US",), 2023, "TV-MA",
        "A forensic accountant in Chicago follows the money from a single murder to a cartel's laundering "
        "empire hidden inside a respectable bank. A gritty, tense crime series about greed, loyalty and the "
        "price of the truth.",
        ("Marcus Hale", "Jasmine Reyes", "Aaron Donovan", "Megan Quinn"), ("Connor Ellison", "Rosa Navarro"),
        seasons=3, episodes_per_season=10, episode_minutes=52,
    ),
    AnchorTitle(
        "The Long Season", "series", ("sports", "documentary"), ("inspiring", "emotional", "feel-good"),
        "en", ("US",), 2021, "TV-PG",
        "A small-town high-school football team in West Texas chases its first championship in forty years. "
        "An inspiring, emotional sports docuseries about grit, family and a town that refuses to quit.",
        ("Tyler Walker", "Samuel Brooks"), ("Priya Patel",),
        seasons=1, episodes_per_season=8, episode_minutes=47,
    ),
    AnchorTitle(
        "Salt Roads", "series", ("food", "documentary"), ("cozy", "feel-good", "inspiring"),
        "en", ("GB",), 2022, "TV-G",
        "A celebrated chef travels from Oaxaca to Istanbul in search of the oldest recipes still cooked "
        "today, cooking with grandmothers, fishermen and street vendors. A cozy, feel-good food and travel "
        "series about tradition and the people behind the plate.",
        ("Hannah Collins",), ("Ethan Bennett",),
        seasons=2, episodes_per_season=6, episode_minutes=44,
    ),
    AnchorTitle(
        "The Drowned Village", "series", ("mystery", "crime", "drama"), ("suspenseful", "dark", "emotional"),
        "en", ("GB",), 2024, "TV-14",
        "When a reservoir dries up in a heatwave and reveals a drowned Welsh village, a detective finds the "
        "body of a girl who went missing thirty years ago. A suspenseful mystery series about guilt, secrets "
        "and small-town memory.",
        ("Claire Harper", "Liam Fletcher", "Grace Holloway"), ("Owen Mitchell",),
        seasons=2, episodes_per_season=6, episode_minutes=58,
    ),
    AnchorTitle(
        "Seoul After Dark", "series", ("thriller", "crime"), ("tense", "gritty", "suspenseful"),
        "ko", ("KR",), 2023, "TV-MA",
        "A night-shift taxi driver in Seoul becomes the only witness to a politician's murder and is hunted "
        "by the police who should protect him. A tense, gritty Korean thriller about corruption and survival.",
        ("Park Ji-ho", "Kim Seo-yeon", "Lee Tae-hyun"), ("Choi Hye-jin",),
        seasons=2, episodes_per_season=12, episode_minutes=62,
    ),
    AnchorTitle(
        "Totally Normal Neighbors", "series", ("comedy", "family"), ("funny", "light", "quirky"),
        "en", ("US",), 2019, "TV-14",
        "A family of retired con artists moves into a quiet cul-de-sac in suburban Ohio and tries, badly, to "
        "live an honest life. A funny, light-hearted sitcom about family, old habits and nosy neighbors.",
        ("Olivia Barnes", "James Kessler", "Chloe Hayes", "Noah Graves"), ("Daniel Price",),
        seasons=5, episodes_per_season=13, episode_minutes=24,
    ),
    AnchorTitle(
        "Blade of the Crimson Sky", "series", ("anime", "fantasy", "action"), ("epic", "action-packed", "emotional"),
        "ja", ("JP",), 2021, "TV-14",
        "A wandering swordswoman in feudal Japan hunts the demon who burned her village, guided by the spirit "
        "of her younger brother. An epic, action-packed anime series about revenge, grief and growing stronger.",
        ("Aoi Tanaka", "Ren Matsumoto", "Mio Sasaki"), ("Kenji Yamada",),
        seasons=2, episodes_per_season=24, episode_minutes=24,
    ),
)  # fmt: skip
