"""The hybrid reports each step of its fit, and fit_progress turns the steps into a bar that ends full."""

from recommender.models.hybrid import HybridRecommender
from recommender.models.item_knn import ItemKNNRecommender
from recommender.progress import fit_progress

BASES = [{"name": "popularity"}, {"name": "item_knn", "params": {"weighting": "cosine"}}]


def test_the_fit_reports_its_steps_in_order(world):
    steps: list[str] = []
    model = HybridRecommender(bases=BASES)
    model.on_step = steps.append
    model.fit(world.interactions, world.items)
    assert steps[:3] == [
        "fitting popularity on the validation split",
        "fitting item_knn on the validation split",
        "learning the re-ranker on up to 6000 validation users",
    ]
    refits = steps[3:]
    assert refits and all(step.endswith("on all interactions") for step in refits)
    assert len(refits) == len(model.bases)


def test_the_bar_ends_full_and_the_hook_is_removed(world, capsys):
    model = HybridRecommender(bases=BASES)
    with fit_progress(model, "fitting hybrid"):
        model.fit(world.interactions, world.items)
    assert model.on_step is None
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    steps = len(BASES) + 1 + len(model.bases)  # the validation fits, the re-ranker, the refits
    assert f"{steps}/{steps}" in bar and "done" in bar


def test_other_models_fit_without_a_bar(world, capsys):
    with fit_progress(ItemKNNRecommender()):
        ItemKNNRecommender().fit(world.interactions)
    assert capsys.readouterr().err == ""
