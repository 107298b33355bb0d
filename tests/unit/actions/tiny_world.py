"""A small, hand-made streaming world for the action services' tests, built with the ORM on a migrated DB.

Every title, region and profile is chosen so a test can state exactly what must (not) be suggested:
genres in clusters so collaborative filtering has a signal, titles unavailable in some regions, a series
that is "coming soon" in Germany, titles above a kids profile's limit, and two titles sharing one name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from accountdb import maturity
from accountdb.engine import session_scope
from accountdb.models import (
    Account,
    Credit,
    Genre,
    Person,
    Profile,
    Rating,
    Tag,
    Title,
    TitleAvailability,
    TitleCountry,
    ViewingEvent,
)

NOW = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)

# name, year, kind, genres, moods, rating, runtime or seasons, language, country, cast, regions, description
TITLES: list[tuple] = [
    (
        "Laugh Factory",
        2019,
        "movie",
        ["Comedy"],
        ["funny", "light"],
        "PG-13",
        95,
        "en",
        "US",
        ["Tom Hanks"],
        "US DE KR",
        "A struggling stand-up comic takes over a failing comedy club in Chicago.",
    ),
    (
        "Office Hours",
        2021,
        "series",
        ["Comedy"],
        ["funny", "light"],
        "TV-14",
        3,
        "en",
        "US",
        ["Steve Carell"],
        "US DE",
        "Coworkers at a paper company survive their absurd manager.",
    ),
    (
        "Big Day Out",
        1988,
        "movie",
        ["Comedy", "Family"],
        ["feel-good"],
        "PG",
        104,
        "en",
        "US",
        ["Tom Hanks"],
        "US DE KR",
        "A boy wakes up in the body of an adult and must navigate a toy company job.",
    ),
    (
        "Wedding Crashers Club",
        2015,
        "movie",
        ["Comedy", "Romance"],
        ["funny"],
        "R",
        119,
        "en",
        "US",
        ["Anna Lee"],
        "US",
        "Two friends crash weddings to meet people and one falls in love.",
    ),
    (
        "Chef in Paris",
        2007,
        "movie",
        ["Animation", "Family"],
        ["feel-good", "heartwarming"],
        "G",
        111,
        "fr",
        "FR",
        ["Amélie Dubois"],
        "US DE KR",
        "A rat who dreams of becoming a great cook teams up with a young kitchen worker in a Paris restaurant.",
    ),
    (
        "Tiny Dragons",
        2020,
        "series",
        ["Animation", "Kids"],
        ["light"],
        "TV-Y",
        2,
        "en",
        "US",
        ["Kim Park"],
        "US DE KR",
        "Baby dragons learn to share and fly in a friendly valley.",
    ),
    (
        "Robot Pals",
        2018,
        "movie",
        ["Animation", "Family"],
        ["funny"],
        "G",
        88,
        "en",
        "US",
        ["Kim Park"],
        "US DE",
        "Two lost robots find their way home across a junkyard city.",
    ),
    (
        "Ocean Tales",
        2022,
        "movie",
        ["Documentary", "Family"],
        ["inspiring"],
        "TV-G",
        78,
        "en",
        "GB",
        ["David Stone"],
        "US DE KR",
        "Filmed over four years, the secret lives of whales and coral reefs.",
    ),
    (
        "Night Terrors",
        2017,
        "movie",
        ["Horror"],
        ["scary", "dark"],
        "R",
        98,
        "en",
        "US",
        ["Vera Cross"],
        "US DE KR",
        "A family moves into a farmhouse where something lives in the walls.",
    ),
    (
        "The Haunting Hour",
        2021,
        "series",
        ["Horror", "Thriller"],
        ["scary"],
        "TV-MA",
        2,
        "en",
        "US",
        ["Vera Cross"],
        "US",
        "An anthology of ghost stories told at midnight.",
    ),
    (
        "Blood Moon",
        1985,
        "movie",
        ["Horror"],
        ["scary", "dark"],
        "R",
        92,
        "en",
        "US",
        ["Jack Rowe"],
        "US DE",
        "Campers in the woods are hunted during an eclipse.",
    ),
    (
        "Mars Alone",
        2015,
        "movie",
        ["Science Fiction", "Drama"],
        ["inspiring", "tense"],
        "PG-13",
        141,
        "en",
        "US",
        ["Matt Stone"],
        "US DE KR",
        "An astronaut stranded on Mars must grow food and survive until rescue.",
    ),
    (
        "Strange Signals",
        2016,
        "series",
        ["Science Fiction", "Horror"],
        ["mind-bending", "dark"],
        "TV-14",
        4,
        "en",
        "US",
        ["Winona Vale", "David Stone"],
        "US DE KR",
        "Kids in a small town investigate a secret lab and a monster from another dimension.",
    ),
    (
        "Dune",
        1984,
        "movie",
        ["Science Fiction"],
        ["mind-bending"],
        "PG-13",
        137,
        "en",
        "US",
        ["Kyle Mac"],
        "US DE",
        "A noble family fights for control of a desert planet and its spice.",
    ),
    (
        "Dune",
        2021,
        "movie",
        ["Science Fiction", "Action"],
        ["tense"],
        "PG-13",
        155,
        "en",
        "US",
        ["Tim Chalamet"],
        "US DE KR",
        "A young heir leads nomads against an empire on the desert planet Arrakis.",
    ),
    (
        "Time Loop",
        2010,
        "movie",
        ["Science Fiction", "Thriller"],
        ["mind-bending"],
        "PG-13",
        148,
        "en",
        "GB",
        ["Leo Marsh"],
        "US DE KR",
        "A thief enters dreams to plant an idea in a target's mind.",
    ),
    (
        "Seoul Night",
        2019,
        "movie",
        ["Thriller", "Drama"],
        ["dark", "tense"],
        "R",
        132,
        "ko",
        "KR",
        ["Song Kang"],
        "US KR",
        "A poor family schemes its way into a rich household in Seoul.",
    ),
    (
        "Han River Love",
        2020,
        "series",
        ["Romance", "Drama"],
        ["romantic"],
        "TV-14",
        1,
        "ko",
        "KR",
        ["Hyun Bin"],
        "US KR",
        "A paraglider crash-lands in the North and falls for a soldier.",
    ),
    (
        "Berlin Station",
        2017,
        "series",
        ["Thriller", "Crime"],
        ["tense"],
        "TV-MA",
        3,
        "de",
        "DE",
        ["Karl Weber"],
        "DE US",
        "Spies trade secrets in a divided city.",
    ),
    (
        "Casino Heist",
        2001,
        "movie",
        ["Crime", "Thriller"],
        ["tense"],
        "PG-13",
        116,
        "en",
        "US",
        ["George Lane"],
        "US DE KR",
        "A crew of thieves plans to rob three Las Vegas casinos at once.",
    ),
    (
        "Quick Bites",
        2023,
        "movie",
        ["Comedy"],
        ["funny", "light"],
        "TV-PG",
        42,
        "en",
        "US",
        ["Anna Lee"],
        "US DE KR",
        "Short comic vignettes set in a food truck.",
    ),
    (
        "The Long Road",
        1994,
        "movie",
        ["Drama"],
        ["inspiring"],
        "R",
        142,
        "en",
        "US",
        ["Tim Robbins"],
        "US DE KR",
        "Two prisoners form a friendship over decades and find hope.",
    ),
    (
        "Eighties Mixtape",
        1986,
        "movie",
        ["Comedy", "Romance"],
        ["feel-good", "romantic"],
        "PG-13",
        97,
        "en",
        "US",
        ["Molly Reed"],
        "US DE KR",
        "A high-school misfit makes a mixtape to win over her crush.",
    ),
    (
        "Midnight Diner",
        2016,
        "series",
        ["Drama"],
        ["heartwarming"],
        "TV-14",
        2,
        "ja",
        "JP",
        ["Kaoru Kobayashi"],
        "US DE KR",
        "A late-night Tokyo diner and the stories of its regulars.",
    ),
    (
        "Forbidden Cut",
        2012,
        "movie",
        ["Drama"],
        ["dark"],
        "NC-17",
        130,
        "en",
        "US",
        ["Vera Cross"],
        "US DE KR",
        "An explicit drama about a collapsing marriage.",
    ),
]
# Listed in a region without playback, and why (the other regions in TITLES are watchable).
UNAVAILABLE = {
    ("Strange Signals", "DE"): ("coming_soon", date(2026, 9, 1)),
    ("The Haunting Hour", "DE"): ("license_expired", None),
}

CLUSTERS = {
    "comedy": [
        "Laugh Factory",
        "Office Hours",
        "Big Day Out",
        "Wedding Crashers Club",
        "Quick Bites",
        "Eighties Mixtape",
    ],
    "kids": ["Chef in Paris", "Tiny Dragons", "Robot Pals", "Ocean Tales", "Big Day Out"],
    "horror": ["Night Terrors", "The Haunting Hour", "Blood Moon", "Strange Signals"],
    "scifi": ["Mars Alone", "Strange Signals", "Dune", "Time Loop"],
    "thriller": ["Seoul Night", "Berlin Station", "Casino Heist", "Time Loop", "The Long Road"],
}


@dataclass(frozen=True)
class World:
    title_ids: dict[str, list[int]]  # name -> ids (two for "Dune")
    adult_account: int
    adult_profile: int  # US, adult, likes comedy
    kids_profile: int  # same account, kids (limit TV-PG)
    german_account: int
    german_profile: int
    locked_account: int
    locked_profile: int

    def id(self, name: str, year: int | None = None) -> str:
        ids = self.title_ids[name]
        if year is None:
            return str(ids[0])
        return str(ids[[t[1] for t in TITLES if t[0] == name].index(year)])


def build_world(engine: Engine) -> World:
    with session_scope(engine) as session:
        genres: dict[str, Genre] = {}
        tags: dict[str, Tag] = {}
        people: dict[str, Person] = {}
        title_ids: dict[str, list[int]] = {}
        titles: dict[str, Title] = {}
        for (
            name,
            year,
            kind,
            genre_names,
            moods,
            rating,
            size,
            language,
            country,
            cast,
            regions,
            text,
        ) in TITLES:
            title = Title(
                kind=kind,
                name=name,
                release_year=year,
                description=text,
                original_language=language,
                runtime_minutes=size if kind == "movie" else None,
                seasons=size if kind == "series" else None,
                date_added=date(max(year, 2015), 1, 1),
            )
            title.set_maturity_rating(rating)
            title.genres = [genres.setdefault(g, Genre(name=g)) for g in genre_names]
            title.tags = [tags.setdefault(m, Tag(name=m)) for m in moods]
            title.credits = [
                Credit(person=people.setdefault(p, Person(name=p)), role="cast", position=i)
                for i, p in enumerate(cast)
            ]
            title.countries = [TitleCountry(country=country)]
            title.availability = [
                TitleAvailability(region=region)
                for region in regions.split()
                if (name, region) not in UNAVAILABLE
            ]
            title.availability += [
                TitleAvailability(region=region, unavailable_reason=reason, available_from=available_from)
                for (unavailable, region), (reason, available_from) in UNAVAILABLE.items()
                if unavailable == name
            ]
            session.add(title)
            session.flush()
            title_ids.setdefault(name, []).append(title.id)
            titles.setdefault(name, title)

        def account(email: str, country: str, status: str = "active") -> Account:
            acc = Account(email=email, name=email.split("@")[0], country=country, status=status)
            session.add(acc)
            session.flush()
            return acc

        adult = account("ada@mailbox.example", "US")
        adult_profile = Profile(account_id=adult.id, name="Ada")
        kids_profile = Profile(account_id=adult.id, name="Kids", is_kids=True)
        german = account("gert@postfach.example", "DE")
        german_profile = Profile(account_id=german.id, name="Gert")
        locked = account("lock@mailbox.example", "US", status="locked")
        locked_profile = Profile(account_id=locked.id, name="Lock")
        session.add_all([adult_profile, kids_profile, german_profile, locked_profile])
        session.flush()

        # Ada has watched two comedies and loved one; she is halfway through a series.
        for offset, name in enumerate(["Laugh Factory", "Big Day Out"]):
            session.add(
                ViewingEvent(
                    profile_id=adult_profile.id,
                    title_id=titles[name].id,
                    completed=True,
                    minutes_watched=90,
                    started_at=NOW - timedelta(days=10 - offset),
                )
            )
        session.add(Rating(profile_id=adult_profile.id, title_id=titles["Laugh Factory"].id, value="love"))
        session.add(
            ViewingEvent(
                profile_id=adult_profile.id,
                title_id=titles["Office Hours"].id,
                completed=False,
                minutes_watched=14,
                season=2,
                episode=3,
                started_at=NOW - timedelta(days=1),
            )
        )

        # Background viewers: 8 per taste cluster, each watching most of the cluster, so that
        # co-occurrence links the titles of a cluster.
        for cluster, names in CLUSTERS.items():
            for n in range(8):
                viewer_account = account(f"{cluster}{n}@inbox.example", ["US", "DE", "KR"][n % 3])
                viewer = Profile(account_id=viewer_account.id, name="Main")
                session.add(viewer)
                session.flush()
                for i, name in enumerate(names):
                    if (i + n) % 5 == 4:
                        continue  # everyone skips something, so the matrix is not uniform
                    session.add(
                        ViewingEvent(
                            profile_id=viewer.id,
                            title_id=titles[name].id,
                            completed=True,
                            minutes_watched=60,
                            started_at=NOW - timedelta(days=3 + i + n),
                        )
                    )
    assert kids_profile.maturity_limit == maturity.KIDS_MAX_RANK
    return World(
        title_ids=title_ids,
        adult_account=adult.id,
        adult_profile=adult_profile.id,
        kids_profile=kids_profile.id,
        german_account=german.id,
        german_profile=german_profile.id,
        locked_account=locked.id,
        locked_profile=locked_profile.id,
    )
