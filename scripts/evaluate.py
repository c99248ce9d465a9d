"""`make eval`: our NLU and bot against two peers on the held-out eval/messages.yml.

Models, all trained on the same data/ (never on eval/):
- ours: config.yml (full model, served with the real actions for end-to-end);
- default: Rasa's `rasa init` pipeline and policies (eval/configs/default.yml),
  with our domain, rules and actions;
- tfidf: scikit-learn TF-IDF (word 1-2 + char_wb 2-5 grams of the raw text) and
  LinearSVC on the data/nlu examples; no normalisation, no entities, no bot.

Rasa models are cached in eval/models/ under a hash of the training inputs, so
a rerun with unchanged data only evaluates. Writes docs/eval/report.md and
docs/eval/confusion.png and prints a summary.
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
from dataclasses import dataclass

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

TARGETS = {"accuracy": 0.97, "no_diacritics": 0.95, "abbreviation": 0.95, "e2e": 0.97}
TARGET_OOS_RECALL, TARGET_WRONGLY_REFUSED = 0.90, 0.02

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


@dataclass
class ModelResult:
    name: str
    label: str
    preds: list[em.Prediction]
    trained: Trained
    e2e: list[tuple[em.Message, bool, set[str]]] | None = None

    def has_entities(self) -> bool:
        return self.name != "tfidf"


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def e2e_share(r: ModelResult) -> float | None:
    return em.e2e_by_guide((m, ok) for m, ok, _ in r.e2e)["all"][1] if r.e2e else None


def targets(messages: Sequence[em.Message], results: list[ModelResult]) -> list[tuple]:
    """(target, our value, pass) rows for our model (results[0]): the issue's targets."""
    ours, peers = results[0], results[1:]
    s = em.intent_scores(messages, ours.preds)
    ref = em.refusals(messages, ours.preds)
    e2e = e2e_share(ours)
    rows = [
        ("intent accuracy ≥ 97%", pct(s["all"].accuracy), s["all"].accuracy >= 0.97),
        *(
            (f"{c} accuracy ≥ 95%", pct(s[c].accuracy), s[c].accuracy >= 0.95)
            for c in ("no_diacritics", "abbreviation")
        ),
        ("end-to-end ≥ 97%", pct(e2e), e2e is not None and e2e >= 0.97),
        ("out-of-scope recall ≥ 90%", pct(ref.oos_recall), ref.oos_recall >= 0.90),
        ("in-scope wrongly refused ≤ 2%", pct(ref.wrongly_refused), ref.wrongly_refused <= 0.02),
    ]
    for peer in peers:
        # "Ahead" = higher accuracy; a tie counts only where both are at 100%.
        ps = em.intent_scores(messages, peer.preds)
        behind = [c for c in em.CATEGORIES if ps[c].accuracy > s[c].accuracy]
        tied = [c for c in em.CATEGORIES if ps[c].accuracy == s[c].accuracy < 1]
        value = "; ".join(
            f"{what} in {', '.join(cats)}"
            for what, cats in (("behind", behind), ("tied", tied))
            if cats
        )
        ok = not behind and not tied
        rows.append((f"ahead of {peer.label} in every category", value or "ahead", ok))
    return rows


def write_confusion(path: pathlib.Path, messages: Sequence[em.Message], preds) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, counts = em.confusion([m.intent for m in messages], [p.intent for p in preds])
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
    ax.set_title(f"Our model on eval/messages.yml ({len(messages)} messages); errors in red")
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
    inputs = ["config.yml", "domain.yml", "data", "components", "actions", "eval/configs"]
    dirty = git("status", "--porcelain", "--", *inputs)
    state = " (with uncommitted changes to the training data or bot)" if dirty else ""
    return ", ".join(parts) + f"; repository at commit {git('rev-parse', '--short', 'HEAD')}{state}"


