"""Fixtures for the ranking tests; the synthetic world itself is built by recommender_world.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Tests are imported with --import-mode=importlib, so the helper module is found through sys.path.
sys.path.insert(0, str(Path(__file__).parent))

from recommender_world import World, build_world  # noqa: E402

from recommender.models.item_knn import ItemKNNRecommender  # noqa: E402


@pytest.fixture(scope="session")
def world() -> World:
    return build_world()


@pytest.fixture(scope="session")
def knn_model(world: World) -> ItemKNNRecommender:
    return ItemKNNRecommender(weighting="cosine", neighbours=30).fit(world.interactions, world.items)
