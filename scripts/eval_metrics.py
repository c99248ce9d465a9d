"""Pure parts of the evaluation: the eval sets and the NLU metrics.

No Rasa import here, so tests/test_evaluate.py runs in a blink. Predictions
are `Prediction`s; gold labels come from eval/*.yml (see eval/README.md). The
end-to-end scoring is in scripts/eval_e2e.py.
"""

from __future__ import annotations

import difflib
import pathlib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "eval" / "messages.yml"
CATEGORIES = ("accented", "no_diacritics", "abbreviation", "long", "english", "out_of_scope")
TYPING = ("telex", "vni")  # eval/typing.yml: raw keys of the two input methods
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
# What the bot does with these two: decline (out of scope) or ask "did you mean…".
REFUSED = frozenset({OUT_OF_SCOPE, FALLBACK})


@dataclass(frozen=True)
class Message:
    text: str
    intent: str
    category: str
    os: str | None = None
    guide: str | None = None


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float | None = None
    os: frozenset[str] = field(default_factory=frozenset)  # `os` entity values found


def load_messages(path: pathlib.Path = EVAL_SET) -> list[Message]:
    with open(path, encoding="utf-8") as f:
        entries = yaml.safe_load(f)["messages"]
    return [
        Message(
            unicodedata.normalize("NFC", e["text"]),
            e["intent"],
            e["category"],
            e.get("os"),
            e.get("guide"),
        )
        for e in entries
    ]


def categories(messages: Iterable[Message]) -> list[str]:
    """The categories present, in the order of CATEGORIES and TYPING, then others sorted."""
    present = {m.category for m in messages}
    known = [c for c in (*CATEGORIES, *TYPING) if c in present]
    return known + sorted(present - set(known))


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0


def f1_by_label(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """F1 of every gold label; a prediction outside the gold labels is just an error."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred, strict=True):
        if g == p:
            tp[g] += 1
        else:
            fn[g] += 1
            fp[p] += 1
    return {label: _f1(tp[label], fp[label], fn[label]) for label in sorted(set(gold))}


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Unweighted mean F1 over the labels present in `gold`."""
    scores = f1_by_label(gold, pred)
    return sum(scores.values()) / len(scores) if scores else 0.0


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@dataclass(frozen=True)
class Scores:
    n: int
    accuracy: float
    macro_f1: float


def intent_scores(messages: Sequence[Message], preds: Sequence[Prediction]) -> dict[str, Scores]:
    """Intent accuracy and macro F1 overall ("all") and per category."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(messages):
        groups["all"].append(i)
        groups[m.category].append(i)
    out = {}
    for name in ("all", *categories(messages)):
        if name in groups:
            gold = [messages[i].intent for i in groups[name]]
            pred = [preds[i].intent for i in groups[name]]
            out[name] = Scores(len(gold), accuracy(gold, pred), macro_f1(gold, pred))
    return out


@dataclass(frozen=True)
class EntityScores:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return _f1(self.tp, self.fp, self.fn)


def os_scores(messages: Sequence[Message], preds: Sequence[Prediction]) -> EntityScores:
    """Micro P/R/F1 of the `os` value per message (a value found twice counts once)."""
    tp = fp = fn = 0
    for m, p in zip(messages, preds, strict=True):
        gold = {m.os} if m.os else set()
        tp += len(gold & p.os)
        fp += len(p.os - gold)
        fn += len(gold - p.os)
    return EntityScores(tp, fp, fn)


@dataclass(frozen=True)
class Refusals:
    oos_n: int
    oos_recall: float  # out-of-scope messages the bot declines or asks to rephrase
    oos_recall_strict: float  # … predicted exactly out_of_scope
    in_scope_n: int
    wrongly_refused: float  # in-scope messages predicted out_of_scope or nlu_fallback


def refusals(messages: Sequence[Message], preds: Sequence[Prediction]) -> Refusals:
    oos = [p.intent for m, p in zip(messages, preds, strict=True) if m.intent == OUT_OF_SCOPE]
    ins = [p.intent for m, p in zip(messages, preds, strict=True) if m.intent != OUT_OF_SCOPE]

    def share(items: list[str], labels: Iterable[str]) -> float:
        labels = set(labels)
        return sum(i in labels for i in items) / len(items) if items else 0.0

    return Refusals(
        len(oos), share(oos, REFUSED), share(oos, {OUT_OF_SCOPE}), len(ins), share(ins, REFUSED)
    )


def confusion(gold: Sequence[str], pred: Sequence[str]) -> tuple[list[str], list[list[int]]]:
    """Labels (gold ones first, then predicted-only ones) and counts[gold][pred]."""
    labels = sorted(set(gold)) + sorted(set(pred) - set(gold))
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        counts[index[g]][index[p]] += 1
    return labels, counts


# --- leakage: eval messages that (nearly) appear in the training data ---


def overlaps(
    train_texts: Iterable[str], messages: Sequence[Message], cutoff: float = 0.9
) -> list[tuple[Message, str, float]]:
    """(eval message, closest training text, similarity) for every eval message whose
    normalised text (folded, abbreviations expanded) is at least `cutoff` similar to a
    training example's."""
    from components.normalize import normalize_text  # the repo's, imported when needed

    by_norm = {normalize_text(t): t for t in train_texts}
    found = []
    for m in messages:
        text = normalize_text(m.text)
        close = difflib.get_close_matches(text, by_norm, n=1, cutoff=cutoff)
        if close:
            ratio = difflib.SequenceMatcher(None, text, close[0]).ratio()
            found.append((m, by_norm[close[0]], ratio))
    return found
