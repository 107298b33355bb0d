"""Gate on the NLU cross-validation reports: intent macro-F1 must reach the minimum.

Usage: python scripts/nlu_crossval_gate.py RESULTS_DIR MIN_MACRO_F1 (run by scripts/nlu_crossval.sh).
Also prints the weakest intents and how correct and wrong predictions spread over confidence, the
measurement the FallbackClassifier threshold is chosen from. Exit status 1 when the gate fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CONFIDENCE_BANDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def main(results_dir: Path, min_macro_f1: float) -> int:
    report = json.loads((results_dir / "intent_report.json").read_text())
    macro_f1 = report["macro avg"]["f1-score"]
    per_intent = {
        name: scores for name, scores in report.items() if isinstance(scores, dict) and "support" in scores
    }
    per_intent = {
        name: s for name, s in per_intent.items() if name not in ("macro avg", "weighted avg", "micro avg")
    }
    weakest = sorted(per_intent.items(), key=lambda item: item[1]["f1-score"])[:5]
    print("weakest intents: " + ", ".join(f"{name} {scores['f1-score']:.3f}" for name, scores in weakest))
    _print_confidence_spread(results_dir)
    verdict = "PASS" if macro_f1 >= min_macro_f1 else "FAIL"
    print(f"intent macro-F1 {macro_f1:.4f} (gate >= {min_macro_f1}): {verdict}")
    return 0 if verdict == "PASS" else 1


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


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/nlu_crossval_gate.py RESULTS_DIR MIN_MACRO_F1")
    sys.exit(main(Path(sys.argv[1]), float(sys.argv[2])))
