"""Devices signed in to each demo account (TVs, phones, browsers ...)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from accountdb.demo.subscribers import Subscribers

# kind, share, (name template, platform) options; {name} is the account holder's first name.
DEVICE_TYPES: tuple[tuple[str, float, tuple[tuple[str, str], ...]], ...] = (
    ("tv", 0.36, (("Living room TV", "Android TV"), ("Living room TV", "tvOS"), ("Bedroom TV", "webOS"),
                  ("Samsung TV", "Tizen"), ("Roku Streaming Stick", "Roku OS"), ("Fire TV Stick", "Fire OS"))),
    ("mobile", 0.30, (("{name}'s iPhone", "iOS"), ("{name}'s Pixel", "Android"), ("{name}'s Galaxy", "Android"))),
    ("web", 0.15, (("Chrome on Windows", "Chrome"), ("Safari on Mac", "Safari"), ("Firefox on Linux", "Firefox"),
                   ("Edge on Windows", "Edge"))),
    ("tablet", 0.12, (("{name}'s iPad", "iPadOS"), ("Kids' tablet", "Android"), ("Galaxy Tab", "Android"))),
    ("console", 0.07, (("PlayStation 5", "PlayStation"), ("Xbox Series X", "Xbox"), ("Nintendo Switch", "Switch"))),
)  # fmt: skip


@dataclass
class Devices:
    """Devices in account order; account a owns ids first_id[a] .. first_id[a] + count[a] - 1."""

    account: np.ndarray  # account index per device
    kind: list[str]
    name: list[str]
    platform: list[str]
    created: np.ndarray  # datetime64[s]
    last_seen: np.ndarray  # datetime64[s]
    signed_in: np.ndarray
    first_id: np.ndarray  # per account: id of its first device
    count: np.ndarray  # per account


def generate_devices(rng: np.random.Generator, subscribers: Subscribers, as_of: dt.date) -> Devices:
    accounts = subscribers.account_count
    # Bigger households sign in on more screens.
    count = np.clip(rng.poisson(0.6 + 0.7 * subscribers.account_profiles), 1, 7)
    account = np.repeat(np.arange(accounts), count)
    total = len(account)
    shares = np.array([share for _, share, _ in DEVICE_TYPES])
    kinds_index = rng.choice(len(DEVICE_TYPES), size=total, p=shares / shares.sum())
    # Every household has a TV first: it is where most long-form viewing happens.
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    kinds_index[starts] = 0
    kinds, names, platforms = [], [], []
    holder_first = [name.split(" ")[0] for name in subscribers.account_name]
    for device, kind_index in enumerate(kinds_index.tolist()):
        kind, _, options = DEVICE_TYPES[kind_index]
        label, platform = options[int(rng.integers(len(options)))]
        kinds.append(kind)
        names.append(label.format(name=holder_first[int(account[device])]))
        platforms.append(platform)
    as_of_s = np.datetime64(as_of, "s")
    account_created = subscribers.account_created[account]
    lifetime = (as_of_s - account_created).astype(np.int64)
    created = account_created + (rng.random(total) * lifetime * 0.5).astype("timedelta64[s]")
    last_seen = as_of_s - (rng.exponential(3 * 86400, total)).astype("timedelta64[s]")
    last_seen = np.maximum(last_seen, created)
    signed_in = rng.random(total) < 0.93
    return Devices(
        account=account,
        kind=kinds,
        name=names,
        platform=platforms,
        created=created,
        last_seen=last_seen,
        signed_in=signed_in,
        first_id=starts + 1,
        count=count,
    )
