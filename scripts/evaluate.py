"""`make eval`: our NLU and bot against two peers on the held-out sets in eval/.

Models, all trained on the same data/ (never on eval/):
- ours: config.yml (full model, served with the real actions for end-to-end);
- default: Rasa's `rasa init` pipeline and policies (eval/configs/default.yml),
  with our domain, rules and actions;
- tfidf: scikit-learn TF-IDF (word 1-2 + char_wb 2-5 grams of the raw text) and
  LinearSVC on the data/nlu examples; no normalisation, no entities, no bot.

Rasa models are cached in eval/models/ under a hash of the training inputs, so
a rerun with unchanged data only evaluates. Evaluates on eval/messages.yml and,
with aggregate figures only, on the untouched eval/heldout.yml. Writes
docs/eval/report.md and docs/eval/confusion.png and prints a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import json
import logging
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import eval_metrics as em  # noqa: E402

BIN = ROOT / ".venv" / "bin"
MODELS = ROOT / "eval" / "models"
REPORT_DIR = ROOT / "docs" / "eval"
DEFAULT_CONFIG = ROOT / "eval" / "configs" / "default.yml"
# No Rasa training cache: honest training times, and the shared .rasa/cache is left alone.
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_MAX_CACHE_SIZE": "0"}
# Everything `rasa train` reads, besides the config (the Makefile's TRAINING_INPUTS).
TRAINING_INPUTS = ("domain.yml", "data/*.yml", "data/nlu/*.yml", "components/*.py")

# Held-out sets: (path, per-message output allowed). heldout.yml is kept untouched
# (no error analysis), so the report shows only its aggregate figures.
EVAL_SETS = ((ROOT / "eval" / "messages.yml", True), (ROOT / "eval" / "heldout.yml", False))

Parser = Callable[[Sequence[str]], list[em.Prediction]]
TFIDF = "in process (tfidf_peer): TfidfVectorizer word 1-2 + char_wb 2-5 grams, LinearSVC"


# --- training ---


def training_hash(config: pathlib.Path, nlu_only: bool = False, root: pathlib.Path = ROOT) -> str:
    """Hash of the config, the training inputs under `root` and the Rasa version."""
    import rasa

    digest = hashlib.sha256(f"{rasa.__version__} nlu_only={nlu_only}".encode())
    files = [config] + sorted(p for pattern in TRAINING_INPUTS for p in root.glob(pattern))
    for path in files:
        name = path.relative_to(root if path.is_relative_to(root) else ROOT)
        digest.update(str(name).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Trained:
    path: pathlib.Path | None
    seconds: float  # wall time of the `rasa train` run (when it was trained)
    reused: bool
    command: str


def train_rasa(
    config: pathlib.Path,
    name: str,
    nlu_only: bool = False,
    out: pathlib.Path = MODELS,
    force: bool = False,
    root: pathlib.Path = ROOT,
) -> Trained:
    """Trains `<out>/<name>-<hash>.tar.gz`, or reuses it if the inputs are unchanged.

    `root` holds the training data and components (a snapshot of the repo, say).
    """
    stem = f"{name}-{training_hash(config, nlu_only, root)}"
    model, meta = out / f"{stem}.tar.gz", out / f"{stem}.json"
    args = [str(BIN / "rasa"), "train"] + (["nlu", "--nlu", "data/nlu"] if nlu_only else [])
    args += ["--config", str(config), "--out", str(out), "--fixed-model-name", stem]
    if not nlu_only:
        args += ["--domain", "domain.yml", "--data", "data"]
    command = shown(args)
    if model.exists() and meta.exists() and not force:
        return Trained(model, json.loads(meta.read_text())["train_seconds"], True, command)
    out.mkdir(parents=True, exist_ok=True)
    print(f"training {name}: {command}", flush=True)
    log = out / f"{stem}.log"
    start = time.monotonic()
    with open(log, "wb") as f:
        result = subprocess.run(
            args, cwd=root, env=env_for(root), stdout=f, stderr=subprocess.STDOUT
        )
    seconds = round(time.monotonic() - start, 1)
    if result.returncode or not model.exists():
        raise RuntimeError(f"training {name} failed, see {log}")
    meta.write_text(json.dumps({"train_seconds": seconds, "command": command}))
    return Trained(model, seconds, False, command)


def env_for(root: pathlib.Path) -> dict[str, str]:
    """Subprocess environment: `root`'s components first, then this repo's (eval/…)."""
    return {**ENV, "PYTHONPATH": os.pathsep.join(dict.fromkeys([str(root), str(ROOT)]))}


def shown(args: Sequence[str]) -> str:
    """A command line as a user would type it in the repo root."""
    words = ["rasa" if a == str(BIN / "rasa") else a for a in args]
    return " ".join(
        str(pathlib.Path(w).relative_to(ROOT)) if pathlib.Path(w).is_relative_to(ROOT) else w
        for w in words
    )


def rasa_parser(model: pathlib.Path) -> Parser:
    """Parses texts in-process with a trained Rasa model (NLU pipeline only)."""
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)  # no debug line per parsed message
    agent = Agent.load(str(model))

    async def parse_all(texts: Sequence[str]) -> list[dict]:
        return [await agent.parse_message(text) for text in texts]

    def parse(texts: Sequence[str]) -> list[em.Prediction]:
        return [
            em.Prediction(
                r["intent"]["name"],
                r["intent"].get("confidence"),
                frozenset(e["value"] for e in r.get("entities", []) if e["entity"] == "os"),
            )
            for r in asyncio.run(parse_all(texts))
        ]

    return parse


def training_examples() -> list[tuple[str, str]]:
    """(text, intent) of every data/nlu example; the reader strips the entity markup."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(ROOT / "data" / "nlu")).intent_examples
    return [(e.get("text"), e.get("intent")) for e in examples]


