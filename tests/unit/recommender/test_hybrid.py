"""The hybrid learns its blend weights on a validation split, persists them, and explains by its bases."""

import numpy as np
import pytest

from recommender.constraints import Constraints, ProfileContext, candidates
from recommender.dataset import Interactions
from recommender.evaluation.runner import recommendation_lists
from recommender.models.base import ScoringContext
from recommender.models.hybrid import HybridRecommender
from recommender.models.rerank import LinearReranker
from recommender.ranking import Ranker

POP_AND_KNN = [{"name": "popularity"}, {"name": "item_knn", "params": {"weighting": "cosine"}}]


def test_weights_favour_the_collaborative_base_on_clustered_taste(world):
    # Viewers like titles of their own cluster only: item-kNN is right, global popularity is not.
    model = HybridRecommender(bases=POP_AND_KNN).fit(world.interactions, world.items)
    weights = model.learned_weights
    assert weights["item_knn"] > 0.6 > weights["popularity"]
    report = model.validation_report
    assert report["ndcg.item_knn"] > report["ndcg.popularity"]
    assert report["ndcg.learned"] >= report["ndcg.item_knn"]


def test_weights_favour_popularity_when_taste_is_just_popularity():
    # Every viewer samples from one Zipf distribution: co-occurrence carries no extra signal.
    rng = np.random.default_rng(1)
    p = 1.0 / np.arange(1, 81) ** 1.1
    users, items = [], []
    for u in range(400):
        for i in rng.choice(80, size=8, replace=False, p=p / p.sum()):
            users.append(f"u{u}")
            items.append(f"i{i}")
    data = Interactions.from_arrays(users, items)
    model = HybridRecommender(bases=POP_AND_KNN).fit(data)
    assert model.learned_weights["popularity"] > 0.5
    assert model.learned_weights != {"popularity": 0.5, "item_knn": 0.5}


def test_bases_that_do_not_apply_are_left_out_and_ease_falls_back(world, caplog):
    data = Interactions(
        world.interactions.user_ids, world.interactions.item_ids, world.interactions.matrix
    )  # no timestamps
    bases = [
        {"name": "contemporary"},
        {"name": "ease", "params": {"max_dense_items": 10}, "fallback": {"name": "item_knn"}},
        {"name": "content", "params": {"encoder": "tfidf"}},
    ]
    model = HybridRecommender(bases=bases).fit(data)  # no items either
    assert [b.name for b in model.bases] == ["item_knn"]
    assert "leaves out contemporary" in caplog.text and "using item_knn instead" in caplog.text


def test_unknown_base_is_rejected_before_fitting():
    with pytest.raises(ValueError, match="unknown base model 'nope'"):
        HybridRecommender(bases=[{"name": "nope"}])


def test_explanations_add_up_to_the_blended_score(world):
    model = HybridRecommender(bases=POP_AND_KNN).fit(world.interactions, world.items)
    # Coefficients with every kind of term (scores, ranks, popularity, history-length terms), whatever was
    # learned, for the bases kept: scores, scores x length, ranks, ranks x length (one each per base), popularity
    # and popularity x length.
    n = len(model.bases)
    coefficients = np.concatenate([np.linspace(0.5, 2.0, n), [0.3] * n, [1.0] * n, [-0.2] * n, [-0.4, 0.1]])
    model.reranker = LinearReranker(n, coefficients, model.reranker.length_centre)
    model._terms_cache = None
    history = world.interactions.user_row("u0004")
    scores = model.score_history(history)
    offset = model._terms(history, None).pool_offset
    for item in np.argsort(-scores)[:5]:
        parts = model.explain(history, int(item), top=50)
        assert sum(p.weight for p in parts) == pytest.approx(float(scores[item]) + offset, rel=1e-4)
        assert {p.kind for p in parts} <= {"item", "popularity"}


def test_cold_start_with_content_uses_stated_preferences_and_popularity(world):
    bases = [*POP_AND_KNN, {"name": "content", "params": {"encoder": "tfidf"}}]
    model = HybridRecommender(bases=bases).fit(world.interactions, world.items)
    ranker = Ranker(model, world.items)
    result = ranker.recommend(
        "brand-new", 5, ProfileContext(region="US"), Constraints(genres=("documentary",)), exploration=0.0
    )
    assert result.cold_start and len(result.items) == 5
    for item in result.items:
        assert "documentary" in {g.lower() for g in world.items[item.item_id].genres}
        assert "documentary" in item.reason


