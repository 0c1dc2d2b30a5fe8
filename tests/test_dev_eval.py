"""The dev-set quality bar, measured the way the project is judged: the shared scorer running
`edu-monitor parse --json` on each document (skipped when ../shared is absent)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCORER = SHARED / "eval" / "score.py"
GOLD = SHARED / "eval" / "dev"
THRESHOLDS = {"seg-f1": 0.95, "label-micro-f1": 0.85, "label-macro-f1": 0.80, "region-acc": 0.95,
              "date-acc": 0.90}


def test_dev_set_meets_the_quality_bar() -> None:
    if not SCORER.exists() or not any(GOLD.glob("*.json")):
        pytest.skip("shared evaluation data not present")
    command = f"{sys.executable} -m monitor parse --json {{file}}"
    floors = [arg for name, floor in THRESHOLDS.items() for arg in (f"--min-{name}", str(floor))]
    done = subprocess.run([sys.executable, str(SCORER), "--gold", str(GOLD), "--corpus", str(SHARED),
                           "--cmd", command, *floors], capture_output=True, text=True, timeout=600)
    assert "parser failed" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, f"below the bar:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