def tfidf_peer(examples: list[tuple[str, str]]) -> tuple[Parser, float]:
    """TF-IDF + LinearSVC on the raw data/nlu examples (entity markup stripped)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    start = time.monotonic()
    texts, intents = zip(*examples, strict=True)
    model = make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LinearSVC(random_state=0),
    )
    model.fit(list(texts), list(intents))
    seconds = time.monotonic() - start

    def parse(batch: Sequence[str]) -> list[em.Prediction]:
        return [em.Prediction(str(i)) for i in model.predict(list(batch))]

    return parse, seconds


# --- end-to-end over REST ---


def post_json(url: str, body: dict, timeout: float = 60):
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def end_to_end(
    models: dict[str, pathlib.Path], messages: Sequence[em.Message], log_dir: pathlib.Path
) -> dict[str, list[tuple[em.Message, bool, set[str]]]]:
    """Sends every how-to message, from a new user each, to each served model."""
    from actions.content import load
    from tests import servers

    matcher = em.GuideMatcher.from_content(load())
    howto = [m for m in messages if m.guide]
    credentials = log_dir / "credentials.yml"
    credentials.write_text("rest:\n", encoding="utf-8")
    actions_port = servers.free_port()
    actions = servers.action_server(actions_port, log_dir)
    results = {}
    try:
        for name, model in models.items():
            (log_dir / name).mkdir()
            endpoints = servers.write_endpoints(log_dir / name / "endpoints.yml", actions_port)
            port = servers.free_port()
            args = [
                str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port),
                "--interface", "127.0.0.1", "--endpoints", str(endpoints),
                "--credentials", str(credentials),
            ]  # fmt: skip
            print(f"end-to-end: serving {name} on port {port}", flush=True)
            bot = servers.Service(f"rasa-{name}", args, log_dir, {"PYTHONPATH": str(ROOT)})
            bot.start(f"http://127.0.0.1:{port}/", timeout=300)
            try:
                url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
                rows = []
                for m in howto:
                    sender = f"eval-{name}-{uuid.uuid4().hex[:8]}"
                    replies = post_json(url, {"sender": sender, "message": m.text}) or []
                    found = matcher.detect(replies)
                    rows.append((m, found == {m.guide}, found))
                results[name] = rows
            finally:
                bot.stop()
    finally:
        actions.stop()
    return results


# --- report ---

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
        "`make eval` (or `.venv/bin/python scripts/evaluate.py`; `--no-e2e` skips the REST "
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-e2e", action="store_true", help="skip the REST end-to-end run")
    parser.add_argument("--out", type=pathlib.Path, default=REPORT_DIR)
    args = parser.parse_args(argv)
    command = "make eval" if os.environ.get("MAKELEVEL") else "python scripts/evaluate.py"
    command += " --no-e2e" if args.no_e2e else ""

    sets = [
        EvalSet(str(path.relative_to(ROOT)), em.load_messages(path), detailed)
        for path, detailed in EVAL_SETS
        if path.exists()
    ]
    examples = training_examples()
    tfidf, tfidf_seconds = tfidf_peer(examples)
    models = [
        Model("ours", "ours", train_rasa(ROOT / "config.yml", "ours")),
        Model("default", "rasa default", train_rasa(DEFAULT_CONFIG, "default")),
        Model("tfidf", "tf-idf", Trained(None, tfidf_seconds, False, TFIDF)),
    ]
    print("parsing the eval sets", flush=True)
    for m in models:
        parse = tfidf if m.name == "tfidf" else rasa_parser(m.trained.path)
        for s in sets:
            m.preds[s.name] = parse([x.text for x in s.messages])
    if not args.no_e2e:
        served = [m for m in models if m.name != "tfidf"]
        howto = [[x for x in s.messages if x.guide] for s in sets]
        with tempfile.TemporaryDirectory(prefix="vssid-eval-") as tmp:
            rows = end_to_end(
                {m.name: m.trained.path for m in served},
                [x for h in howto for x in h],
                pathlib.Path(tmp),
            )
        for m in served:
            start = 0
            for s, h in zip(sets, howto, strict=True):
                m.e2e[s.name] = rows[m.name][start : start + len(h)]
                start += len(h)

    args.out.mkdir(parents=True, exist_ok=True)
    detailed = next((s for s in sets if s.detailed), sets[0])
    write_confusion(args.out / "confusion.png", detailed, models[0].preds[detailed.name])
    text = report(sets, models, command, [t for t, _ in examples])
    (args.out / "report.md").write_text(text, encoding="utf-8")
    print(summary(sets, models))
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
