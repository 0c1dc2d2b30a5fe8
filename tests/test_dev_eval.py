"""The dev-set quality bar: the shared scorer's matching and metrics applied to understand()."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from monitor.understand import understand

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCORER = SHARED / "eval" / "score.py"
GOLD = SHARED / "eval" / "dev"
THRESHOLDS = {"seg-f1": 0.95, "label-micro-f1": 0.85, "label-macro-f1": 0.80, "region-acc": 0.95,
              "date-acc": 0.90}


def _scorer():
    if not SCORER.exists() or not any(GOLD.glob("*.json")):
        pytest.skip("shared evaluation data not present")
    spec = importlib.util.spec_from_file_location("shared_score", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scores() -> dict[str, float]:
    score = _scorer()
    gold_n = pred_n = matched = region_ok = region_n = date_ok = date_n = 0
    tp, fp, fn = Counter(), Counter(), Counter()
    for gold_path in sorted(GOLD.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text = (SHARED / gold["file"]).read_bytes().decode("utf-8", errors="replace")
        items = understand(text).to_json()["items"]
        pairs = score.match(gold["items"], items)
        gold_n, pred_n, matched = gold_n + len(gold["items"]), pred_n + len(items), matched + len(pairs)
        for g, p in pairs:
            gl, pl = set(g.get("labels", [])), set(p.get("labels") or [])
            for label in gl & pl:
                tp[label] += 1
            for label in pl - gl:
                fp[label] += 1
            for label in gl - pl:
                fn[label] += 1
            if g.get("region"):
                region_n, region_ok = region_n + 1, region_ok + (p.get("region") == g["region"])
            if g.get("date"):
                date_n, date_ok = date_n + 1, date_ok + ((p.get("date") or "")[:10] == g["date"])
    recall, precision = matched / gold_n, (matched / pred_n if pred_n else 0.0)
    per_label = [score.f1(tp[lab], fp[lab], fn[lab]) for lab in set(tp) | set(fp) | set(fn)]
    return {
        "seg-f1": 0.0 if not matched else 2 * precision * recall / (precision + recall),
        "label-micro-f1": score.f1(sum(tp.values()), sum(fp.values()), sum(fn.values())),
        "label-macro-f1": sum(per_label) / len(per_label) if per_label else 0.0,
        "region-acc": region_ok / region_n if region_n else 0.0,
        "date-acc": date_ok / date_n if date_n else 0.0,
    }


def test_dev_set_meets_the_quality_bar() -> None:
    scores = _scores()
    short = {name: round(scores[name], 3) for name, floor in THRESHOLDS.items() if scores[name] < floor}
    assert not short, f"below the bar: {short} (all: {scores})"
