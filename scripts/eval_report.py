"""make eval's report: docs/eval/report.md and the confusion matrix.

The targets, the README table and the printed summary are in scripts/eval_targets.py.
"""

from __future__ import annotations

import datetime
import pathlib
import platform
import subprocess

from scripts import eval_e2e as e2e
from scripts import eval_metrics as em
from scripts.eval_targets import (
    EvalSet,
    Model,
    gaps,
    outcome_text,
    pct,
    readme_table,
    summary,
    table,
    target_table,
)
from scripts.harness import ROOT

__all__ = ["EvalSet", "Model", "report", "summary", "write_confusion"]


def esc(text: str) -> str:
    return text.replace("|", "\\|")


def summary_table(s: EvalSet, models: list[Model]) -> list[str]:
    rows = []
    for m in models:
        preds = m.preds[s.name]
        scores, ref = em.intent_scores(s.messages, preds)["all"], em.refusals(s.messages, preds)
        os_f1 = em.os_scores(s.messages, preds).f1 if m.has_entities() else None
        rows_e2e = m.e2e.get(s.name)
        right = e2e.right_covered(rows_e2e) if rows_e2e else None
        wrong = e2e.wrong_share(rows_e2e) if rows_e2e else None
        trained = f"{m.trained.seconds:.0f} s" + (" (cached model)" if m.trained.reused else "")
        rows.append(
            (m.label, pct(scores.accuracy), pct(scores.macro_f1), pct(os_f1))
            + (pct(ref.oos_recall), pct(ref.wrongly_refused), pct(right), pct(wrong), trained)
        )
    header = ["model", "intent accuracy", "macro F1", "os F1", "OOS recall", "in-scope refused"]
    return table(header + ["e2e right (topics covered)", "e2e wrong", "training"], rows)


def category_table(s: EvalSet, models: list[Model]) -> list[str]:
    scores = {m.name: em.intent_scores(s.messages, m.preds[s.name]) for m in models}
    rows = []
    for c in ("all", *em.categories(s.messages)):
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


def outcome_table(s: EvalSet, models: list[Model], by: str) -> list[str]:
    """Outcome shares per category (`by` "category") or per expected answer ("answer")."""
    served = [m for m in models if m.e2e.get(s.name)]
    if not served:
        return ["End-to-end not run (`--no-e2e`)."]

    def group(x: em.Message) -> str:
        return x.category if by == "category" else e2e.expected_key(x)

    tallies = {m.name: e2e.tally(m.e2e[s.name], group) for m in served}
    first = tallies[served[0].name]
    keys = list(first)
    if by == "category":
        keys = ["all"] + [c for c in em.categories(s.messages) if c in first]
    rows = [
        (k, sum(first[k].values()), *(outcome_text(tallies[m.name][k]) for m in served))
        for k in keys
    ]
    header = ["category" if by == "category" else "expected answer", "n"]
    return table(header + [f"{m.label}: right / abstained / wrong / other %" for m in served], rows)


def unlabelled_wrongs(s: EvalSet, models: list[Model]) -> list[str]:
    """Wrong answers that show a topic none of the set's messages expects: a set
    labelled before that topic existed may expect an older topic there."""
    labels = {e2e.expected_key(m) for m in s.messages} - {None}
    counts = []
    for m in models:
        rows = m.e2e.get(s.name)
        if rows:
            wrong = [r for _, r in rows if r.outcome == e2e.WRONG]
            newer = [r for r in wrong if r.found - labels - set(e2e.ABSTAINING)]
            topics = sorted({k for r in newer for k in r.found - labels - set(e2e.ABSTAINING)})
            shown = f" ({', '.join(topics)})" if topics else ""
            counts.append(f"{m.label} {len(newer)} of {len(wrong)}{shown}")
    if not counts:
        return []
    return [
        "Wrong answers showing a topic that no message of this set expects: "
        + "; ".join(counts)
        + ". A set written before a topic existed may label such messages with an older one."
    ]


def per_intent(s: EvalSet, models: list[Model]) -> list[str]:
    gold = [m.intent for m in s.messages]
    f1s = {m.name: em.f1_by_label(gold, [p.intent for p in m.preds[s.name]]) for m in models}
    support = {i: gold.count(i) for i in sorted(set(gold))}
    rows = [(i, n, *(pct(f1s[m.name][i]) for m in models)) for i, n in support.items()]
    header = ["intent", "n"] + [m.label for m in models]
    return ["### Intent F1 per intent", "", *table(header, rows)]


