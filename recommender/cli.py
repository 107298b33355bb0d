"""`python -m recommender fit | recommend | evaluate`: the recommender on its own, on rating files.

Errors the user can fix (missing or malformed files, unknown options) print `error: <what>. <what to do>` and
exit with status 2, without a traceback. Long work shows a tqdm progress bar on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from recommender import artifact
from recommender.dataset import Interactions, ItemMetadata
from recommender.evaluation.split import DEFAULT_SEED
from recommender.io import INTERACTION_FORMATS, DataFileError, RowError, load_interactions, read_items
from recommender.models.base import Recommender
from recommender.models.hybrid import HybridRecommender, base_class
from recommender.progress import fit_progress

logger = logging.getLogger("recommender.cli")

EXIT_USAGE = 2


class UserError(Exception):
    """A problem with the command's input that the user can fix; printed without a traceback."""


# -- shared input handling ---------------------------------------------------------------------------------


def read_interactions_file(path: str, fmt: str, positive_threshold: float | None) -> Interactions:
    source = Path(path)
    if not source.is_file():
        raise UserError(f"{source} does not exist or is not a file. Check the --interactions path")
    with tqdm(total=source.stat().st_size, unit="B", unit_scale=True, desc=f"reading {source.name}") as bar:
        arrays = load_interactions(source, fmt, positive_threshold, on_progress=bar.update)
    if len(arrays.users) == 0:
        hint = f" rated at least {positive_threshold}" if positive_threshold is not None else ""
        raise UserError(f"{source} has no interactions{hint}. Check the file or lower --positive-threshold")
    interactions = Interactions.from_arrays(arrays.users, arrays.items, timestamps=arrays.timestamps)
    logger.info(
        "read %d interactions of %d users on %d titles from %s",
        len(arrays.users),
        interactions.n_users,
        interactions.n_items,
        source,
    )
    return interactions


def read_items_file(path: str | None) -> ItemMetadata | None:
    if path is None:
        return None
    source = Path(path)
    records, skipped = [], 0
    for row in read_items(source):
        if isinstance(row, RowError):
            skipped += 1
            logger.warning("%s: %s; title skipped", source, row)
            continue
        records.append(
            {"item_id": row.item_id, "title": row.title, "release_year": row.year, "genres": list(row.genres)}
        )
    logger.info("read %d titles from %s (%d malformed rows skipped)", len(records), source, skipped)
    return ItemMetadata.from_records(records)


# -- fit ---------------------------------------------------------------------------------------------------


def build_model(name: str) -> Recommender:
    if name == HybridRecommender.name:
        return HybridRecommender()
    try:
        return base_class(name)()
    except ValueError as exc:
        raise UserError(f"{exc}. Pass one of them to --model") from None


def command_fit(args: argparse.Namespace) -> int:
    interactions = read_interactions_file(args.interactions, args.format, args.positive_threshold)
    items = read_items_file(args.items)
    model = build_model(args.model)
    started = time.perf_counter()
    with fit_progress(model, f"fitting {model.name}"):
        model.fit(interactions, items)
    fit_seconds = time.perf_counter() - started
    extras = {
        "source": {
            "interactions": str(Path(args.interactions).resolve()),
            "format": args.format,
            "positive_threshold": args.positive_threshold,
            "items": str(Path(args.items).resolve()) if args.items else None,
        },
        "fit_seconds": round(fit_seconds, 3),
    }
    if isinstance(model, HybridRecommender):
        extras["blend_weights"] = model.learned_weights
    metrics = model.validation_report if isinstance(model, HybridRecommender) else {}
    path = artifact.save(model, args.out, items=items, metrics=metrics, extras=extras)
    print(f"fitted {model.name} in {fit_seconds:.1f} s; artifact {path} (now current)")
    return 0


# -- recommend ---------------------------------------------------------------------------------------------


def command_recommend(args: argparse.Namespace) -> int:
    from recommender.ranking import Ranker

    if args.k < 1:
        raise UserError(f"-k must be at least 1, got {args.k}")
    loaded = artifact.load(args.model)
    model = loaded.model
    data = model.data
    if args.users.strip().lower() == "all":
        users = [str(u) for u in data.user_ids]
    else:
        users = [u.strip() for u in args.users.split(",") if u.strip()]
        if not users:
            raise UserError("--users is empty. Pass 'all' or comma-separated user ids")
    ranker: Ranker | None = None
    unknown = 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    with partial.open("w", encoding="utf-8") as handle:
        for user in tqdm(users, desc="recommending", unit="user"):
            if user in data.user_index:
                # The model's own ranking for a known user, training items excluded.
                item_ids = [item for item, _ in model.recommend(user, k=args.k, exclude_seen=True)]
            else:
                unknown += 1
                logger.warning(
                    "user %s is not in the training data; writing cold-start recommendations", user
                )
                ranker = ranker or Ranker(model, loaded.items)
                result = ranker.recommend(user, k=args.k, diversity=0.0, exploration=0.0)
                item_ids = result.item_ids
            handle.write(json.dumps({"user": user, "items": item_ids}) + "\n")
    partial.replace(out)  # a reader never sees a half-written file
    print(
        f"wrote recommendations for {len(users)} users to {out} ({unknown} unknown, answered by cold start)"
    )
    return 0


