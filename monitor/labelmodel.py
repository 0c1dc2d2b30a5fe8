"""The learned label decision: which of the rules' candidate labels are the item's principal actions.

The rules of rules.yml find cues; whether a cue is the item's principal action or a mention is
what they get wrong most. A logistic model per label weighs the rules' verdicts together with the
place of the cues (heading, lead, how often) and the document's structure (notice or not, kind),
trained on the annotated items by `bench/understanding.py --write-model` (see README). Inference is plain
Python over a small JSON file (monitor/data/labelmodel.json), deterministic, nothing downloaded;
scikit-learn is needed only to train.

The model only filters: every label it keeps was found by a rule cue, or is the policy_document of
a 公文 (evidence "公文"), so every label keeps evidence a reader can check.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from monitor.classify import strip_glosses
from monitor.taxonomy import LABELS

MODEL_PATH = Path(__file__).with_name("data") / "labelmodel.json"
LEAD_CHARS = 150  # the lead says what the item is about; the rest repeats or digresses
POSITIONS = (LEAD_CHARS, 500, 2000)  # where the first cue stands in the body, in characters
LONG_CHARS = 600  # an item longer than this that names a cue once only mentions it
THRESHOLD = 0.3  # chosen by cross-validation (bench/understanding.py --folds 5)


@dataclass(frozen=True)
class Model:
    labels: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]  # feature → one weight per label


def features(heading: str, body: str, evidence: dict[str, list[str]], kind: str, notice: bool) -> set[str]:
    """Binary features of one item (heading and body in matching form) and the rules' evidence.

    Where a cue stands says whether it is the item's action or a mention: in the heading, in the
    lead, how often. The rules' other labels and the document's structure give the context.
    """
    out = {f"k:{kind}"}
    if notice:
        out.add("notice")
    heading, head = strip_glosses(heading), strip_glosses(body[:2000])
    long = len(body) > LONG_CHARS
    for label, cues in evidence.items():
        plain = [c.removeprefix("名称:") for c in cues]
        out.add(f"r:{label}")
        if any(c.startswith("名称:") for c in cues):
            out.add(f"name:{label}")
        out.update(f"{f}:{label}" for f in _placement(plain, heading, head, long))
    return out


def _placement(cues: list[str], heading: str, head: str, long: bool) -> list[str]:
    """Where a label's cues stand and how often: a mention is said once, far down a long text.

    h: in the heading; l: in the lead; p0/p1/p2/p3: the first cue in the first 150, 500, 2000
    characters of the body, or not there; c0/c1/c2: one, two or three, more occurrences.
    """
    first, count, in_heading = len(head), 0, False
    for cue in cues:
        if n := head.count(cue):
            count += n
            first = min(first, head.find(cue))
        if cue in heading:
            in_heading = True
            count += heading.count(cue)
    place = bisect.bisect_right(POSITIONS, first) if first < len(head) else len(POSITIONS)
    out = [f"p{place}", f"c{0 if count <= 1 else 1 if count <= 3 else 2}"]
    if in_heading:
        out.append("h")
    if place == 0:
        out.append("l")
    if count <= 1 and long:
        out.append("once-long")
    return out


def decide(model: Model, feats: set[str], labels: Iterable[str] | None = None) -> dict[str, float]:
    """Probability of every label (or of `labels` only: the candidates, to save the rest)."""
    rows = [row for f in feats if (row := model.weights.get(f))]
    scores = map(sum, zip(model.bias, *rows, strict=True))  # one column per label, summed in C
    return {label: 1 / (1 + math.exp(-score)) for label, score in zip(model.labels, scores, strict=True)
            if labels is None or label in labels}


def candidates(feats: set[str]) -> set[str]:
    """The labels the model may keep: the rules' ones, and policy_document for a 公文."""
    found = {f[2:] for f in feats if f.startswith("r:")}
    if "notice" in feats:
        found.add("policy_document")
    return found


def refine(model: Model | None, heading: str, body: str, labels: list[str], evidence: dict[str, list[str]],
           kind: str, notice: bool) -> tuple[list[str], dict[str, list[str]]]:
    """The candidate labels the model keeps, each with its evidence.

    The model only filters: every label it keeps was found by a rule cue (or is a 公文's
    policy_document), so every label an alert shows has evidence a reader can check.
    """
    if model is None:
        return labels, evidence
    keep = set(evidence) | ({"policy_document"} if notice else set())  # = candidates(features(…))
    if not keep:
        return [], {}
    feats = features(heading, body, evidence, kind, notice)
    probs = decide(model, feats, keep)
    chosen = [lab for lab in LABELS if probs.get(lab, 0.0) >= THRESHOLD]
    return chosen, {lab: evidence.get(lab) or ["公文"] for lab in chosen}  # only a 公文 lacks a cue


def from_json(data: dict) -> Model:
    labels = tuple(data["labels"])
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValueError(f"label model: unknown label ids {sorted(unknown)}")
    return Model(labels, tuple(data["bias"]), {f: tuple(w) for f, w in data["weights"].items()})


@lru_cache(maxsize=1)
def load_default() -> Model | None:
    """The shipped model, or None when the file is absent (the rules alone then decide)."""
    if not MODEL_PATH.exists():
        return None
    return from_json(json.loads(MODEL_PATH.read_text(encoding="utf-8")))


def own_features(feats: set[str], label: str) -> dict[str, int]:
    """What one label's model weighs: its own cues' features, the other candidates, the structure.

    Another label's cue positions say little about this label and, with a few hundred items,
    are mostly memorised: leaving them out narrows the gap between seen and unseen documents.
    """
    return {f: 1 for f in feats if f.endswith(f":{label}") or f.startswith(("r:", "k:")) or f == "notice"}


def train(examples: list[tuple[set[str], set[str]]], c: float = 3.0) -> Model:
    """Fit one L2 logistic regression per label on (features, gold labels) pairs (needs scikit-learn).

    Each label's model sees only the items where it is a candidate: it learns when a rule's cue
    is the item's action and when it is a mention.
    """
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    labels = tuple(LABELS)
    bias, weights = [], {}
    for j, label in enumerate(labels):
        rows = [(feats, label in gold) for feats, gold in examples if label in candidates(feats)]
        y = [wanted for _, wanted in rows]
        if len(set(y)) < 2:  # never or always right among its candidates: the bias alone decides
            bias.append(6.0 if y and y[0] else -6.0)
            continue
        vec = DictVectorizer()
        x = vec.fit_transform([own_features(feats, label) for feats, _ in rows])
        fit = LogisticRegression(C=c, solver="lbfgs", max_iter=2000).fit(x, y)
        bias.append(round(float(fit.intercept_[0]), 4))
        for name, w in zip(vec.get_feature_names_out(), fit.coef_[0], strict=True):
            if abs(w) >= 0.002:
                weights.setdefault(str(name), [0.0] * len(labels))[j] = round(float(w), 4)
    return Model(labels, tuple(bias), {f: tuple(w) for f, w in weights.items()})


def to_json(model: Model) -> dict:
    return {"labels": list(model.labels), "bias": list(model.bias),
            "weights": {f: list(w) for f, w in sorted(model.weights.items())}}
