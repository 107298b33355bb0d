"""The action server's personal model: the hybrid artifact fitted from the database, or item-kNN without one."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from tiny_world import World

from accountdb import maturity, migrate
from accountdb.engine import make_engine, session_scope
from accountdb.models import ViewingEvent
from actions import model_store
from actions.catalog_snapshot import CatalogSnapshot, load_snapshot
from actions.discovery import Request
from actions.identity import Identity
from actions.services import Services
from actions.viewers import load_viewer
from marquee.cli import main
from recommender import artifact


@pytest.fixture(scope="module")
def fitted(world_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An artifact root holding the hybrid fitted on the tiny world by the fit command."""
    data = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MARQUEE_DATA_DIR", str(data))  # the content base's embedding cache goes here
        assert main(["recommender", "fit", "--database-url", f"sqlite:///{world_template[0]}"]) == 0
    return data / "recommender"


def _hybrid_versions(root: Path) -> list[Path]:
    family = root / "hybrid"
    return sorted(
        p for p in family.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    )


def test_the_action_server_serves_the_fitted_hybrid(
    fitted: Path, world: World, world_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARQUEE_DATA_DIR", str(fitted.parent))
    discovery = Services(world_engine).discovery()
    assert discovery.models.personal.name == "hybrid"
    manifest = artifact.read_manifest(artifact.resolve(fitted / "hybrid"))
    assert manifest["source"] == "account database"
    assert manifest["counts"]["items"] == len(discovery.snapshot)

    viewer = load_viewer(world_engine, Identity(world.adult_account, world.adult_profile, "US"))
    with session_scope(world_engine) as session:
        watched = {
            str(i)
            for i in session.scalars(
                select(ViewingEvent.title_id).where(ViewingEvent.profile_id == world.adult_profile)
            )
        }
    picks = discovery.recommend(viewer, Request()).picks
    assert picks
    for pick in picks:
        assert pick.facts.id not in watched
        assert pick.facts.maturity_rank <= maturity.ADULT_RANK and pick.facts.watchable_in("US")
        assert pick.reason
    # The hybrid's reasons come from its bases' contributions: the viewer's history speaks for some titles.
    watched_titles = {discovery.snapshot.get(i).title for i in watched}
    assert any(title in pick.reason for pick in picks for title in watched_titles)


def test_without_an_artifact_item_knn_answers_and_the_log_says_how_to_fit(
    world_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="actions.model_store"):
        models = model_store.build_models(world_engine, load_snapshot(world_engine), tmp_path)
    assert models.personal.name == "item_knn"
    assert model_store.FIT_COMMAND in caplog.text


def test_an_artifact_that_misses_catalog_titles_is_not_used(
    fitted: Path, world_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    snapshot = load_snapshot(world_engine)
    added = replace(next(iter(snapshot.titles.values())), id="990001", title="Added After The Fit")
    grown = CatalogSnapshot([*snapshot.titles.values(), added], (*snapshot.version, "grown"))
    with caplog.at_level(logging.WARNING, logger="actions.model_store"):
        models = model_store.build_models(world_engine, grown, fitted)
    assert models.personal.name == "item_knn"
    assert "990001" in models.personal.data.item_index  # the fallback can suggest the new title
    assert f"does not know 1 of the catalog's {len(grown)} titles" in caplog.text


def test_a_corrupt_artifact_is_refused_and_item_knn_answers(
    fitted: Path, world_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "recommender"
    shutil.copytree(fitted, root, symlinks=True)
    model_file = artifact.resolve(root / "hybrid") / artifact.MODEL_FILE
    content = bytearray(model_file.read_bytes())
    content[len(content) // 2] ^= 0xFF
    model_file.write_bytes(bytes(content))
    with caplog.at_level(logging.ERROR, logger="actions.model_store"):
        models = model_store.build_models(world_engine, load_snapshot(world_engine), root)
    assert models.personal.name == "item_knn"
    assert "checksum" in caplog.text


def test_fit_if_needed_keeps_an_artifact_that_covers_the_catalog(
    fitted: Path, world_template: tuple[Path, World], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root = tmp_path / "recommender"
    shutil.copytree(fitted, root, symlinks=True)
    before = _hybrid_versions(root)
    url = f"sqlite:///{world_template[0]}"
    assert main(["recommender", "fit", "--if-needed", "--database-url", url, "--out", str(root)]) == 0
    assert "nothing to fit" in capsys.readouterr().out
    assert _hybrid_versions(root) == before
    engine = make_engine(url)
    try:
        assert model_store.load_personal(load_snapshot(engine), root) is not None
    finally:
        engine.dispose()


def test_fit_on_a_database_without_titles_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate.upgrade(url)
    assert main(["recommender", "fit", "--database-url", url, "--out", str(tmp_path / "out")]) == 1
    assert "has no titles. Seed it" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_old_versions_are_pruned_but_the_current_and_the_previous_stay(fitted: Path, tmp_path: Path) -> None:
    root = tmp_path / "recommender"
    shutil.copytree(fitted, root, symlinks=True)
    family = root / "hybrid"
    (current,) = _hybrid_versions(root)
    older = [family / f"20200101T00000{n}000000Z-0000000{n}" for n in range(3)]
    for version in older:
        shutil.copytree(current, version)
    removed = model_store.prune_versions(family)
    assert removed == older[:2]
    assert _hybrid_versions(root) == [older[2], current]
    assert artifact.resolve(family) == current.resolve()


def test_pruning_never_removes_the_current_version_even_when_it_is_old(fitted: Path, tmp_path: Path) -> None:
    root = tmp_path / "recommender"
    shutil.copytree(fitted, root, symlinks=True)
    family = root / "hybrid"
    (newest,) = _hybrid_versions(root)
    rolled_back = family / "20200101T000000000000Z-00000000"
    shutil.copytree(newest, rolled_back)
    (family / artifact.CURRENT).unlink()
    (family / artifact.CURRENT).symlink_to(rolled_back.name)
    for n in range(1, 3):
        shutil.copytree(newest, family / f"20200101T00000{n}000000Z-0000000{n}")
    model_store.prune_versions(family)
    assert rolled_back in _hybrid_versions(root) and newest in _hybrid_versions(root)
    assert artifact.resolve(family) == rolled_back.resolve()


def test_a_new_current_artifact_is_served_from_the_next_turn_on(
    fitted: Path, world_engine: Engine, tmp_path: Path
) -> None:
    root = tmp_path / "recommender"
    cache = model_store.ModelCache(world_engine, root)
    snapshot = load_snapshot(world_engine)
    assert cache.current(snapshot).personal.name == "item_knn"  # nothing fitted yet
    shutil.copytree(fitted, root, symlinks=True)  # what `marquee recommender fit` leaves behind
    swapped = cache.current(snapshot)
    assert swapped.personal.name == "hybrid"
    assert cache.current(snapshot) is swapped  # loaded once, not at every turn
    family = root / "hybrid"
    (version,) = _hybrid_versions(root)
    refit = family / "29990101T000000000000Z-00000000"
    shutil.copytree(version, refit)
    (family / "next").symlink_to(refit.name)
    (family / "next").replace(family / artifact.CURRENT)
    again = cache.current(snapshot)
    assert again.personal is not swapped.personal and again.personal.name == "hybrid"


def test_an_artifact_refused_for_coverage_is_not_loaded_again_at_every_turn(
    fitted: Path, world_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "recommender"
    snapshot = load_snapshot(world_engine)
    added = replace(next(iter(snapshot.titles.values())), id="990001", title="Added After The Fit")
    grown = CatalogSnapshot([*snapshot.titles.values(), added], (*snapshot.version, "grown"))
    cache = model_store.ModelCache(world_engine, root)
    cache.current(grown)
    shutil.copytree(fitted, root, symlinks=True)
    with caplog.at_level(logging.WARNING, logger="actions.model_store"):
        for _ in range(3):
            assert cache.current(grown).personal.name == "item_knn"
    assert caplog.text.count("does not know 1 of") == 1


def test_export_writes_files_the_recommender_cli_fits_on(
    world_template: tuple[Path, World], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from recommender.cli import main as recommender_main

    monkeypatch.setenv("MARQUEE_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{world_template[0]}"
    out = tmp_path / "export"
    assert main(["recommender", "export", "--database-url", url, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out

    engine = make_engine(url)
    try:
        snapshot = load_snapshot(engine)
        served = model_store.load_interactions(engine, [str(t) for t in snapshot.titles])
    finally:
        engine.dispose()
    lines = (out / "ratings.csv").read_text().splitlines()
    assert lines[0] == "user_id,item_id,rating,timestamp"
    assert len(lines) - 1 == served.matrix.nnz
    assert len((out / "movies.csv").read_text().splitlines()) - 1 == len(snapshot.titles)

    model_dir = tmp_path / "model"
    argv = ["fit", "--interactions", str(out / "ratings.csv"), "--items", str(out / "movies.csv")]
    assert recommender_main([*argv, "--positive-threshold", "0.5", "--out", str(model_dir)]) == 0
    # The CLI learns on the positives (weight >= 0.5: watched, liked) and on the titles they touch.
    positives = {line.split(",")[1] for line in lines[1:] if float(line.split(",")[2]) >= 0.5}
    assert artifact.read_manifest(artifact.resolve(model_dir / "hybrid"))["counts"]["items"] == len(positives)


def test_export_of_an_empty_catalog_says_what_to_do(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["migrate", "--database-url", url]) == 0
    assert main(["recommender", "export", "--database-url", url, "--out", str(tmp_path / "out")]) == 1
    assert "has no titles" in capsys.readouterr().err


def test_export_help_states_the_weights_the_served_model_uses(capsys) -> None:
    from actions import viewers

    with pytest.raises(SystemExit):
        main(["recommender", "export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for label, weight in (
        ("loved", viewers.WEIGHT_LOVE),
        ("thumbs-up", viewers.WEIGHT_UP),
        ("finished", viewers.WEIGHT_COMPLETED),
        ("started", viewers.WEIGHT_STARTED),
        ("thumbs-down", viewers.WEIGHT_DOWN),
    ):
        assert f"{weight:g} {label}" in text
