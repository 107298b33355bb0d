"""Source names: the prefix of every external id an import writes, so re-imports find their own rows."""

from __future__ import annotations

import re
from pathlib import Path

SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


class InvalidSourceName(ValueError):
    pass


def check_source(source: str) -> str:
    if not SOURCE_PATTERN.match(source):
        raise InvalidSourceName(
            f"source name {source!r} is not usable; use 1-40 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. 'movielens')"
        )
    return source


def derive_source(path: Path, fallback: str) -> str:
    """'movietweetings' or 'movielens' when the path says so, else `fallback`.

    The fallback is a fixed word rather than the file name so that a renamed snapshot of the same
    data set ("ratings-2024.csv") still updates the rows of the previous import.
    """
    for part in reversed(path.resolve().parts):  # nearest folder first
        lowered = part.lower()
        if "movietweetings" in lowered:
            return "movietweetings"
        if "movielens" in lowered or lowered.startswith("ml-") or lowered in ("u.data", "u.item"):
            return "movielens"
    return fallback


def external_id(source: str, key: str) -> str:
    return f"{source}:{key}"