# -- evaluate ----------------------------------------------------------------------------------------------

# Every model side by side, baselines included. Variants differ only in parameters.
EVALUATED_MODELS: tuple[tuple[str, str, dict], ...] = (
    ("popularity", "popularity", {}),
    ("contemporary", "contemporary", {}),
    ("user_knn", "user_knn", {}),
    ("item_knn cosine", "item_knn", {"weighting": "cosine", "shrink": 10.0}),
    ("item_knn bm25", "item_knn", {"weighting": "bm25"}),
    ("ease", "ease", {"regularization": 200.0}),
    ("als", "als", {}),
    ("content", "content", {}),
    ("hybrid (default)", "hybrid", {}),
)


def evaluation_models(interactions: Interactions, items: ItemMetadata | None) -> dict[str, Recommender]:
    from recommender.models.ease import EASERecommender

    models: dict[str, Recommender] = {}
    for label, name, params in EVALUATED_MODELS:
        if name == "content" and items is None:
            logger.warning("content model left out: it needs --items")
            continue
        if name == "contemporary" and interactions.timestamps is None:
            continue
        if name == "ease" and interactions.n_items > EASERecommender().max_dense_items:
            logger.warning("ease left out: %d titles exceed its dense limit", interactions.n_items)
            continue
        models[label] = HybridRecommender(**params) if name == "hybrid" else base_class(name)(**params)
    return models


def command_evaluate(args: argparse.Namespace) -> int:
    from recommender.evaluation import evaluate, format_table, split_per_user

    interactions = read_interactions_file(args.interactions, args.format, args.positive_threshold)
    items = read_items_file(args.items)
    split = split_per_user(interactions, seed=args.seed)
    if split.test.nnz == 0:
        raise UserError(
            "no user has two or more positive interactions, so nothing can be held out for testing"
        )
    models = evaluation_models(interactions, items)
    if args.models:
        wanted = {m.strip() for m in args.models.split(",")}
        models = {label: m for label, m in models.items() if label in wanted or m.name in wanted}
        if not models:
            raise UserError(
                f"--models {args.models} matches none of {[label for label, *_ in EVALUATED_MODELS]}"
            )
    rows = evaluate(models, split.train, split.test, items, show_progress=True)
    print(format_table(rows))
    return 0


# -- entry point -------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recommender",
        description="Fit, run and evaluate the Marquee recommender on rating files.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_input(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--interactions", required=True, metavar="FILE", help="ratings file (u.data, .dat, .csv)"
        )
        sub.add_argument(
            "--format",
            default="auto",
            choices=INTERACTION_FORMATS,
            help="file format; auto tells it from the first line (default)",
        )
        sub.add_argument("--items", metavar="FILE", help="titles file: u.item, movies.dat or movies.csv")
        sub.add_argument(
            "--positive-threshold",
            type=float,
            metavar="X",
            help="keep only ratings >= X as positive interactions (default: every rating counts)",
        )

    fit = commands.add_parser("fit", help="fit a model and save it as a versioned artifact")
    add_input(fit)
    fit.add_argument(
        "--out", required=True, metavar="DIR", help="artifact root; the new version becomes current"
    )
    fit.add_argument("--model", default="hybrid", help="model to fit (default: hybrid, the shipped default)")
    fit.set_defaults(handler=command_fit)

    rec = commands.add_parser("recommend", help="write top-k recommendations per user as JSON lines")
    rec.add_argument("--model", required=True, metavar="DIR", help="artifact written by `fit --out`")
    rec.add_argument("--users", required=True, help="'all' or comma-separated user ids")
    rec.add_argument("-k", type=int, default=20, help="titles per user (default 20)")
    rec.add_argument("--out", required=True, metavar="FILE", help="output .jsonl file")
    rec.set_defaults(handler=command_recommend)

    ev = commands.add_parser("evaluate", help="compare every model on a per-user 80/20 split")
    add_input(ev)
    ev.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="split seed (default fixed, for reproducibility)"
    )
    ev.add_argument("--models", help="comma-separated subset of models to evaluate (default: all)")
    ev.set_defaults(handler=command_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.handler(args)
    except DataFileError as exc:
        hint = " Fix or remove that line and run again." if exc.line is not None else ""
        print(f"error: {str(exc).rstrip('.')}.{hint}", file=sys.stderr)
        return EXIT_USAGE
    except (UserError, artifact.ArtifactError) as exc:
        print(f"error: {str(exc).rstrip('.')}.", file=sys.stderr)
        return EXIT_USAGE