def overlap_section(
    messages: list[em.Message], results: list[ModelResult], train_texts: list[str]
) -> list[str]:
    """How many eval messages nearly repeat a training example, and accuracy without them."""
    found = em.overlaps(train_texts, messages)
    near = {m for m, _, _ in found}
    exact = {m for m, _, r in found if r == 1}
    fresh = [i for i, m in enumerate(messages) if m not in near]
    out = [
        "",
        "## Overlap with the training data",
        "",
        f"{len(near)} of {len(messages)} eval messages are at least 90% similar to a "
        f"`data/nlu` example once both are normalised (diacritics folded, abbreviations "
        f'expanded), {len(exact)} of them identical. Short replies ("tiếp", "menu", '
        '"cảm ơn") overlap naturally; longer ones should not, and copying eval messages '
        "into `data/` makes these figures optimistic. Accuracy on the "
        f"{len(fresh)} messages without such a near-duplicate:",
        "",
    ]
    rows = []
    for r in results:
        gold = [messages[i].intent for i in fresh]
        rows.append((r.label, pct(em.accuracy(gold, [r.preds[i].intent for i in fresh]))))
    out += table(["model", "accuracy on messages without a near-duplicate"], rows)
    counts = [
        (c, sum(m.category == c for m in near), sum(m.category == c for m in exact))
        for c in em.CATEGORIES
    ]
    out += [
        "",
        "Near-duplicates (identical) per category: "
        + ", ".join(f"{c} {n} ({e})" for c, n, e in counts)
        + ".",
    ]
    longer = [(m, t, r) for m, t, r in found if len(m.text.split()) >= 4]
    if longer:
        out += ["", f"Those of four words or more ({len(longer)}):", ""]
        out += table(
            ["similarity", "eval message", "training example"],
            [(f"{r:.2f}", esc(m.text), esc(t)) for m, t, r in longer],
        )
    return out


def esc(text: str) -> str:
    return text.replace("|", "\\|")


