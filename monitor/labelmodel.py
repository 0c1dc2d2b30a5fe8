"""The learned label decision: which of the rules' candidate labels are the item's principal actions.

The rules of rules.yml find cues; whether a cue is the item's principal action or a mention is
what they get wrong most. A logistic model weighs, per label, the place of its cues (heading,
lead, how far down, how often, named first or not), the other candidates and the document's
structure (notice or not, kind); it is fitted once over all labels' candidates, so that what marks
a mention is learned from every label's items, by `bench/understanding.py --write-model` (see
README). Inference is plain Python over a small JSON file (monitor/data/labelmodel.json),
deterministic, nothing downloaded; scikit-learn is needed only to train.

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
THRESHOLD = 0.4  # chosen with REGULARISATION by cross-validation (bench/understanding.py --folds 5)
REGULARISATION = 1.0  # the logistic fit's C: smaller trusts the few annotated items less


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
    heading, head = strip_glosses(heading), strip_glosses(body)[:2000]  # as the rules saw them
    long, where = len(body) > LONG_CHARS, {}
    for label, cues in evidence.items():
        plain = [c.removeprefix("名称:") for c in cues]
        out.add(f"r:{label}")
        if any(c.startswith("名称:") for c in cues):
            out.add(f"name:{label}")
        placed, where[label] = _placement(plain, heading, head, long)
        out.update(f"{f}:{label}" for f in placed)
    if len(where) > 1:  # the action named first (headline, then lead) is the item's principal one
        out.update(f"e:{label}" for label, at in where.items() if at == min(where.values()))
    return out


def _placement(cues: list[str], heading: str, head: str, long: bool) -> tuple[list[str], int]:
    """Where a label's cues stand and how often: a mention is said once, far down a long text.

    h: in the heading; l: in the lead; p0/p1/p2/p3: the first cue in the first 150, 500, 2000
    characters of the body, or not there; c0/c1/c2: one, two or three, more occurrences. Also
    the first cue's place in heading and body together, to find the action named first.
    """
    first, count, in_heading, at_heading = len(head), 0, False, len(heading)
    for cue in cues:
        if n := head.count(cue):
            count += n
            first = min(first, head.find(cue))
        if cue in heading:
            in_heading = True
            count += heading.count(cue)
            at_heading = min(at_heading, heading.find(cue))
    place = bisect.bisect_right(POSITIONS, first) if first < len(head) else len(POSITIONS)
    out = [f"p{place}", f"c{0 if count <= 1 else 1 if count <= 3 else 2}"]
    if in_heading:
        out.append("h")
    if place == 0:
        out.append("l")
    if count <= 1 and long:
        out.append("once-long")
    at = at_heading if in_heading else len(heading) + 1 + first if first < len(head) else 1 << 30
    return out, at


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


def pair_features(feats: set[str], label: str) -> dict[str, int]:
    """One (item, candidate label) pair of the pooled fit.

    The label's own cue features count twice: as themselves ("p2:meeting") and shared by every
    label ("*p:p2"), so that what marks a mention (said once, far down a long text) is learned
    from all labels' items, and each label keeps only its own deviations. Another label's cue
    positions are left out: with a few hundred items they are mostly memorised. The other
    candidates and the document's structure are the label's own context ("meeting|r:training").
    """
    out = {f"{label}|": 1}  # the label's bias
    for f in feats:
        if f.startswith("r:"):
            out[f"{label}|{f}"] = 1
        elif f.startswith("k:") or f == "notice":
            out[f"{label}|{f}"] = out[f"*c:{f}"] = 1
        elif f.endswith(f":{label}"):
            out[f] = out[f"*p:{f[:-len(label) - 1]}"] = 1
    return out


def train(examples: list[tuple[set[str], set[str]]], c: float = REGULARISATION) -> Model:
    """Fit one L2 logistic regression over every (item, candidate label) pair (needs scikit-learn).

    It sees only the labels the rules found: it learns when a cue is the item's action and
    when it is a mention. The fit is unfolded into one weight per feature and label.
    """
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows, wanted = [], []
    for feats, gold in examples:
        for label in sorted(candidates(feats)):
            rows.append(pair_features(feats, label))
            wanted.append(label in gold)
    vec = DictVectorizer()
    fit = LogisticRegression(C=c, solver="lbfgs", max_iter=5000).fit(vec.fit_transform(rows), wanted)
    return _unfold(dict(zip(vec.get_feature_names_out(), fit.coef_[0], strict=True)), float(fit.intercept_[0]))


def _unfold(fitted: dict[str, float], intercept: float) -> Model:
    """Per-label weights of a pooled fit: a shared weight is added to each label's own feature."""
    labels = tuple(LABELS)
    bias = [intercept] * len(labels)
    weights: dict[str, list[float]] = {}
    for name, w in fitted.items():
        for j, label in enumerate(labels):
            if name.startswith("*p:"):
                target = f"{name[3:]}:{label}"
            elif name.startswith("*c:"):
                target = name[3:]
            elif name.startswith(f"{label}|"):
                target = name[len(label) + 1:]
            elif name.endswith(f":{label}") and "|" not in name:
                target = name
            else:
                continue
            if target:
                weights.setdefault(target, [0.0] * len(labels))[j] += float(w)
            else:
                bias[j] += float(w)
    return Model(labels, tuple(round(b, 4) for b in bias),
                 {f: tuple(round(x, 4) for x in row) for f, row in weights.items()
                  if any(abs(x) >= 0.002 for x in row)})


def to_json(model: Model) -> dict:
    return {"labels": list(model.labels), "bias": list(model.bias),
            "weights": {f: list(w) for f, w in sorted(model.weights.items())}}
