"""Plausible person names per language, for cast, directors, comedians and subscribers.

Names are composed from common given names and surnames of each language, so the pool reads like a
real credits list; Korean names are written family-name first, as catalogs usually print them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "James",
        "Olivia",
        "Liam",
        "Emma",
        "Noah",
        "Ava",
        "Ethan",
        "Sophie",
        "Lucas",
        "Grace",
        "Mason",
        "Chloe",
        "Daniel",
        "Hannah",
        "Samuel",
        "Megan",
        "Owen",
        "Ruby",
        "Henry",
        "Zoe",
        "Jack",
        "Isla",
        "Marcus",
        "Naomi",
        "Caleb",
        "Leah",
        "Aaron",
        "Priya",
        "Dylan",
        "Maya",
        "Tyler",
        "Claire",
        "Nathan",
        "Jasmine",
        "Connor",
        "Tessa",
        "Adrian",
        "Rosa",
        "Elliot",
        "Dana",
    ),
    "es": (
        "Alejandro",
        "Lucía",
        "Javier",
        "Sofía",
        "Mateo",
        "Valentina",
        "Diego",
        "Camila",
        "Pablo",
        "Isabel",
        "Carlos",
        "Elena",
        "Andrés",
        "Paula",
        "Miguel",
        "Carmen",
        "Raúl",
        "Marta",
        "Santiago",
        "Ximena",
        "Hugo",
        "Daniela",
        "Tomás",
        "Renata",
    ),
    "fr": (
        "Louis",
        "Camille",
        "Hugo",
        "Léa",
        "Julien",
        "Chloé",
        "Antoine",
        "Manon",
        "Mathieu",
        "Juliette",
        "Nicolas",
        "Inès",
        "Théo",
        "Margaux",
        "Pierre",
        "Élodie",
        "Baptiste",
        "Sarah",
        "Rémi",
        "Amélie",
    ),
    "de": (
        "Lukas",
        "Anna",
        "Felix",
        "Lena",
        "Jonas",
        "Marie",
        "Maximilian",
        "Laura",
        "Paul",
        "Sophie",
        "Leon",
        "Katharina",
        "Tobias",
        "Julia",
        "Florian",
        "Hannah",
        "Matthias",
        "Clara",
        "Niklas",
        "Jana",
    ),
    "it": (
        "Marco",
        "Giulia",
        "Luca",
        "Francesca",
        "Matteo",
        "Chiara",
        "Alessandro",
        "Sara",
        "Lorenzo",
        "Martina",
        "Davide",
        "Elisa",
        "Giorgio",
        "Federica",
        "Stefano",
        "Valeria",
    ),
    "pt": (
        "João",
        "Ana",
        "Pedro",
        "Beatriz",
        "Gabriel",
        "Mariana",
        "Rafael",
        "Larissa",
        "Lucas",
        "Fernanda",
        "Thiago",
        "Juliana",
        "Bruno",
        "Camila",
        "Felipe",
        "Letícia",
    ),
    "ko": (
        "Ji-woo",
        "Min-jun",
        "Seo-yeon",
        "Do-yun",
        "Ha-eun",
        "Ji-ho",
        "Soo-ah",
        "Jae-won",
        "Hye-jin",
        "Sung-min",
        "Yoo-na",
        "Tae-hyun",
        "Eun-ji",
        "Woo-jin",
        "Da-eun",
        "Hyun-woo",
    ),
    "ja": (
        "Haruto",
        "Yui",
        "Sota",
        "Aoi",
        "Ren",
        "Hina",
        "Kaito",
        "Sakura",
        "Takumi",
        "Mio",
        "Riku",
        "Akari",
        "Yuto",
        "Nanami",
        "Kenji",
        "Emi",
    ),
    "hi": (
        "Aarav",
        "Ananya",
        "Vihaan",
        "Diya",
        "Arjun",
        "Isha",
        "Rohan",
        "Kavya",
        "Aditya",
        "Meera",
        "Kabir",
        "Priya",
        "Rahul",
        "Sneha",
        "Vikram",
        "Pooja",
    ),
    "sv": ("Erik", "Elin", "Oskar", "Maja", "Axel", "Ebba", "Gustav", "Linnea", "Viktor", "Saga"),
    "da": ("Mads", "Freja", "Rasmus", "Ida", "Magnus", "Emma", "Frederik", "Sofie", "Kasper", "Line"),
    "tr": ("Emre", "Elif", "Burak", "Zeynep", "Can", "Ayşe", "Mert", "Defne", "Kerem", "Selin"),
}

FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "Smith",
        "Johnson",
        "Walker",
        "Bennett",
        "Harper",
        "Collins",
        "Reed",
        "Hayes",
        "Foster",
        "Brooks",
        "Carter",
        "Morgan",
        "Sullivan",
        "Price",
        "Kessler",
        "Donovan",
        "Whitaker",
        "Hale",
        "Barnes",
        "Fletcher",
        "Quinn",
        "Lawson",
        "Marsh",
        "Ellison",
        "Patel",
        "Nguyen",
        "O'Connor",
        "Graves",
        "Mitchell",
        "Holloway",
        "Reyes",
        "Sharma",
        "Okafor",
        "Chen",
        "Lindqvist",
        "Turner",
    ),
    "es": (
        "García",
        "Fernández",
        "López",
        "Martínez",
        "Sánchez",
        "Romero",
        "Navarro",
        "Torres",
        "Ruiz",
        "Herrera",
        "Castillo",
        "Morales",
        "Ortega",
        "Vargas",
        "Mendoza",
        "Delgado",
        "Cruz",
        "Rivas",
    ),
    "fr": (
        "Martin",
        "Bernard",
        "Dubois",
        "Laurent",
        "Moreau",
        "Lefèvre",
        "Girard",
        "Rousseau",
        "Fontaine",
        "Mercier",
        "Blanc",
        "Chevalier",
        "Garnier",
        "Faure",
        "Lemoine",
        "Perrin",
    ),
    "de": (
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Wagner",
        "Becker",
        "Hoffmann",
        "Koch",
        "Richter",
        "Wolf",
        "Neumann",
        "Schwarz",
        "Zimmermann",
        "Krüger",
        "Hartmann",
    ),
    "it": (
        "Rossi",
        "Russo",
        "Ferrari",
        "Esposito",
        "Bianchi",
        "Romano",
        "Colombo",
        "Ricci",
        "Marino",
        "Greco",
        "Bruno",
        "Gallo",
        "Conti",
        "De Luca",
        "Moretti",
    ),
    "pt": (
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Costa",
        "Pereira",
        "Almeida",
        "Ferreira",
        "Rodrigues",
        "Carvalho",
        "Gomes",
        "Ribeiro",
        "Martins",
        "Barbosa",
    ),
    "ko": ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin", "Seo"),
    "ja": (
        "Sato",
        "Suzuki",
        "Takahashi",
        "Tanaka",
        "Watanabe",
        "Ito",
        "Yamamoto",
        "Nakamura",
        "Kobayashi",
        "Kato",
        "Yoshida",
        "Yamada",
        "Sasaki",
        "Matsumoto",
        "Inoue",
    ),
    "hi": (
        "Sharma",
        "Verma",
        "Gupta",
        "Singh",
        "Kapoor",
        "Mehta",
        "Iyer",
        "Reddy",
        "Nair",
        "Chopra",
        "Malhotra",
        "Bose",
        "Joshi",
        "Desai",
    ),
    "sv": ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Lindberg", "Holm"),
    "da": ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen"),
    "tr": ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk"),
}

FAMILY_NAME_FIRST = frozenset({"ko"})


def full_name(given: str, family: str, language: str) -> str:
    return f"{family} {given}" if language in FAMILY_NAME_FIRST else f"{given} {family}"


def random_names(rng: np.random.Generator, language: str, count: int) -> list[tuple[str, str]]:
    """`count` (given, family) pairs in `language`; falls back to English for unknown languages."""
    given_pool = GIVEN_NAMES.get(language, GIVEN_NAMES["en"])
    family_pool = FAMILY_NAMES.get(language, FAMILY_NAMES["en"])
    given = rng.integers(0, len(given_pool), count)
    family = rng.integers(0, len(family_pool), count)
    return [(given_pool[g], family_pool[f]) for g, f in zip(given.tolist(), family.tolist(), strict=True)]


@dataclass(frozen=True)
class PersonPool:
    """Distinct film people per language, each with a Zipf-like weight so a few actors are prolific."""

    names: dict[str, list[str]]
    weights: dict[str, np.ndarray]

    def draw(self, rng: np.random.Generator, language: str, count: int) -> list[str]:
        names = self.names[language]
        weights = self.weights[language]
        count = min(count, len(names))
        picked = rng.choice(len(names), size=count, replace=False, p=weights)
        return [names[i] for i in picked.tolist()]


def build_person_pool(rng: np.random.Generator, people_per_language: dict[str, int]) -> PersonPool:
    """Unique names per language; if a language's name space runs short the pool is simply smaller."""
    names: dict[str, list[str]] = {}
    weights: dict[str, np.ndarray] = {}
    taken: set[str] = set()
    for language in sorted(people_per_language):
        wanted = people_per_language[language]
        given_pool = GIVEN_NAMES.get(language, GIVEN_NAMES["en"])
        family_pool = FAMILY_NAMES.get(language, FAMILY_NAMES["en"])
        wanted = min(wanted, len(given_pool) * len(family_pool))
        chosen: list[str] = []
        # Walk a random permutation of the whole name grid: unique without retry loops.
        for flat in rng.permutation(len(given_pool) * len(family_pool)).tolist():
            given, family = divmod(flat, len(family_pool))
            name = full_name(given_pool[given], family_pool[family], language)
            if name not in taken:
                taken.add(name)
                chosen.append(name)
                if len(chosen) == wanted:
                    break
        ranks = np.arange(1, len(chosen) + 1, dtype=np.float64)
        zipf = 1.0 / ranks**0.6
        names[language] = chosen
        weights[language] = zipf / zipf.sum()
    return PersonPool(names=names, weights=weights)