def report(
    messages: list[em.Message], results: list[ModelResult], command: str, train_texts: list[str]
) -> str:
    ours = results[0]
    scores = {r.name: em.intent_scores(messages, r.preds) for r in results}
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    counts = ", ".join(f"{c} {scores[ours.name][c].n}" for c in em.CATEGORIES)
    out = [
        "# NLU and end-to-end evaluation",
        "",
        f"Generated by `{command}` on {now}. {versions()}.",
        "",
        f"Held-out set: `eval/messages.yml`, {len(messages)} messages ({counts}); "
        "it is never used for training. All three models are trained on the same `data/`.",
        "",
        "- **ours**: `config.yml` (Vietnamese normalising tokenizer, word and char n-grams, "
        "logistic regression, regex `os` extractor), served with our domain, rules and actions;",
        "- **rasa default**: the `rasa init` pipeline and policies (`eval/configs/default.yml`: "
        "WhitespaceTokenizer, DIETClassifier, …, language `vi`), with our domain, rules and "
        "actions;",
        "- **tf-idf**: scikit-learn TF-IDF (word 1-2 and char_wb 2-5 grams of the raw text) "
        "and LinearSVC on the `data/nlu` examples; no normalisation, no entities, no bot.",
        "",
        "## Targets (our model)",
        "",
    ]
    out += table(
        ["target", "ours", "result"],
        [(t, v, "pass" if ok else "**fail**") for t, v, ok in targets(messages, results)],
    )
    out += [
        "",
        "Ahead of a peer: higher intent accuracy in each of the six categories (a tie counts "
        "only where both are at 100%).",
        "",
        "## Summary",
        "",
    ]
    rows = []
    for r in results:
        s, ref = scores[r.name]["all"], em.refusals(messages, r.preds)
        os_f1 = em.os_scores(messages, r.preds).f1 if r.has_entities() else None
        trained = f"{r.trained.seconds:.0f} s" + (" (cached model)" if r.trained.reused else "")
        rows.append(
            (
                r.label,
                pct(s.accuracy),
                pct(s.macro_f1),
                pct(os_f1),
                pct(ref.oos_recall),
                pct(ref.wrongly_refused),
                pct(e2e_share(r)),
                trained,
            )
        )
    out += table(
        [
            "model",
            "intent accuracy",
            "macro F1",
            "os F1",
            "OOS recall",
            "in-scope refused",
            "end-to-end",
            "training",
        ],
        rows,
    )
    out += overlap_section(messages, results, train_texts)
    out += ["", "## Intent accuracy / macro F1 per category", ""]
    header = ["category", "n"] + [r.label for r in results]
    rows = []
    for c in ("all", *em.CATEGORIES):
        cells = []
        for r in results:
            s = scores[r.name][c]
            best = max(scores[x.name][c].accuracy for x in results)
            cell = f"{pct(s.accuracy)} / {pct(s.macro_f1)}"
            cells.append(f"**{cell}**" if s.accuracy == best else cell)
        rows.append((c, scores[ours.name][c].n, *cells))
    out += table(header, rows)
    out += ["", "Best accuracy in bold.", "", "## Intent F1 per intent", ""]
    gold = [m.intent for m in messages]
    f1s = {r.name: em.f1_by_label(gold, [p.intent for p in r.preds]) for r in results}
    support = {i: gold.count(i) for i in sorted(set(gold))}
    rows = [(i, n, *(pct(f1s[r.name][i]) for r in results)) for i, n in support.items()]
    out += table(["intent", "n"] + [r.label for r in results], rows)

    out += ["", "## os entity and refusals", ""]
    rows = []
    for r in results:
        ref = em.refusals(messages, r.preds)
        if r.has_entities():
            e = em.os_scores(messages, r.preds)
            ent = (pct(e.precision), pct(e.recall), pct(e.f1))
        else:
            ent = ("n/a",) * 3
        rows.append(
            (
                r.label,
                *ent,
                pct(ref.oos_recall),
                pct(ref.oos_recall_strict),
                pct(ref.wrongly_refused),
            )
        )
    out += table(
        [
            "model",
            "os precision",
            "os recall",
            "os F1",
            "OOS recall",
            "OOS recall (exactly out_of_scope)",
            "in-scope refused",
        ],
        rows,
    )
    n_os = sum(1 for m in messages if m.os)
    n_oos = sum(1 for m in messages if m.intent == em.OUT_OF_SCOPE)
    out += [
        "",
        f"os: micro P/R/F1 of the `os` value per message over all messages ({n_os} name a "
        f"platform). OOS recall: share of the {n_oos} out-of-scope messages predicted "
        "`out_of_scope` or `nlu_fallback` (the bot declines or asks to rephrase; it does not "
        "answer with a guide). In-scope refused: share of the other messages predicted "
        "`out_of_scope` or `nlu_fallback`. Intent accuracy is exact: `nlu_fallback` is always "
        "wrong. Macro F1 averages the F1 of the intents present in the (sub)set.",
        "",
        "## End-to-end (how-to messages over REST)",
        "",
    ]
    served = [r for r in results if r.e2e]
    if served:
        by = {r.name: em.e2e_by_guide((m, ok) for m, ok, _ in r.e2e) for r in served}
        keys = list(by[served[0].name])
        rows = [
            (k, by[served[0].name][k][0], *(pct(by[r.name][k][1]) for r in served)) for k in keys
        ]
        out += table(["expected guide", "n"] + [r.label for r in served], rows)
        out += [
            "",
            "Each how-to message (with a `guide` field) is sent by a new user to the running "
            "bot (`rasa run` plus the real action server) over the REST channel. It counts as "
            "right when the replies show the expected guide and no other: the guide's title "
            "(register: both titles), the platform question for `install` without a platform, "
            "the topic's whole text for text topics (from `actions/content.yml`). The tf-idf "
            "peer is a classifier only and has no bot.",
        ]
    else:
        out += ["Not run (`--no-e2e`)."]

    out += ["", "## Confusion matrix (ours)", "", "![confusion matrix](confusion.png)", ""]
    out += [
        "## Reproduce",
        "",
        "`make eval` (or `.venv/bin/python scripts/evaluate.py`; `--no-e2e` skips the REST run). "
        "Rasa models are cached in `eval/models/` under a hash of the config, `domain.yml`, "
        "`data/` and `components/`, and retrained only when one of them changes; training "
        "times are the wall time of the run that trained them. Training commands:",
        "",
    ]
    out += [f"- {r.label}: `{r.trained.command}`" for r in results]
    out += [""]
    out += [
        "## Our model's errors",
        "",
        "For the data owner: these show which kinds of message fail. Do not copy them into "
        "`data/` (that would make this evaluation meaningless); write new, different examples "
        "of the same kind.",
        "",
    ]
    rows = []
    for m, p in zip(messages, ours.preds, strict=True):
        if m.intent != p.intent:
            conf = "" if p.confidence is None else f"{p.confidence:.2f}"
            rows.append((m.category, m.intent, p.intent, conf, esc(m.text)))
    out += table(["category", "expected", "predicted", "conf.", "text"], rows) if rows else []
    if ours.e2e:
        wrong = [(m, found) for m, ok, found in ours.e2e if not ok]
        out += ["", f"End-to-end failures ({len(wrong)}):", ""]
        rows = [
            (m.guide, ", ".join(sorted(found)) or "(no guide)", esc(m.text)) for m, found in wrong
        ]
        out += table(["expected guide", "bot showed", "text"], rows) if rows else []
    return "\n".join(out) + "\n"


