"""Viewing is generated in blocks of profiles; blocks must bound memory at every scale and never split a household."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from accountdb.demo.scales import SCALES
from accountdb.demo.seeder import CELLS_PER_BLOCK, _profile_blocks, profiles_per_block
from accountdb.demo.subscribers import generate_subscribers


@pytest.mark.parametrize("scale", sorted(SCALES))
def test_blocks_cover_every_profile_once_and_stay_small(scale: str) -> None:
    subscribers = generate_subscribers(np.random.default_rng(1), 3_000, dt.date(2026, 11, 30))
    titles = SCALES[scale].titles
    blocks = list(_profile_blocks(subscribers, profiles_per_block(titles)))
    assert np.array_equal(np.concatenate(blocks), np.arange(subscribers.profile_count))
    # The matrix of one block stays near the cell budget (households vary in size around the estimate).
    assert max(len(block) for block in blocks) * titles <= 2 * CELLS_PER_BLOCK
    for block in blocks:
        accounts = subscribers.profile_account[block]
        neighbours = subscribers.profile_account[
            [i for i in (block[0] - 1, block[-1] + 1) if 0 <= i < subscribers.profile_count]
        ]
        assert not set(neighbours.tolist()) & set(accounts.tolist()), (
            "a household is never split across blocks"
        )
