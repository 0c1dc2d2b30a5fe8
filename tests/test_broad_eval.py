"""The ordinary stream's quality bar: the shared scorer running `edu-monitor parse --json` on the
broad dev set of news, notices, reposts, noise pages and reports (skipped when ../shared is absent).

The floors sit a little under today's full-fit figures: they catch a regression. The shipped
label model has seen these documents, so a second test holds the cross-validated label figures
(bench/understanding.py --folds 5: the model never sees its test fold), the estimate of unseen
documents that a model fitted harder to this set would not raise.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "eval" / "score.py"
BROAD = SHARED / "eval" / "broad"
THRESHOLDS = {"seg-f1": 0.95, "label-micro-f1": 0.87, "label-macro-f1": 0.86, "region-acc": 0.93,
              "date-acc": 0.93}
CROSS_VALIDATED = {"label-micro-f1": 0.83, "label-macro-f1": 0.80}  # broad, 5 folds, mean of seeds 13, 7, 21


@pytest.mark.slow
def test_broad_set_meets_the_quality_bar() -> None:
    if not SCORER.exists() or not any((BROAD / "gold").glob("*.json")):
        pytest.skip("shared evaluation data not present")
    command = f"{sys.executable} -m monitor parse --json {{file}}"
    floors = [arg for name, floor in THRESHOLDS.items() for arg in (f"--min-{name}", str(floor))]
    done = subprocess.run([sys.executable, str(SCORER), "--gold", str(BROAD / "gold"), "--corpus", str(BROAD),
                           "--cmd", command, *floors], capture_output=True, text=True, timeout=900)
    assert "parser failed" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, f"below the bar:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"


@pytest.mark.slow
def test_cross_validated_labels_hold_their_floor() -> None:
    pytest.importorskip("sklearn")
    if not any((BROAD / "gold").glob("*.json")) or not any((SHARED / "eval" / "dev").glob("*.json")):
        pytest.skip("shared evaluation data not present")
    spec = importlib.util.spec_from_file_location("understanding", ROOT / "bench" / "understanding.py")
    bench = sys.modules["understanding"] = importlib.util.module_from_spec(spec)  # dataclasses look it up
    spec.loader.exec_module(bench)
    scorer = bench.load_scorer()
    docs = bench.load("dev") + bench.load("broad")
    examples = bench.training_examples(docs, scorer)
    runs = [bench.crossval(docs, 5, scorer, seed, bench.labelmodel.REGULARISATION, examples)["broad"] for seed in (13, 7, 21)]
    for name, floor in CROSS_VALIDATED.items():
        mean = sum(run[name] for run in runs) / len(runs)
        assert mean >= floor, (name, [round(run[name], 3) for run in runs])
