"""The catalog snapshot read from the database, and its reload when the catalog changes."""

from __future__ import annotations

from sqlalchemy import Engine
from tiny_world import TITLES, World

from accountdb.engine import session_scope
from accountdb.models import Title, TitleAvailability
from actions.catalog_snapshot import UNAVAILABLE_EVERYWHERE, SnapshotCache, load_snapshot
from recommender.dataset import ItemMetadata


def test_snapshot_holds_every_title_with_people_and_availability(world_engine: Engine, world: World) -> None:
    snapshot = load_snapshot(world_engine)
    assert len(snapshot) == len(TITLES)
    signals = snapshot.get(world.id("Strange Signals"))
    assert signals is not None and signals.kind == "series" and signals.seasons == 4
    assert signals.cast == ("Winona Vale", "David Stone")
    assert signals.watchable_in("US") and not signals.watchable_in("DE")
    assert signals.availability["DE"].unavailable_reason == "coming_soon"
    assert signals.watchable_regions == {"US", "KR"}
    assert snapshot.get("999999") is None and snapshot.get(None) is None


def test_name_index_resolves_catalog_names(world_engine: Engine, world: World) -> None:
    index = load_snapshot(world_engine).name_index
    resolution = index.resolve_title("something like strange signal")
    assert resolution is not None and resolution.best.id == world.id("Strange Signals")
    dune = index.resolve_title("more like dune")
    assert dune is not None and dune.ambiguous and dune.best.id == world.id("Dune", 2021)
    assert [p.name for p in index.find_people("with tom hanks")] == ["Tom Hanks"]


def test_metadata_records_feed_the_recommender(world_engine: Engine, world: World) -> None:
    snapshot = load_snapshot(world_engine)
    metadata = ItemMetadata.from_records(snapshot.metadata_records())
    assert len(metadata) == len(TITLES)
    signals = metadata[world.id("Strange Signals")]
    assert signals.regions == {"US", "KR"}
    assert signals.maturity_rank == 7 and signals.seasons == 4


def test_titles_watchable_nowhere_are_never_everywhere(world_engine: Engine, world: World) -> None:
    with session_scope(world_engine) as session:
        title = session.get(Title, int(world.id("Seoul Night")))
        title.availability = [TitleAvailability(region="US", unavailable_reason="license_expired")]
    record = next(
        r for r in load_snapshot(world_engine).metadata_records() if r["item_id"] == world.id("Seoul Night")
    )
    assert record["regions"] == [UNAVAILABLE_EVERYWHERE]


def test_cache_reloads_when_the_catalog_changes(world_engine: Engine) -> None:
    cache = SnapshotCache(world_engine, check_interval=0.0)
    first = cache.current()
    assert cache.current() is first  # unchanged catalog: same object, no reload
    with session_scope(world_engine) as session:
        session.add(Title(kind="movie", name="Brand New", release_year=2026))
    second = cache.current()
    assert second is not first and len(second) == len(first) + 1
