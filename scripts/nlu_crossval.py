"""Seeded k-fold cross-validation of the NLU model, with Rasa's own evaluation code.

Run with the Rasa environment: .venv-rasa/bin/python scripts/nlu_crossval.py --help
(scripts/nlu_crossval.sh runs it and then applies the macro-F1 gate).

`rasa test nlu --cross-validation` draws its folds with StratifiedKFold(shuffle=True) and no seed, so the
same data gives a different figure on every run (0.8919 and 0.8999 were measured on identical data). This
runs the same rasa.nlu.test.cross_validate, but with folds drawn from a seeded StratifiedKFold: the same
data, config and seed give the same reports, and a change in the figure comes from a change in the data
or the pipeline. It also skips Rasa's second parse of every fold's training examples (only logged
training-set scores come from it, four fifths of the parses; --with-train-scores keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="nlu_crossval.py",
        description=(
            "Seeded stratified k-fold cross-validation of an NLU config with Rasa's own evaluation "
            "(rasa.nlu.test.cross_validate). Writes intent_report.json, the confusion matrix, the "
            "confidence histogram, errors, successes and run.json (seed, folds, times) to --out."
        ),
    )
    parser.add_argument("--nlu", type=Path, default=ROOT / "data" / "nlu", help="NLU data file or folder")
    parser.add_argument("--config", type=Path, default=ROOT / "bot" / "config.yml", help="model config")
    parser.add_argument(
        "--domain",
        type=Path,
        default=ROOT / "bot" / "domain.yml",
        help="domain (read for the responses of retrieval intents, if any)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu-crossval", help="report folder")
    parser.add_argument("--folds", type=int, default=5, help="number of folds (at least 2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fold shuffle (default 1)")
    parser.add_argument(
        "--with-response-selector",
        action="store_true",
        help=(
            "also train and score the ResponseSelector (FAQ topics) in every fold; off by default because it "
            "never changes the intent and its TensorFlow training is most of the run's time"
        ),
    )
    parser.add_argument(
        "--with-train-scores",
        action="store_true",
        help=(
            "also parse every fold's training examples again to log training-set scores; off by default: "
            "it is four parses in five of the run and no report or gate reads it"
        ),
    )
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error(f"--folds must be at least 2, got {args.folds}")
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    for option, path in (("--nlu", args.nlu), ("--config", args.config), ("--domain", args.domain)):
        if not path.exists():
            parser.error(f"{option} {path} does not exist")
    return args


def seeded_fold_generator(seed: int):  # noqa: ANN201 (rasa types are imported lazily)
    """A drop-in for rasa.nlu.test.generate_folds whose StratifiedKFold has random_state=seed.

    Same split as Rasa's (stratified on the full intent, so retrieval intents like faq/hours are spread
    over the folds too), same TrainingData for each side; only the shuffle is seeded. Logs each fold as
    it starts, which is the progress of the run.
    """
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    def generate_folds(n: int, training_data: TrainingData) -> Iterator[tuple[TrainingData, TrainingData]]:
        examples = training_data.intent_examples
        labels = [example.get_full_intent() for example in examples]
        splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
        started = time.monotonic()
        for fold, (train_index, test_index) in enumerate(splitter.split(examples, labels), start=1):
            elapsed = time.monotonic() - started
            _progress(
                f"fold {fold}/{n}: training on {len(train_index)}, testing {len(test_index)} ({elapsed:.0f} s)"
            )
            yield tuple(  # type: ignore[misc]
                TrainingData(
                    training_examples=[examples[i] for i in index],
                    entity_synonyms=training_data.entity_synonyms,
                    regex_features=training_data.regex_features,
                    lookup_tables=training_data.lookup_tables,
                    responses=training_data.responses,
                )
                for index in (train_index, test_index)
            )

    return generate_folds


def test_side_only(combine_result):  # noqa: ANN001, ANN201 (rasa types are imported lazily)
    """Wraps rasa.nlu.test.combine_result so that the training side of each fold is not parsed again.

    cross_validate calls it twice per fold: on the training examples (collecting only the training-set
    scores it logs) and on the test examples (collecting the results every report is made from). Only the
    second call passes the result lists, so a call without them is skipped."""

    async def combine_test_side(
        intent_metrics, entity_metrics, response_selection_metrics, processor, data, *rest
    ):  # noqa: ANN001, ANN202
        if not rest:
            return intent_metrics, entity_metrics, response_selection_metrics
        return await combine_result(
            intent_metrics, entity_metrics, response_selection_metrics, processor, data, *rest
        )

    return combine_test_side


def _progress(message: str) -> None:
    print(f"[crossval] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict:
    import numpy as np
    import rasa.nlu.test
    from rasa.model_testing import perform_nlu_cross_validation
    from rasa.shared.importers.importer import TrainingDataImporter

    # The folds are seeded explicitly below; seeding the global generators as well makes any component
    # that draws from them without its own random_state reproducible too.
    random.seed(args.seed)
    np.random.seed(args.seed)

    config = TrainingDataImporter.load_from_dict(config_path=str(args.config)).get_config()
    left_out = []
    if not args.with_response_selector:
        left_out = [step["name"] for step in config["pipeline"] if step["name"] == "ResponseSelector"]
        config["pipeline"] = [step for step in config["pipeline"] if step["name"] != "ResponseSelector"]
    data = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(args.nlu)], domain_path=str(args.domain)
    ).get_nlu_data()
    if not data.intent_examples:
        raise SystemExit(f"error: no intent examples found in {args.nlu}")
    too_few = {
        intent: count for intent, count in data.number_of_examples_per_intent.items() if count < args.folds
    }
    if too_few:
        # Rasa silently drops such intents from the evaluation; a gate must not get easier that way.
        raise SystemExit(
            f"error: every intent needs at least {args.folds} examples for {args.folds}-fold "
            f"cross-validation; too few: {', '.join(f'{k} ({v})' for k, v in sorted(too_few.items()))}"
        )

    rasa.nlu.test.generate_folds = seeded_fold_generator(args.seed)
    if not args.with_train_scores:
        rasa.nlu.test.combine_result = test_side_only(rasa.nlu.test.combine_result)
    args.out.mkdir(parents=True, exist_ok=True)
    # A report of an earlier run must not be read as this run's.
    _remove_response_selection_reports(args.out)
    wall_started, cpu_started = time.monotonic(), _cpu_seconds()
    asyncio.run(
        perform_nlu_cross_validation(
            config,
            data,
            str(args.out),
            {"folds": args.folds, "successes": True, "errors": True, "disable_plotting": False},
        )
    )
    if left_out:
        # Without a ResponseSelector Rasa still writes its report, with every topic at 0.
        _remove_response_selection_reports(args.out)
    summary = {
        "seed": args.seed,
        "folds": args.folds,
        "config": str(args.config),
        "components_left_out": left_out,
        "training_side_scored": args.with_train_scores,
        "nlu": str(args.nlu),
        "intent_examples": len(data.intent_examples),
        "intents": len(data.intents),
        "wall_seconds": round(time.monotonic() - wall_started, 1),
        "cpu_seconds": round(_cpu_seconds() - cpu_started, 1),
    }
    (args.out / "run.json").write_text(json.dumps(summary, indent=2) + "\n")
    _progress(
        f"{args.folds}-fold cross-validation (seed {args.seed}) took {summary['wall_seconds']} s wall, "
        f"{summary['cpu_seconds']} s CPU; reports in {args.out}/"
    )
    return summary


def _remove_response_selection_reports(folder: Path) -> None:
    for report in folder.glob("response_selection_*"):
        report.unlink()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # The pipeline names custom components by module path (bot.components...), as `rasa` does when
    # started from the repository root.
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Rasa's INFO and structlog DEBUG output repeat the whole report and every prediction; the reports
    # are in --out and the gate prints the summary, so only warnings and errors go to the terminal.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
