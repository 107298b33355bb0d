"""Gate on the NLU cross-validation reports: intent macro-F1 must reach the minimum in every run.

Usage: python scripts/nlu_crossval_gate.py MIN_MACRO_F1 RESULTS_DIR [RESULTS_DIR ...]
(run by scripts/nlu_crossval.sh; one RESULTS_DIR per seed). Prints each run's figure with its seed, the
weakest intents and how correct and wrong predictions spread over confidence (the measurement the
FallbackClassifier threshold is chosen from), and min/mean/max when there are several runs. Exit status 1
when any run is below the minimum, 2 on bad arguments or a missing report.

Retrieval intents (faq/hours, faq/devices, ...) are one intent, `faq`, in intent_report.json: Rasa scores
the intent classifier on the base intent and the ResponseSelector separately, in
response_selection_report.json, which is printed here but not gated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from statistics import mean

CONFIDENCE_BANDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
SUMMARY_ROWS = ("macro avg", "weighted avg", "micro avg", "accuracy")


def main(min_macro_f1: float, results_dirs: list[Path]) -> int:
    figures = [_report_run(results_dir, min_macro_f1) for results_dir in results_dirs]
    if len(figures) > 1:
        print(
            f"intent macro-F1 over {len(figures)} seeds: min {min(figures):.4f}, "
            f"mean {mean(figures):.4f}, max {max(figures):.4f}"
        )
    verdict = "PASS" if min(figures) >= min_macro_f1 else "FAIL"
    print(f"intent macro-F1 {min(figures):.4f} (lowest run; gate >= {min_macro_f1}): {verdict}")
    return 0 if verdict == "PASS" else 1


def _report_run(results_dir: Path, min_macro_f1: float) -> float:
    report_path = results_dir / "intent_report.json"
    if not report_path.is_file():
        _fail(f"{report_path} not found; run scripts/nlu_crossval.sh without --gate-only first")
    report = json.loads(report_path.read_text())
    macro_f1 = report["macro avg"]["f1-score"]
    run_path = results_dir / "run.json"
    seed = json.loads(run_path.read_text()).get("seed", "?") if run_path.is_file() else "?"
    per_intent = {
        name: scores
        for name, scores in report.items()
        if isinstance(scores, dict) and "support" in scores and name not in SUMMARY_ROWS
    }
    weakest = sorted(per_intent.items(), key=lambda item: item[1]["f1-score"])[:5]
    print(f"== {results_dir} (seed {seed}, {len(per_intent)} intents)")
    print("weakest intents: " + ", ".join(f"{name} {scores['f1-score']:.3f}" for name, scores in weakest))
    _print_confidence_spread(results_dir)
    responses_path = results_dir / "response_selection_report.json"
    if responses_path.is_file():
        responses = json.loads(responses_path.read_text())
        print(
            f"response selection (retrieval intents, not gated): macro-F1 {responses['macro avg']['f1-score']:.4f}"
        )
    verdict = "pass" if macro_f1 >= min_macro_f1 else "below the gate"
    print(f"intent macro-F1 {macro_f1:.4f}: {verdict}")
    return macro_f1


def _print_confidence_spread(results_dir: Path) -> None:
    successes = _confidences(results_dir / "intent_successes.json")
    errors = _confidences(results_dir / "intent_errors.json")
    if not successes and not errors:
        return
    print(f"{'confidence <':>13} {'correct':>8} {'wrong':>6}  (share of all correct / all wrong predictions)")
    for band in CONFIDENCE_BANDS:
        below_ok = sum(c < band for c in successes) / max(len(successes), 1)
        below_err = sum(c < band for c in errors) / max(len(errors), 1)
        print(f"{band:>13.1f} {below_ok:>8.1%} {below_err:>6.1%}")


def _confidences(path: Path) -> list[float]:
    if not path.exists():
        return []
    return [item["intent_prediction"]["confidence"] or 0.0 for item in json.loads(path.read_text())]


USAGE = "usage: python scripts/nlu_crossval_gate.py MIN_MACRO_F1 RESULTS_DIR [RESULTS_DIR ...]"


def _fail(message: str) -> None:
    print(f"error: {message}\n{USAGE}", file=sys.stderr)
    sys.exit(2)


def _parse_arguments(argv: list[str]) -> tuple[float, list[Path]]:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        sys.exit(0)
    if len(argv) < 2:
        _fail("expected the minimum macro-F1 and at least one results folder")
    try:
        min_macro_f1 = float(argv[0])
    except ValueError:
        _fail(f"MIN_MACRO_F1 must be a number between 0 and 1, got {argv[0]!r}")
    if not 0.0 <= min_macro_f1 <= 1.0:
        _fail(f"MIN_MACRO_F1 must be between 0 and 1, got {min_macro_f1}")
    return min_macro_f1, [Path(arg) for arg in argv[1:]]


if __name__ == "__main__":
    sys.exit(main(*_parse_arguments(sys.argv[1:])))