def entity_table(s: EvalSet, models: list[Model]) -> list[str]:
    rows = []
    for m in models:
        preds = m.preds[s.name]
        ref = em.refusals(s.messages, preds)
        e = em.os_scores(s.messages, preds)
        ent = (pct(e.precision), pct(e.recall), pct(e.f1)) if m.has_entities() else ("n/a",) * 3
        rows.append((m.label, *ent, pct(ref.oos_recall), pct(ref.oos_recall_strict)))
    out = ["### os entity and out-of-scope", ""]
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
        for c in em.categories(s.messages)
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
    missed = [(m, r) for m, r in ours.e2e.get(s.name, []) if r.outcome != e2e.RIGHT]
    if missed:
        out += ["", f"End-to-end, not right ({len(missed)}):", ""]
        rows = [
            (e2e.expected_key(m), r.outcome, ", ".join(sorted(r.found)) or "(nothing known)")
            + ("yes" if r.steps else "", esc(m.text))
            for m, r in missed
        ]
        out += table(["expected", "outcome", "bot showed", "steps", "text"], rows)
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
    inputs = ["config.yml", "domain.yml", "data", "components", "actions", "content", "eval"]
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", *inputs)
    state = " (plus uncommitted changes to the data, bot, content or eval sets)" if dirty else ""
    return ", ".join(parts) + f"; repository at commit {git('rev-parse', '--short', 'HEAD')}{state}"


MODELS_TEXT = [
    "- **ours**: `config.yml` (Telex/VNI decoding and Vietnamese normalising tokenizer, TF-IDF "
    "word and char n-grams of the normalised and the original text, logistic regression, "
    "regex `os` extractor), served with our domain, rules, actions and content;",
    "- **rasa default**: the `rasa init` pipeline and policies (`eval/configs/default.yml`: "
    "WhitespaceTokenizer, DIETClassifier, …, language `vi`) with our domain, rules and actions;",
    "- **tf-idf**: scikit-learn TF-IDF (word 1-2 and char_wb 2-5 grams of the raw text) and "
    "LinearSVC on the `data/nlu` examples; no normalisation, no entities, no bot.",
]

DEFINITIONS = (
    "Intent accuracy is exact (`nlu_fallback` is always wrong); macro F1 averages the F1 of "
    "the intents present in the (sub)set; os F1: micro P/R/F1 of the `os` value per message. "
    "OOS recall: share of the out-of-scope messages predicted `out_of_scope` or "
    "`nlu_fallback`; in-scope refused: share of the other messages predicted either.\n\n"
    "**End-to-end**: every message with a `guide`, and every out-of-scope message, is sent "
    "by a new user over REST (the project's `connectors.rest.RestInput`, `rasa run` with the "
    "add-ons, the real action server) and its replies are scored from `content/content.yml` "
    "(`scripts/eval_e2e.py`). A topic's answer is recognised by its text, its question "
    "(`ask`, `ask_os`) or one of its guide titles; the decline is `out_of_scope`. "
    "**Wrong**: the replies hold another topic's answer, or a step list that is not the "
    "expected topic's, or any step list for an out-of-scope message. **Right**: else the "
    "expected answer (for a topic with routes or a platform question, its own question; for "
    "`ask_other_service`, its near-miss answer; for out-of-scope, the decline). "
    "**Abstained**: else an honest refusal or a question back naming no topic's steps "
    "(`out_of_scope_vssid`, `did_you_mean`, `did_you_mean_none`, `still_unclear`, the menu, "
    "the other-service answer or the decline when a topic was expected, the platform "
    "question when a platform was named). **Other**: none of these (small talk, no reply). "
    "Small talk and step commands have no expected answer and are not sent. *e2e right "
    "(topics covered)* counts only messages expecting a topic the content answers itself "
    "(not out-of-scope, not `ask_other_service`); *e2e wrong* counts all sent messages.\n\n"
    "Ahead of a peer (issue 10): higher overall intent accuracy, and for the served peer "
    "higher e2e right. Ahead in every category (earlier target): higher accuracy in each "
    "category (a tie counts only where both are at 100%). Telex/VNI (issue 11) are compared "
    "with the no_diacritics messages of the other three sets together. Near-duplicate: at "
    "least 90% similar to a `data/nlu` example once both are normalised."
)


def report(sets: list[EvalSet], models: list[Model], command: str, train: list[str]) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# NLU and end-to-end evaluation", "", f"Generated by `{command}` on {now}. "]
    out[-1] += f"{versions()}.\n\nAll models are trained on the same `data/`, never on `eval/`:"
    out += ["", *MODELS_TEXT, "", "Evaluation sets:", ""]
    for s in sets:
        cats = ", ".join(
            f"{c} {sum(m.category == c for m in s.messages)}" for c in em.categories(s.messages)
        )
        role = "error analysis below" if s.detailed else "held out: aggregate figures only"
        out.append(f"- `{s.name}`: {len(s.messages)} messages ({cats}); {role}.")
    out += ["", "## Targets (our model)", "", *target_table(sets, models), "", *gaps(sets, models)]
    out += ["", DEFINITIONS]
    out += ["", "## README table", "", *readme_table(sets, models)]
    for s in sets:
        out += ["", f"## `{s.name}`", "", "### Summary", "", *summary_table(s, models)]
        out += ["", "### Per category", "", *category_table(s, models)]
        out += ["", "### End-to-end per category", "", *outcome_table(s, models, "category")]
        out += ["", "### End-to-end per expected answer", "", *outcome_table(s, models, "answer")]
        out += ["", *unlabelled_wrongs(s, models)]
        if s.per_intent:
            out += ["", *per_intent(s, models)]
        if s.detailed:
            out += ["", *entity_table(s, models)]
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
