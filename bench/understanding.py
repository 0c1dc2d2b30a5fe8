"""Score the understanding step in-process on the shared gold sets, whole and cross-validated.

The shared scorer runs `edu-monitor parse --json` once per file; this runs `understand()` in one
process with the scorer's own matching and normalisation, so a change to the rules or the model
can be checked in seconds. `--folds K` prints k-fold figures: the learned label model is trained
on k-1 folds and scored on the held-out one, the estimate of what unseen documents will get.

    .venv/bin/python bench/understanding.py                 # dev and broad, full fit
    .venv/bin/python bench/understanding.py --folds 5       # plus 5-fold cross-validation, seeds 13, 7, 21
    .venv/bin/python bench/understanding.py --verbose broad # every miss and wrong field
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from monitor import labelmodel  # noqa: E402
from monitor.normalize import for_matching  # noqa: E402
from monitor.understand import understand  # noqa: E402

SETS = {"dev": (SHARED / "eval" / "dev", SHARED), "broad": (SHARED / "eval" / "broad" / "gold",
                                                           SHARED / "eval" / "broad")}


def load_scorer():
    spec = importlib.util.spec_from_file_location("score", SHARED / "eval" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Doc:
    name: str
    text: str
    gold: dict


@dataclass
class Tally:
    gold_n: int = 0
    pred_n: int = 0
    matched: int = 0
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    region: list[int] = field(default_factory=lambda: [0, 0])
    date: list[int] = field(default_factory=lambda: [0, 0])

    def scores(self, scorer) -> dict[str, float]:
        r = self.matched / self.gold_n if self.gold_n else 0.0
        p = self.matched / self.pred_n if self.pred_n else 0.0
        labels = set(self.tp) | set(self.fp) | set(self.fn)
        per = [scorer.f1(self.tp[x], self.fp[x], self.fn[x]) for x in labels]
        return {"seg-f1": 0.0 if not self.matched else 2 * p * r / (p + r),
                "label-micro-f1": scorer.f1(sum(self.tp.values()), sum(self.fp.values()),
                                            sum(self.fn.values())),
                "label-macro-f1": sum(per) / len(per) if per else 0.0,
                "region-acc": self.region[0] / self.region[1] if self.region[1] else 0.0,
                "date-acc": self.date[0] / self.date[1] if self.date[1] else 0.0}


def load(name: str) -> list[Doc]:
    gold_dir, corpus = SETS[name]
    docs = []
    for path in sorted(gold_dir.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        text = (corpus / gold["file"]).read_text(encoding="utf-8", errors="replace")
        docs.append(Doc(f"{name}/{path.stem}", text, gold))
    return docs


def score_doc(doc: Doc, tally: Tally, scorer, model, verbose: bool) -> None:
    items = [vars(i) for i in understand(doc.text, label_model=model).items]
    pairs = scorer.match(doc.gold["items"], items)
    tally.gold_n += len(doc.gold["items"])
    tally.pred_n += len(items)
    tally.matched += len(pairs)
    if verbose:
        hit = {id(g) for g, _ in pairs}
        for g in doc.gold["items"]:
            if id(g) not in hit:
                print(f"  MISS {doc.name}: {g['anchor']}")
        if len(items) > len(pairs):
            print(f"  EXTRA {doc.name}: {len(items) - len(pairs)} unmatched predicted item(s)")
    for g, p in pairs:
        gl, pl = set(g.get("labels", [])), set(p.get("labels") or [])
        for lab in gl | pl:
            (tally.tp if lab in gl and lab in pl else tally.fp if lab in pl else tally.fn)[lab] += 1
        if verbose and gl != pl:
            print(f"  LABELS {doc.name} {g['anchor']}: missing={sorted(gl - pl)} extra={sorted(pl - gl)}")
        for key, box in (("region", tally.region), ("date", tally.date)):
            if g.get(key):
                got = (p.get(key) or "")[:10] if key == "date" else p.get(key)
                box[0] += got == g[key]
                box[1] += 1
                if verbose and got != g[key]:
                    print(f"  {key.upper()} {doc.name} {g['anchor']}: gold={g[key]} got={got}")


def evaluate(docs: list[Doc], scorer, model, verbose: bool = False) -> dict[str, float]:
    tally = Tally()
    for doc in docs:
        score_doc(doc, tally, scorer, model, verbose)
    return tally.scores(scorer)


def training_examples(docs: list[Doc], scorer) -> dict[str, list[tuple[set[str], set[str]]]]:
    """Per document, (features, gold labels) of every gold item the parser's segments find (rules-only labels)."""
    out = {}
    for doc in docs:
        parsed = understand(doc.text, label_model=None)
        items = [vars(i) for i in parsed.items]
        out[doc.name] = [
            (labelmodel.features(for_matching(p["title"]), "\n".join(map(for_matching, p["text"].split("\n"))),
                                 p["evidence"], parsed.kind, parsed.notice), set(g.get("labels", [])))
            for g, p in scorer.match(doc.gold["items"], items)]
    return out


