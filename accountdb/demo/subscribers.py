"""Accounts and profiles of the demo world, each profile with a hidden taste that drives what it watches.

A profile's taste is a Dirichlet draw over genres and over moods, so most people like a handful of
genres and a few are concentrated on a rare one (anime fans, western buffs). Kids profiles get a
maturity limit from their age and a taste made of kids genres.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from accountdb import maturity
from accountdb.demo.genres import GENRE_INDEX, GENRES, KIDS_GENRES, MOODS, NICHE_GENRES
from accountdb.demo.geography import REGION_CODES, REGIONS
from accountdb.demo.hashes import DEMO_PINS
from accountdb.demo.people import GIVEN_NAMES, random_names

DEMO_EMAIL = "demo@marquee.example"
DEMO_ACCOUNT_NAME = "Jordan Avery"
DEMO_ADULT_PROFILE = "Jordan"
DEMO_KIDS_PROFILE = "Mia"
DEMO_KIDS_AGE = 8
AVATARS = ("fox", "owl", "robot", "whale", "cat", "panda", "astronaut", "dragon", "tiger", "koala")
KIDS_AVATARS = ("fox", "owl", "dragon", "panda", "koala")
# Profiles per account: 1 (22%) .. 5 (8%).
PROFILES_PER_ACCOUNT = (0.22, 0.30, 0.22, 0.18, 0.08)
NICHE_SHARE = 0.06
PIN_SHARE = 0.04


def kids_limit_for_age(age: int) -> int:
    """Maturity ceiling a parent would pick for a child of `age` (little kids, older kids, preteens)."""
    if age <= 6:
        return maturity.MATURITY_SCALE["TV-Y"]
    if age <= 9:
        return maturity.MATURITY_SCALE["TV-Y7"]
    return maturity.KIDS_MAX_RANK


@dataclass
class Subscribers:
    # accounts (index a describes account id a + 1)
    account_email: list[str]
    account_name: list[str]
    account_region: np.ndarray  # index into REGIONS
    account_language: list[str]
    account_consent: np.ndarray
    account_created: np.ndarray  # datetime64[s]
    account_profiles: np.ndarray  # profiles per account
    # profiles (index p describes profile id p + 1)
    profile_account: np.ndarray  # account index
    profile_name: list[str]
    profile_is_kids: np.ndarray
    profile_limit: np.ndarray
    profile_pin: list[str | None]  # the clear demo PIN; hashed when written
    profile_language: list[str]
    profile_avatar: list[str]
    profile_created: np.ndarray  # datetime64[s]
    taste_genres: np.ndarray  # float32 (profiles, genres), rows sum to 1
    taste_moods: np.ndarray  # float32 (profiles, moods)
    openness: np.ndarray  # float32: appetite for titles outside one's own language
    activity: np.ndarray  # float32 multiplier on how much a profile watches

    @property
    def account_count(self) -> int:
        return len(self.account_email)

    @property
    def profile_count(self) -> int:
        return len(self.profile_account)

    def profile_region(self) -> np.ndarray:
        return self.account_region[self.profile_account]


def _email(
    rng: np.random.Generator, given: str, family: str, domains: tuple[str, ...], taken: set[str]
) -> str:
    first = _ascii(given)
    last = _ascii(family)
    style = int(rng.integers(5))
    local = (f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}", f"{last}.{first}")[
        style
    ]
    if rng.random() < 0.45:
        local += str(int(rng.integers(1, 100)))
    domain = domains[int(rng.integers(len(domains)))]
    address = f"{local}@{domain}"
    suffix = 2
    while address in taken:
        address = f"{local}{suffix}@{domain}"
        suffix += 1
    taken.add(address)
    return address


_ASCII_FOLD = str.maketrans(
    {"á": "a", "à": "a", "â": "a", "ä": "a", "ã": "a", "é": "e", "è": "e", "ê": "e", "ë": "e", "í": "i",
     "î": "i", "ï": "i", "ó": "o", "ô": "o", "ö": "o", "õ": "o", "ú": "u", "ü": "u", "û": "u", "ç": "c",
     "ñ": "n", "ø": "o", "ı": "i", "ş": "s", "ğ": "g", "ß": "ss", "'": "", " ": "", "-": ""}
)  # fmt: skip


def _ascii(name: str) -> str:
    return name.lower().translate(_ASCII_FOLD)


def generate_subscribers(rng: np.random.Generator, account_count: int, as_of: dt.date) -> Subscribers:
    """`account_count` accounts (the first is the well-known demo subscriber) and their profiles."""
    shares = np.array([region.subscriber_share for region in REGIONS])
    regions = rng.choice(len(REGIONS), size=account_count, p=shares / shares.sum())
    regions[0] = REGION_CODES.index("US")
    as_of_s = np.datetime64(as_of, "s")
    # Sign-ups over six years, more of them recent (the service is growing).
    age_days = np.minimum(rng.exponential(700, account_count), 6 * 365 - 1)
    created = (
        as_of_s
        - (age_days * 86400).astype("timedelta64[s]")
        - rng.integers(0, 86400, account_count).astype("timedelta64[s]")
    )
    created[0] = as_of_s - np.timedelta64(3 * 365 * 86400 + 40_000, "s")
    profile_counts = rng.choice(5, size=account_count, p=PROFILES_PER_ACCOUNT) + 1
    profile_counts[0] = 2
    consent = rng.random(account_count) < 0.45
    consent[0] = True

    taken: set[str] = {DEMO_EMAIL}
    emails: list[str] = []
    names: list[str] = []
    languages: list[str] = []
    profile_fields: dict[str, list] = {
        key: [] for key in ("account", "name", "kids", "limit", "pin", "language", "avatar", "offset")
    }
    for index in range(account_count):
        region = REGIONS[int(regions[index])]
        language_options = region.languages
        weights = np.array([w for _, w in language_options])
        language = language_options[int(rng.choice(len(language_options), p=weights / weights.sum()))][0]
        given, family = random_names(rng, language, 1)[0]
        if index == 0:
            emails.append(DEMO_EMAIL)
            names.append(DEMO_ACCOUNT_NAME)
            languages.append("en")
            _demo_profiles(profile_fields)
            continue
        emails.append(_email(rng, given, family, region.email_domains, taken))
        names.append(f"{given} {family}")
        languages.append(language)
        _household_profiles(rng, profile_fields, index, given, language, int(profile_counts[index]))

    profile_account = np.array(profile_fields["account"], dtype=np.int64)
    profile_count = len(profile_account)
    offsets = np.array(profile_fields["offset"], dtype=np.int64)
    # Extra profiles are added later, but not after "today" and never before their account existed.
    profile_created = np.maximum(
        np.minimum(
            created[profile_account] + offsets.astype("timedelta64[s]"), as_of_s - np.timedelta64(60, "s")
        ),
        created[profile_account],
    )
    is_kids = np.array(profile_fields["kids"], dtype=bool)
    taste_genres, taste_moods = _tastes(rng, profile_count, is_kids)
    openness = rng.beta(2.0, 4.0, profile_count).astype(np.float32)
    activity = rng.lognormal(0.0, 0.55, profile_count).astype(np.float32)
    activity /= activity.mean()
    return Subscribers(
        account_email=emails,
        account_name=names,
        account_region=regions.astype(np.int64),
        account_language=languages,
        account_consent=consent,
        account_created=created,
        account_profiles=np.bincount(profile_account, minlength=account_count),
        profile_account=profile_account,
        profile_name=profile_fields["name"],
        profile_is_kids=is_kids,
        profile_limit=np.array(profile_fields["limit"], dtype=np.int64),
        profile_pin=profile_fields["pin"],
        profile_language=profile_fields["language"],
        profile_avatar=profile_fields["avatar"],
        profile_created=profile_created,
        taste_genres=taste_genres,
        taste_moods=taste_moods,
        openness=openness,
        activity=activity,
    )


def _demo_profiles(fields: dict[str, list]) -> None:
    for name, kids, limit, avatar in (
        (DEMO_ADULT_PROFILE, False, maturity.ADULT_RANK, "astronaut"),
        (DEMO_KIDS_PROFILE, True, kids_limit_for_age(DEMO_KIDS_AGE), "dragon"),
    ):
        fields["account"].append(0)
        fields["name"].append(name)
        fields["kids"].append(kids)
        fields["limit"].append(limit)
        fields["pin"].append("1234" if not kids else None)
        fields["language"].append("en")
        fields["avatar"].append(avatar)
        fields["offset"].append(0 if not kids else 86400 * 3)


def _household_profiles(
    rng: np.random.Generator, fields: dict[str, list], account: int, holder: str, language: str, count: int
) -> None:
    has_kids = count >= 2 and rng.random() < 0.38
    kids_count = 0 if not has_kids else (1 if count == 2 or rng.random() < 0.6 else 2)
    used = {holder}
    given_pool = GIVEN_NAMES.get(language, GIVEN_NAMES["en"])
    for position in range(count):
        kids = position >= count - kids_count
        if position == 0:
            name = holder
        else:
            name = given_pool[int(rng.integers(len(given_pool)))]
            if name in used:
                name = "Kids" if kids and "Kids" not in used else f"{name} {position + 1}"
        used.add(name)
        age = int(rng.integers(4, 13)) if kids else 0
        fields["account"].append(account)
        fields["name"].append(name)
        fields["kids"].append(kids)
        fields["limit"].append(kids_limit_for_age(age) if kids else maturity.ADULT_RANK)
        # Parents lock their own profile so the kids cannot wander into it.
        wants_pin = not kids and rng.random() < (0.25 if has_kids else PIN_SHARE)
        fields["pin"].append(DEMO_PINS[int(rng.integers(len(DEMO_PINS)))] if wants_pin else None)
        fields["language"].append(language)
        avatars = KIDS_AVATARS if kids else AVATARS
        fields["avatar"].append(avatars[int(rng.integers(len(avatars)))])
        fields["offset"].append(0 if position == 0 else int(rng.exponential(120 * 86400)))


def _tastes(rng: np.random.Generator, count: int, is_kids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    shares = np.array([g.share for g in GENRES])
    # Small concentration: most people care about a few genres, not all of them a little.
    alpha = 0.35 * len(GENRES) * shares / shares.sum()
    tastes = rng.dirichlet(alpha, size=count)
    niche = (rng.random(count) < NICHE_SHARE) & ~is_kids
    niche_genres = np.array([GENRE_INDEX[g] for g in NICHE_GENRES])
    chosen = niche_genres[rng.integers(len(niche_genres), size=int(niche.sum()))]
    niche_taste = rng.dirichlet(alpha, size=int(niche.sum())) * 0.25
    niche_taste[np.arange(len(chosen)), chosen] += 0.75
    tastes[niche] = niche_taste
    kids_columns = np.array([GENRE_INDEX[g] for g in (*KIDS_GENRES, "adventure", "comedy")])
    kids_alpha = np.full(len(kids_columns), 0.8)
    kids_taste = np.zeros((int(is_kids.sum()), len(GENRES)))
    kids_taste[:, kids_columns] = rng.dirichlet(kids_alpha, size=int(is_kids.sum()))
    tastes[is_kids] = kids_taste
    moods = rng.dirichlet(np.full(len(MOODS), 0.45), size=count)
    return tastes.astype(np.float32), moods.astype(np.float32)
