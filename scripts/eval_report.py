"""make eval's report: docs/eval/report.md and the confusion matrix."""

from __future__ import annotations

import datetime
import pathlib
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from scripts import eval_metrics as em
from scripts.eval_training import Trained
from scripts.harness import ROOT

E2ERow = tuple[em.Message, bool, set[str]]  # message, right, guides the bot showed


@dataclass
class Model:
    name: str
    label: str
    trained: Trained
    preds: dict[str, list[em.Prediction]] = field(default_factory=dict)  # per eval set
    e2e: dict[str, list[E2ERow]] = field(default_factory=dict)  # per eval set, if served

    def has_entities(self) -> bool:
        return self.name != "tfidf"


@dataclass(frozen=True)
class EvalSet:
    name: str  # path relative to the repo
    messages: list[em.Message]
    detailed: bool  # per-message output allowed; the untouched set gets aggregates only


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def esc(text: str) -> str:
    return text.replace("|", "\\|")


def e2e_share(model: Model, s: EvalSet) -> float | None:
    rows = model.e2e.get(s.name)
    return em.e2e_by_guide((m, ok) for m, ok, _ in rows)["all"][1] if rows else None


def targets(s: EvalSet, models: list[Model]) -> list[tuple[str, str, bool]]:
    """(target, our value, pass) for our model (models[0]): the issue's targets."""
    ours, peers = models[0], models[1:]
    scores = em.intent_scores(s.messages, ours.preds[s.name])
    ref = em.refusals(s.messages, ours.preds[s.name])
    e2e = e2e_share(ours, s)
    rows = [
        ("intent accuracy ≥ 97%", pct(scores["all"].accuracy), scores["all"].accuracy >= 0.97),
        *(
            (f"{c} accuracy ≥ 95%", pct(scores[c].accuracy), scores[c].accuracy >= 0.95)
            for c in ("no_diacritics", "abbreviation")
        ),
        ("end-to-end ≥ 97%", pct(e2e), e2e is not None and e2e >= 0.97),
        ("out-of-scope recall ≥ 90%", pct(ref.oos_recall), ref.oos_recall >= 0.90),
        ("in-scope wrongly refused ≤ 2%", pct(ref.wrongly_refused), ref.wrongly_refused <= 0.02),
    ]
    for peer in peers:
        # "Ahead" = higher accuracy; a tie counts only where both are at 100%.
        theirs = em.intent_scores(s.messages, peer.preds[s.name])
        behind = [c for c in em.CATEGORIES if theirs[c].accuracy > scores[c].accuracy]
        tied = [c for c in em.CATEGORIES if theirs[c].accuracy == scores[c].accuracy < 1]
        value = "; ".join(
            f"{what}: {', '.join(cats)}"
            for what, cats in (("behind", behind), ("tied", tied))
            if cats
        )
        rows.append((f"ahead of {peer.label} in every category", value or "ahead", not value))
    return rows


def summary_table(s: EvalSet, models: list[Model]) -> list[str]:
    rows = []
    for m in models:
        preds = m.preds[s.name]
        scores, ref = em.intent_scores(s.messages, preds)["all"], em.refusals(s.messages, preds)
        os_f1 = em.os_scores(s.messages, preds).f1 if m.has_entities() else None
        trained = f"{m.trained.seconds:.0f} s" + (" (cached model)" if m.trained.reused else "")
        rows.append(
            (m.label, pct(scores.accuracy), pct(scores.macro_f1), pct(os_f1))
            + (pct(ref.oos_recall), pct(ref.wrongly_refused), pct(e2e_share(m, s)), trained)
        )
    header = ["model", "intent accuracy", "macro F1", "os F1", "OOS recall"]
    return table(header + ["in-scope refused", "end-to-end", "training"], rows)


def category_table(s: EvalSet, models: list[Model]) -> list[str]:
    scores = {m.name: em.intent_scores(s.messages, m.preds[s.name]) for m in models}
    rows = []
    for c in ("all", *em.CATEGORIES):
        best = max(scores[m.name][c].accuracy for m in models)
        cells = []
        for m in models:
            x = scores[m.name][c]
            cell = f"{pct(x.accuracy)} / {pct(x.macro_f1)}"
            cells.append(f"**{cell}**" if x.accuracy == best else cell)
        rows.append((c, scores[models[0].name][c].n, *cells))
    return table(["category", "n"] + [m.label for m in models], rows) + [
        "",
        "Intent accuracy / macro F1; best accuracy in bold.",
    ]


def e2e_table(s: EvalSet, models: list[Model]) -> list[str]:
    served = [m for m in models if m.e2e.get(s.name)]
    if not served:
        return ["End-to-end not run (`--no-e2e`)."]
    by = {m.name: em.e2e_by_guide((x, ok) for x, ok, _ in m.e2e[s.name]) for m in served}
    first = by[served[0].name]
    rows = [(k, n, *(pct(by[m.name][k][1]) for m in served)) for k, (n, _) in first.items()]
    return table(["expected guide", "n"] + [m.label for m in served], rows)


