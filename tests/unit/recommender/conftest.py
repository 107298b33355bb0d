"""Fixtures for the ranking tests; the synthetic world itself is built by recommender_world.py."""

from __future__ import annotations

import pytest
from recommender_world import World, build_world

from recommender.models.item_knn import ItemKNNRecommender


@pytest.fixture(scope="session")
def world() -> World:
    return build_world()


@pytest.fixture(scope="session")
def knn_model(world: World) -> ItemKNNRecommender:
    return ItemKNNRecommender(weighting="cosine", neighbours=30).fit(world.interactions, world.items)
