"""The ordinary stream's quality bar: the shared scorer running `edu-monitor parse --json` on the
broad dev set of news, notices, reposts, noise pages and reports (skipped when ../shared is absent).

The floors sit a little under today's full-fit figures: they catch a regression, while the
cross-validated estimate of unseen documents is printed by bench/understanding.py --folds 5.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCORER = SHARED / "eval" / "score.py"
BROAD = SHARED / "eval" / "broad"
THRESHOLDS = {"seg-f1": 0.95, "label-micro-f1": 0.83, "label-macro-f1": 0.82, "region-acc": 0.93,
              "date-acc": 0.93}


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