def crossval(docs: list[Doc], folds: int, scorer, seed: int, c: float,
             examples: dict[str, list] | None = None) -> dict[str, dict[str, float]]:
    """k-fold figures over all documents and per set: each fold's model never sees its test fold."""
    examples = examples or training_examples(docs, scorer)
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    tallies: dict[str, Tally] = {"all": Tally()}
    for k in range(folds):
        test = [docs[i] for n, i in enumerate(order) if n % folds == k]
        train = [ex for n, i in enumerate(order) if n % folds != k for ex in examples[docs[i].name]]
        model = labelmodel.train(train, c=c)
        for doc in test:
            score_doc(doc, tallies["all"], scorer, model, False)
            score_doc(doc, tallies.setdefault(doc.name.split("/")[0], Tally()), scorer, model, False)
    return {name: tally.scores(scorer) for name, tally in tallies.items()}


def show(name: str, scores: dict[str, float]) -> None:
    print(f"{name:28s} " + "  ".join(f"{k} {v:.3f}" for k, v in scores.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", default=["dev", "broad"], help="dev and/or broad")
    ap.add_argument("--folds", type=int, default=0, help="k-fold cross-validation over the sets together")
    ap.add_argument("--seeds", default="13,7,21", help="comma-separated fold shuffles; one seed is no estimate")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--c", type=float, default=labelmodel.REGULARISATION,
                    help="inverse regularisation strength of the label model")
    ap.add_argument("--rules-only", action="store_true", help="score the rules without the label model")
    ap.add_argument("--write-model", action="store_true",
                    help="train on every document of the sets and write monitor/data/labelmodel.json")
    args = ap.parse_args()
    if not SHARED.exists():
        print("the shared evaluation data is not beside the project", file=sys.stderr)
        return 2
    scorer = load_scorer()
    docs = {name: load(name) for name in args.sets}
    every = [d for subset in docs.values() for d in subset]
    if args.write_model:
        model = labelmodel.train([ex for exs in training_examples(every, scorer).values() for ex in exs], c=args.c)
        labelmodel.MODEL_PATH.write_text(json.dumps(labelmodel.to_json(model), ensure_ascii=False,
                                                    separators=(",", ":")) + "\n", encoding="utf-8")
        labelmodel.load_default.cache_clear()
        print(f"wrote {labelmodel.MODEL_PATH.name}: {len(model.weights)} features", file=sys.stderr)
    model = None if args.rules_only else labelmodel.load_default()
    for name, subset in docs.items():
        show(f"{name} ({'rules only' if model is None else 'shipped model'})",
             evaluate(subset, scorer, model, args.verbose))
    if args.folds:
        examples = training_examples(every, scorer)
        runs = {seed: crossval(every, args.folds, scorer, seed, args.c, examples)
                for seed in (int(s) for s in args.seeds.split(","))}
        for seed, figures in runs.items():
            for name, scores in figures.items():
                show(f"{name} {args.folds}-fold seed {seed}", scores)
        for name in runs[next(iter(runs))]:
            show(f"{name} {args.folds}-fold mean", {k: sum(r[name][k] for r in runs.values()) / len(runs)
                                                   for k in runs[next(iter(runs))][name]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
