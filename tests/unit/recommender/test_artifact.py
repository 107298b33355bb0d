"""Versioned artifacts: identical scores after a round trip, atomic `current`, clear errors when damaged."""

import json

import numpy as np
import pytest

from recommender import artifact
from recommender.models.hybrid import HybridRecommender
from recommender.models.item_knn import ItemKNNRecommender


@pytest.fixture
def saved(tmp_path, knn_model, world):
    path = artifact.save(knn_model, tmp_path, items=world.items, metrics={"ndcg@10": 0.5})
    return tmp_path, path


def test_round_trip_gives_identical_scores_and_catalog(saved, knn_model, world):
    root, path = saved
    loaded = artifact.load(root)
    assert loaded.path == path.resolve()
    for user in ("u0000", "u0013", "u0150"):
        history = world.interactions.user_row(user)
        assert np.array_equal(loaded.model.score_history(history), knn_model.score_history(history))
    assert loaded.items["t0005"] == world.items["t0005"]
    manifest = loaded.manifest
    assert manifest["format_version"] == artifact.FORMAT_VERSION
    assert manifest["data_fingerprint"] == world.interactions.fingerprint()
    assert manifest["params"] == knn_model.params and manifest["metrics"] == {"ndcg@10": 0.5}


def test_hybrid_round_trip_keeps_learned_weights(tmp_path, world):
    model = HybridRecommender(
        bases=[{"name": "popularity"}, {"name": "contemporary"}, {"name": "item_knn"}, {"name": "ease"}]
    ).fit(world.interactions, world.items)
    artifact.save(model, tmp_path, items=world.items, extras={"blend_weights": model.learned_weights})
    loaded = artifact.load(tmp_path / "hybrid").model
    assert loaded.learned_weights == model.learned_weights
    history = world.interactions.user_row("u0007")
    assert np.allclose(loaded.score_history(history), model.score_history(history))
    assert np.allclose(loaded.score_user("u0007"), model.score_user("u0007"))
    assert loaded.explain(history, 3) == model.explain(history, 3)


def test_a_new_version_becomes_current_and_the_old_one_stays(saved, world):
    root, first = saved
    second = artifact.save(ItemKNNRecommender(neighbours=5).fit(world.interactions), root)
    assert first != second and first.is_dir()
    assert (root / "item_knn" / "current").resolve() == second.resolve()
    assert artifact.load(root).model.params["neighbours"] == 5


def test_corrupt_manifest_is_a_clear_error(saved):
    root, path = saved
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(artifact.ArtifactError, match="manifest.json is not valid JSON"):
        artifact.load(root)


def test_other_format_version_is_refused(saved):
    root, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(artifact.ArtifactError, match="format version 99"):
        artifact.load(root)


def test_damaged_model_file_fails_its_checksum(saved):
    root, path = saved
    with (path / "model.npz").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(artifact.ArtifactError, match="does not match its checksum"):
        artifact.load(root)


def test_missing_directory_says_to_fit_first(tmp_path):
    with pytest.raises(artifact.ArtifactError, match="does not exist"):
        artifact.load(tmp_path / "nowhere")
    with pytest.raises(artifact.ArtifactError, match="no model artifact"):
        artifact.load(tmp_path)