def summary(messages: list[em.Message], results: list[ModelResult]) -> str:
    lines = []
    for r in results:
        s = em.intent_scores(messages, r.preds)
        ref = em.refusals(messages, r.preds)
        cats = " ".join(f"{c}={pct(s[c].accuracy)}" for c in em.CATEGORIES)
        lines.append(
            f"{r.label:13} acc={pct(s['all'].accuracy)} macroF1={pct(s['all'].macro_f1)} "
            f"e2e={pct(e2e_share(r))} oos={pct(ref.oos_recall)} "
            f"refused={pct(ref.wrongly_refused)} | {cats}"
        )
    lines += [f"{'pass' if ok else 'FAIL'}  {t}: {v}" for t, v, ok in targets(messages, results)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-e2e", action="store_true", help="skip the REST end-to-end run")
    parser.add_argument("--out", type=pathlib.Path, default=REPORT_DIR)
    args = parser.parse_args(argv)
    command = "make eval" if os.environ.get("MAKELEVEL") else "python scripts/evaluate.py"
    if args.no_e2e:
        command += " --no-e2e"

    messages = em.load_messages()
    texts = [m.text for m in messages]
    ours = train_rasa(ROOT / "config.yml", "ours")
    default = train_rasa(DEFAULT_CONFIG, "default")
    examples = training_examples()
    tfidf, tfidf_seconds = tfidf_peer(examples)
    print("parsing the eval set", flush=True)
    results = [
        ModelResult("ours", "ours", rasa_parser(ours.path)(texts), ours),
        ModelResult("default", "rasa default", rasa_parser(default.path)(texts), default),
        ModelResult("tfidf", "tf-idf", tfidf(texts), Trained(None, tfidf_seconds, False, TFIDF)),
    ]
    if not args.no_e2e:
        with tempfile.TemporaryDirectory(prefix="vssid-eval-") as tmp:
            e2e = end_to_end(
                {"ours": ours.path, "default": default.path}, messages, pathlib.Path(tmp)
            )
        for r in results:
            r.e2e = e2e.get(r.name)

    args.out.mkdir(parents=True, exist_ok=True)
    write_confusion(args.out / "confusion.png", messages, results[0].preds)
    (args.out / "report.md").write_text(
        report(messages, results, command, [t for t, _ in examples]), encoding="utf-8"
    )
    print(summary(messages, results))
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