def details(s: EvalSet, models: list[Model]) -> list[str]:
    """Per-intent F1, os entity and refusals (aggregates, but finer-grained)."""
    gold = [m.intent for m in s.messages]
    f1s = {m.name: em.f1_by_label(gold, [p.intent for p in m.preds[s.name]]) for m in models}
    support = {i: gold.count(i) for i in sorted(set(gold))}
    rows = [(i, n, *(pct(f1s[m.name][i]) for m in models)) for i, n in support.items()]
    out = ["### Intent F1 per intent", ""]
    out += table(["intent", "n"] + [m.label for m in models], rows)
    rows = []
    for m in models:
        preds = m.preds[s.name]
        ref = em.refusals(s.messages, preds)
        e = em.os_scores(s.messages, preds)
        ent = (pct(e.precision), pct(e.recall), pct(e.f1)) if m.has_entities() else ("n/a",) * 3
        rows.append((m.label, *ent, pct(ref.oos_recall), pct(ref.oos_recall_strict)))
    out += ["", "### os entity and out-of-scope", ""]
    header = ["model", "os precision", "os recall", "os F1", "OOS recall"]
    return out + table(header + ["OOS recall (exactly out_of_scope)"], rows)


def overlap(s: EvalSet, models: list[Model], train_texts: list[str]) -> list[str]:
    """Eval messages that nearly repeat a training example, and accuracy without them."""
    found = em.overlaps(train_texts, s.messages)
    near = {m for m, _, _ in found}
    exact = {m for m, _, r in found if r == 1}
    fresh = [i for i, m in enumerate(s.messages) if m not in near]
    gold = [s.messages[i].intent for i in fresh]
    per_category = ", ".join(
        f"{c} {sum(m.category == c for m in near)} ({sum(m.category == c for m in exact)})"
        for c in em.CATEGORIES
    )
    out = [
        f"`{s.name}`: {len(near)} of {len(s.messages)} messages have a near-duplicate, "
        f"{len(exact)} an identical one (per category: {per_category}). Accuracy on the "
        f"{len(fresh)} others: "
        + ", ".join(
            f"{m.label} {pct(em.accuracy(gold, [m.preds[s.name][i].intent for i in fresh]))}"
            for m in models
        )
        + ".",
    ]
    longer = [(m, t, r) for m, t, r in found if len(m.text.split()) >= 4]
    if s.detailed and longer:
        out += ["", f"Near-duplicates of four words or more ({len(longer)}):", ""]
        rows = [(f"{r:.2f}", esc(m.text), esc(t)) for m, t, r in longer]
        out += table(["similarity", "eval message", "training example"], rows)
    return out


def errors(s: EvalSet, ours: Model) -> list[str]:
    rows = [
        (m.category, m.intent, p.intent, "" if p.confidence is None else f"{p.confidence:.2f}")
        + (esc(m.text),)
        for m, p in zip(s.messages, ours.preds[s.name], strict=True)
        if m.intent != p.intent
    ]
    out = table(["category", "expected", "predicted", "conf.", "text"], rows) if rows else []
    wrong = [(m, found) for m, ok, found in ours.e2e.get(s.name, []) if not ok]
    if wrong:
        out += ["", f"End-to-end failures ({len(wrong)}):", ""]
        rows = [(m.guide, ", ".join(sorted(f)) or "(no guide)", esc(m.text)) for m, f in wrong]
        out += table(["expected guide", "bot showed", "text"], rows)
    return out


