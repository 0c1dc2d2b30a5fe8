"""Multi-label classification of items with the analyst-editable rules of rules.yml.

Rules match simplified text (traditional copies give identical labels); every label carries
its evidence, the cues that matched, so an alert can say why it fired.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from monitor.normalize import for_matching
from monitor.taxonomy import LABELS
from monitor.yamlload import safe_load

RULES_PATH = Path(__file__).with_name("rules.yml")
_CLAUSE_END = re.compile(r"[，,。；;\n！!？?]")
_DOC = re.compile(r"《([^《》]{1,100})》")
# Pinyin glosses of reposted pages, 网(wǎng)络(luò): they split the words the cues look for.
_GLOSS = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6} ?\)")


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern[str]
    weight: float
    scope: str
    requires: re.Pattern[str] | None
    excludes: re.Pattern[str] | None
    conditional: bool = field(init=False)  # a match counts only in some places (heading, body, clause)

    def __post_init__(self) -> None:
        conditional = self.scope != "any" or self.requires is not None or self.excludes is not None
        object.__setattr__(self, "conditional", conditional)

    def counts(self, m: re.Match[str], part: _Text, heading_end: int) -> bool:
        """Whether a match of a conditional cue stands where the cue counts."""
        if self.scope != "any" and (m.start() < heading_end) != (self.scope == "heading"):
            return False
        if self.requires or self.excludes:
            clause = part.clause(m.start(), m.end())
            if self.requires and not self.requires.search(clause):
                return False
            if self.excludes and self.excludes.search(clause):
                return False
        return True


@dataclass(frozen=True)
class Rules:
    threshold: float
    masks: tuple[re.Pattern[str], ...]
    cues: dict[str, tuple[Cue, ...]]
    suppressed_by: dict[str, tuple[str, ...]]
    suppressed_in: dict[str, re.Pattern[str]]  # a context in which a label's cues are not actions
    relevant: re.Pattern[str]  # one of these words makes an article relevant …
    related: re.Pattern[str]  # … else `related_needed` different words of these
    related_needed: int
    doc_before: re.Pattern[str]
    doc_after: re.Pattern[str]
    events: re.Pattern[str]
    name_starts: re.Pattern[str]
    subjects: re.Pattern[str]  # one named group per label: which subjects a name carries


def _opt(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def _cue(raw: dict) -> Cue:
    scope = raw.get("scope", "any")
    if scope not in ("any", "heading", "body"):
        raise ValueError(f"rules.yml: unknown scope {scope!r}")
    return Cue(re.compile(raw["re"]), float(raw.get("weight", 1)), scope,
               _opt(raw.get("clause_requires")), _opt(raw.get("clause_excludes")))


def parse_rules(data: dict) -> Rules:
    """Compile a rules mapping (the YAML's content); unknown label ids are an error."""
    labels = data.get("labels") or {}
    unknown = set(labels) - set(LABELS) | set(data["names"]["subjects"]) - set(LABELS)
    if unknown:
        raise ValueError(f"rules.yml: unknown label ids {sorted(unknown)}")
    names, relevance = data["names"], data.get("relevance") or {}
    cues = {lab: tuple(_cue(c) for c in spec.get("cues") or ()) for lab, spec in labels.items()}
    return Rules(
        threshold=float(data.get("threshold", 1.0)),
        masks=tuple(re.compile(p) for p in data.get("masks") or ()),
        cues=cues,
        suppressed_by={lab: tuple(spec.get("suppressed_by") or ()) for lab, spec in labels.items()},
        suppressed_in={lab: re.compile(spec["suppressed_in"]) for lab, spec in labels.items()
                       if spec.get("suppressed_in")},
        relevant=re.compile(relevance.get("strong") or "."), related=re.compile(relevance.get("weak") or "(?!)"),
        related_needed=int(relevance.get("weak_needed", 3)),
        doc_before=re.compile(f"({names['document_verbs_before']})了?[^。；;，,]{{0,12}}$"),
        doc_after=re.compile(names["document_verbs_after"]),
        events=re.compile(names["events"]),
        name_starts=re.compile(names["name_starts"]),
        subjects=re.compile("|".join(f"(?P<{lab}>{p})" for lab, p in names["subjects"].items()) or "(?!)"),
    )


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_PATH) -> Rules:
    """The compiled rules, read once per process."""
    return parse_rules(safe_load(path.read_text(encoding="utf-8")))