def test_what_is_evaluated_is_what_the_ranker_serves(world):
    # One scoring path: the evaluation's scores for a training user are the scores the ranking layer shows,
    # whether it is given the user id or the user's history row with the id in the profile.
    bases = [*POP_AND_KNN, {"name": "contemporary"}, {"name": "user_knn", "params": {"neighbours": 20}}]
    model = HybridRecommender(bases=bases).fit(world.interactions, world.items)
    ranker = Ranker(model, world.items)
    for user in ("u0001", "u0042", "u0107"):
        region = str(world.interactions.user_region[world.interactions.user_index[user]])
        evaluated = model.score_user(user, ScoringContext(region=region))
        lists = recommendation_lists(
            model, world.interactions, np.array([world.interactions.user_index[user]]), 10
        )
        by_id = ranker.recommend(user, 10, ProfileContext(region=region), diversity=0.0, exploration=0.0)
        by_row = ranker.recommend(
            world.interactions.user_row(user),
            10,
            ProfileContext(region=region, user_id=user),
            diversity=0.0,
            exploration=0.0,
        )
        assert by_id.items == by_row.items
        index = world.interactions.item_index
        for item in by_id.items:
            assert item.score == pytest.approx(float(evaluated[index[item.item_id]]), rel=1e-6)
        # The ranker's list starts with the evaluated top 10 minus what the hard filters remove.
        history = world.interactions.user_row(user)
        allowed = candidates(
            ranker.catalog, ProfileContext(region=region), Constraints(), history.indices
        ).mask
        expected = [int(i) for i in lists[0] if allowed[i]]
        assert [index[i] for i in by_id.item_ids][: len(expected)] == expected


def test_bases_weighted_zero_are_not_refitted_but_reported(world):
    # Two item-item models of the same clustered taste and popularity: item-kNN alone ranks the validation
    # items best, so the others get weight 0.
    bases = [
        {"name": "item_knn", "params": {"weighting": "cosine"}},
        {"name": "ease", "params": {"regularization": 50.0}},
        {"name": "popularity"},
    ]
    model = HybridRecommender(bases=bases).fit(world.interactions, world.items)
    unused = {label for label, weight in model.learned_weights.items() if weight == 0}
    assert unused, model.learned_weights  # the premise of this test
    assert set(model.learned_weights) == {"item_knn", "ease", "popularity"}
    assert set(model.labels) == set(model.learned_weights) - unused
    assert len(model.reranker.used_bases()) == len(model.bases)
    assert [base.name for base in model.bases] == model.labels


def test_weights_are_learned_on_a_sample_of_users_above_the_interaction_limit(world, caplog):
    caplog.set_level("INFO")
    limit = world.interactions.matrix.nnz // 4
    model = HybridRecommender(bases=POP_AND_KNN, max_validation_interactions=limit).fit(
        world.interactions, world.items
    )
    assert "learns its weights on" in caplog.text
    # The final model is still fitted on every interaction.
    assert model.bases[-1].data is world.interactions
    assert model.learned_weights["item_knn"] > model.learned_weights["popularity"]
    with pytest.raises(ValueError, match="max_validation_interactions must be at least 1"):
        HybridRecommender(max_validation_interactions=0)


def test_pooled_candidates_rank_above_every_other_title(world):
    # The re-ranker was learned on the bases' top candidates only; a title outside every pool never outranks them.
    model = HybridRecommender(bases=POP_AND_KNN, candidates_per_base=5).fit(world.interactions, world.items)
    history = world.interactions.user_row("u0011")
    scores = model.score_history(history)
    terms = model._terms(history, None)
    unseen = np.ones(len(scores), dtype=bool)
    unseen[history.indices] = False
    assert terms.pooled[unseen].sum() >= 5
    assert scores[terms.pooled & unseen].min() > scores[~terms.pooled & unseen].max()
    # The ranking layer reads a positive score as evidence: the pool is at 1 and above, titles outside it that
    # a base scores above 0 are in (0, 1), and titles no base scores above 0 are at 0 or below.
    evidence = ~terms.pooled & (terms.scores > 0).any(axis=0)
    assert evidence.any() and (~terms.pooled & ~evidence).any()
    assert scores[terms.pooled].min() >= 1 - 1e-6
    assert scores[evidence].min() > 0 and scores[evidence].max() < 1
    assert scores[~terms.pooled & ~evidence].max() <= 0


def test_coverage_of_the_learned_ranking_reaches_the_strongest_bases(world):
    bases = [*POP_AND_KNN, {"name": "contemporary"}]
    model = HybridRecommender(bases=bases, coverage_floor_bases=()).fit(world.interactions, world.items)
    report = model.validation_report
    assert report["coverage.learned"] >= report["coverage.floor"]
    strongest = max(model.learned_weights, key=lambda label: report[f"ndcg.{label}"])
    assert report["coverage.floor"] == report[f"coverage.{strongest}"]
    assert report["ndcg.learned"] >= report[f"ndcg.{strongest}"]
    # A base named in coverage_floor_bases raises the floor to its own coverage (item-kNN shows the widest).
    named = HybridRecommender(bases=bases, coverage_floor_bases=("item_knn",)).fit(
        world.interactions, world.items
    )
    report = named.validation_report
    assert report["coverage.floor"] == max(report[f"coverage.{strongest}"], report["coverage.item_knn"])
    assert report["coverage.learned"] >= report["coverage.floor"]


def test_validation_users_are_capped_by_the_scoring_budget(world, caplog):
    caplog.set_level("INFO")
    budget = 2 * world.interactions.n_items * 30  # two bases: 30 users' worth of catalog scorings
    HybridRecommender(bases=POP_AND_KNN, max_validation_scores=budget).fit(world.interactions, world.items)
    assert "hybrid validation on 30 users" in caplog.text