def write_confusion(path: pathlib.Path, s: EvalSet, preds: list[em.Prediction]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, counts = em.confusion([m.intent for m in s.messages], [p.intent for p in preds])
    fig, ax = plt.subplots(figsize=(12, 10.5))
    ax.imshow([[min(c, 10) for c in row] for row in counts], cmap="Blues")
    for i, row in enumerate(counts):
        for j, c in enumerate(row):
            if c:
                color = "white" if c >= 6 else ("red" if i != j else "black")
                ax.text(j, i, c, ha="center", va="center", color=color, fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("expected intent")
    ax.set_title(f"Our model on {s.name} ({len(s.messages)} messages); errors in red")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def versions() -> str:
    from importlib.metadata import version

    names = ("rasa", "rasa-sdk", "scikit-learn", "tensorflow")
    parts = [f"Python {platform.python_version()}"] + [f"{n} {version(n)}" for n in names]
    inputs = ["config.yml", "domain.yml", "data", "components", "actions", "eval"]
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", *inputs)
    state = " (plus uncommitted changes to the data, bot or eval set)" if dirty else ""
    return ", ".join(parts) + f"; repository at commit {git('rev-parse', '--short', 'HEAD')}{state}"


MODELS_TEXT = [
    "- **ours**: `config.yml` (Vietnamese normalising tokenizer, TF-IDF word and char n-grams "
    "of the normalised and the original text, logistic regression, regex `os` extractor), "
    "served with our domain, rules and actions;",
    "- **rasa default**: the `rasa init` pipeline and policies (`eval/configs/default.yml`: "
    "WhitespaceTokenizer, DIETClassifier, …, language `vi`) with our domain, rules and actions;",
    "- **tf-idf**: scikit-learn TF-IDF (word 1-2 and char_wb 2-5 grams of the raw text) and "
    "LinearSVC on the `data/nlu` examples; no normalisation, no entities, no bot.",
]

DEFINITIONS = (
    "Intent accuracy is exact (`nlu_fallback` is always wrong); macro F1 averages the F1 of "
    "the intents present in the (sub)set. os F1: micro P/R/F1 of the `os` value per message. "
    "OOS recall: share of the out-of-scope messages predicted `out_of_scope` or "
    "`nlu_fallback` (the bot declines or asks to rephrase instead of showing a guide); "
    "in-scope refused: share of the other messages predicted either. End-to-end: each "
    "how-to message (with a `guide`) is sent by a new user over REST to the running bot "
    "(`rasa run` and the real action server) and counts as right when the replies show the "
    "expected guide and no other: its title (register: both titles), the platform question "
    "for `install` without a platform, the whole text of a text topic (from "
    "`actions/content.yml`). Ahead of a peer: higher intent accuracy in each of the six "
    "categories (a tie counts only where both are at 100%). Near-duplicate: at least 90% "
    "similar to a `data/nlu` example once both are normalised (diacritics folded, "
    'abbreviations expanded); short replies ("tiếp", "menu") overlap naturally, longer '
    "ones should not."
)


def report(sets: list[EvalSet], models: list[Model], command: str, train: list[str]) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# NLU and end-to-end evaluation", "", f"Generated by `{command}` on {now}. "]
    out[-1] += f"{versions()}.\n\nAll models are trained on the same `data/`, never on `eval/`:"
    out += ["", *MODELS_TEXT, "", "Evaluation sets:", ""]
    for s in sets:
        counts = ", ".join(f"{c} {sum(m.category == c for m in s.messages)}" for c in em.CATEGORIES)
        role = "error analysis below" if s.detailed else "untouched: aggregate figures only"
        out.append(f"- `{s.name}`: {len(s.messages)} messages ({counts}); {role}.")
    out += ["", "## Targets (our model)", ""]
    rows = [[t] for t, _, _ in targets(sets[0], models)]
    for s in sets:
        for row, (_, value, ok) in zip(rows, targets(s, models), strict=True):
            row.append(f"{value} ({'pass' if ok else '**fail**'})")
    out += table(["target", *(f"`{s.name}`" for s in sets)], rows)
    out += ["", DEFINITIONS]
    for s in sets:
        out += ["", f"## `{s.name}`", "", "### Summary", "", *summary_table(s, models)]
        out += ["", "### Per category", "", *category_table(s, models)]
        out += ["", "### End-to-end per expected guide", "", *e2e_table(s, models)]
        if s.detailed:
            out += ["", *details(s, models)]
    out += ["", "## Overlap with the training data", ""]
    for s in sets:
        out += [*overlap(s, models, train), ""]
    detailed = next((s for s in sets if s.detailed), None)
    if detailed:
        out += [f"## Our model on `{detailed.name}`: confusion matrix and errors", ""]
        out += ["![confusion matrix](confusion.png)", ""]
        out += [
            "For the data owner: these show which kinds of message fail. Do not copy them "
            "into `data/` (it makes this evaluation meaningless; see the overlap section); "
            "write new, different examples of the same kind.",
            "",
            *errors(detailed, models[0]),
            "",
        ]
    out += [
        "## Reproduce",
        "",
        "`make eval` (or `.venv/bin/python -m scripts.evaluate`; `--no-e2e` skips the REST "
        "run). Rasa models are cached in `eval/models/` under a hash of the config, "
        "`domain.yml`, `data/` and `components/`, and retrained only when one of them "
        "changes; training times are the wall time of the run that trained them, without "
        "Rasa's training cache. Training:",
        "",
        *(f"- {m.label}: `{m.trained.command}`" for m in models),
    ]
    return "\n".join(out) + "\n"


def summary(sets: list[EvalSet], models: list[Model]) -> str:
    lines = []
    for s in sets:
        lines.append(f"{s.name}:")
        for m in models:
            scores = em.intent_scores(s.messages, m.preds[s.name])
            ref = em.refusals(s.messages, m.preds[s.name])
            cats = " ".join(f"{c}={pct(scores[c].accuracy)}" for c in em.CATEGORIES)
            lines.append(
                f"  {m.label:13} acc={pct(scores['all'].accuracy)} "
                f"macroF1={pct(scores['all'].macro_f1)} e2e={pct(e2e_share(m, s))} "
                f"oos={pct(ref.oos_recall)} refused={pct(ref.wrongly_refused)} | {cats}"
            )
        lines += [f"  {'pass' if ok else 'FAIL'}  {t}: {v}" for t, v, ok in targets(s, models)]
    return "\n".join(lines)