class _Text:
    """Normalised text with clause boundaries (found on first use), for clause-level conditions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._ends: list[int] | None = None

    @property
    def ends(self) -> list[int]:
        if self._ends is None:
            self._ends = [m.start() for m in _CLAUSE_END.finditer(self.text)]
        return self._ends

    def clause_start(self, pos: int) -> int:
        ends = self.ends
        i = bisect.bisect_left(ends, pos)
        return ends[i - 1] + 1 if i > 0 else 0

    def clause(self, start: int, end: int) -> str:
        ends = self.ends
        i, j = bisect.bisect_left(ends, start), bisect.bisect_left(ends, end)
        lo = ends[i - 1] + 1 if i > 0 else 0
        return self.text[lo:ends[j] if j < len(ends) else len(self.text)]


@lru_cache(maxsize=8)
def strip_glosses(text: str) -> str:
    """The text without pinyin glosses, so that 网(wǎng)络(luò)安全 matches 网络安全.

    Cached: the classifier and the label model strip the same item's text in turn.
    """
    return _GLOSS.sub("", text) if "(" in text else text


def _mask(text: str, rules: Rules) -> str:
    for pattern in rules.masks:
        text = pattern.sub(lambda m: "□" * len(m.group(0)), text)
    return text


def _score(cues: tuple[Cue, ...], part: _Text, heading_end: int) -> tuple[float, list[str]]:
    """Summed weights and matched cues; `heading_end` separates the heading from the body in `part`."""
    total, evidence, text = 0.0, [], part.text
    for cue in cues:
        if cue.conditional:
            found = [m.group() for m in cue.pattern.finditer(text) if cue.counts(m, part, heading_end)]
        else:
            found = [m.group() for m in cue.pattern.finditer(text)]
        if found:
            total += cue.weight * len(found)
            evidence += found
    return total, evidence


def _names(ctx: _Text, rules: Rules) -> list[str]:
    """Titles of issued documents (《…》 after 印发/发布 …) and of events named in the text."""
    text, found, last_end = ctx.text, [], -1
    for m in _DOC.finditer(text):
        chained = last_end >= 0 and text[last_end:m.start()].strip("、和及与") == ""
        before = text[max(0, m.start() - 30):m.start()]
        if chained or rules.doc_before.search(before) or rules.doc_after.match(text, m.end()):
            found.append(m.group(1))
            last_end = m.end()
    for m in rules.events.finditer(text):
        head = text[max(ctx.clause_start(m.start()), m.start() - 40):m.start()]
        starts = list(rules.name_starts.finditer(head))
        found.append((head[starts[-1].end():] if starts else head) + m.group(0))
    return found


def is_relevant(text: str, rules: Rules | None = None) -> bool:
    """Whether a text (matching form) is about informatization or cybersecurity at all."""
    rules = rules or load_rules()
    text = strip_glosses(text)
    if rules.relevant.search(text):
        return True
    return len({m.group(0).lower() for m in rules.related.finditer(text)}) >= rules.related_needed


def classify(title: str, text: str, rules: Rules | None = None) -> tuple[list[str], dict[str, list[str]]]:
    """Labels (in TAXONOMY order) and, per label, the cues that matched (default: rules.yml)."""
    return classify_normalized(for_matching(title or ""), for_matching(text or ""), rules)


def classify_normalized(heading: str, body: str,
                        rules: Rules | None = None) -> tuple[list[str], dict[str, list[str]]]:
    """classify() for text already in for_matching form (the caller normalises once per item)."""
    rules = rules or load_rules()
    heading = strip_glosses(heading)
    part = _Text(_mask(f"{heading}\n{strip_glosses(body)}", rules))
    evidence: dict[str, list[str]] = {}
    for label, cues in rules.cues.items():
        total, found = _score(cues, part, len(heading))
        if total >= rules.threshold:
            evidence[label] = found
    for name in _names(part, rules):
        for label in {m.lastgroup for m in rules.subjects.finditer(name)}:
            evidence.setdefault(label, []).append(f"名称:{name}")
    for label, over in rules.suppressed_by.items():
        if label in evidence and any(o in evidence for o in over):
            del evidence[label]
    for label, context in rules.suppressed_in.items():
        if label in evidence and context.search(part.text):
            del evidence[label]
    labels = [lab for lab in LABELS if lab in evidence]
    return labels, {lab: list(dict.fromkeys(evidence[lab])) for lab in labels}
