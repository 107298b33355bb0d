"""`python -m recommender fit | recommend | evaluate` end to end on a tiny ratings file, as a user runs it."""

import json
import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "recommender", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def ratings(tmp_path_factory, world):
    folder = tmp_path_factory.mktemp("cli")
    data = world.interactions
    matrix, times = data.matrix.tocoo(), data.timestamps.tocsr()
    lines = ["user_id,item_id,rating,timestamp"]
    for n, (u, i) in enumerate(zip(matrix.row, matrix.col, strict=True)):
        # Every fifth rating is low, so --positive-threshold has something to drop.
        lines.append(f"{data.user_ids[u]},{data.item_ids[i]},{2 if n % 5 == 0 else 5},{int(times[u, i])}")
    (folder / "ratings.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_fit_then_recommend_for_known_and_unknown_users(ratings, world):
    fit = run(
        "fit", "--interactions", "ratings.csv", "--positive-threshold", "4", "--out", "models", cwd=ratings
    )
    assert fit.returncode == 0, fit.stderr
    assert "fitted hybrid" in fit.stdout
    manifest = json.loads((ratings / "models" / "hybrid" / "current" / "manifest.json").read_text())
    assert {"popularity", "item_knn[2]", "item_knn[3]", "ease", "als"} <= set(manifest["blend_weights"])
    assert manifest["source"]["positive_threshold"] == 4.0

    rec = run(
        "recommend", "--model", "models", "--users", "u0001,u0002,stranger", "-k", "7", "--out", "recs.jsonl",
        cwd=ratings,
    )  # fmt: skip
    assert rec.returncode == 0, rec.stderr
    assert "user stranger is not in the training data" in rec.stderr
    lines = [json.loads(line) for line in (ratings / "recs.jsonl").read_text().splitlines()]
    assert [line["user"] for line in lines] == ["u0001", "u0002", "stranger"]
    kept = {}
    for line in (ratings / "ratings.csv").read_text().splitlines()[1:]:
        user, item, rating, _ = line.split(",")
        if float(rating) >= 4:
            kept.setdefault(user, set()).add(item)
    for line in lines:
        assert len(line["items"]) == 7 == len(set(line["items"]))
        assert not set(line["items"]) & kept.get(line["user"], set())
    # A viewer of one taste cluster gets mostly that cluster.
    clusters = [world.cluster_of_item[i] for i in lines[0]["items"]]
    assert clusters.count(world.cluster_of_user["u0001"]) >= 5


def test_recommend_all_users(ratings):
    assert (
        run(
            "fit", "--interactions", "ratings.csv", "--model", "item_knn", "--out", "knn", cwd=ratings
        ).returncode
        == 0
    )
    rec = run("recommend", "--model", "knn", "--users", "all", "-k", "3", "--out", "all.jsonl", cwd=ratings)
    assert rec.returncode == 0, rec.stderr
    assert len((ratings / "all.jsonl").read_text().splitlines()) == 200


def test_evaluate_prints_one_table_with_the_baseline_side_by_side(ratings):
    result = run(
        "evaluate", "--interactions", "ratings.csv", "--positive-threshold", "4",
        "--models", "popularity,item_knn cosine,ease,hybrid",
        cwd=ratings,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = result.stdout.strip().splitlines()
    header = [cell.strip() for cell in table[0].split("|")[1:-1]]
    assert header == ["model", "Recall@20", "NDCG@10", "coverage", "novelty", "ILD", "fit s", "users"]
    names = [row.split("|")[1].strip() for row in table[2:]]
    assert names == ["popularity", "item_knn cosine", "ease", "hybrid (default)"]
    ndcg = {row.split("|")[1].strip(): float(row.split("|")[3]) for row in table[2:]}
    assert ndcg["item_knn cosine"] > ndcg["popularity"]
    assert "evaluating" in result.stderr  # the progress bar


def test_malformed_file_names_the_line_and_exits_non_zero(tmp_path):
    (tmp_path / "bad.dat").write_text("1::10::8::1365029107\n2::11::eight::1365029107\n")
    result = run("fit", "--interactions", "bad.dat", "--out", "m", cwd=tmp_path)
    assert result.returncode == 2
    assert "line 2" in result.stderr and "'eight' is not a number" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m").exists()


def test_missing_model_directory_is_a_clear_error(tmp_path):
    result = run("recommend", "--model", "nope", "--users", "all", "--out", "r.jsonl", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: nope does not exist")


@pytest.mark.parametrize("command", [[], ["fit"], ["recommend"], ["evaluate"]])
def test_every_command_has_help(command, tmp_path):
    result = run(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "usage: python -m recommender" in result.stdout
