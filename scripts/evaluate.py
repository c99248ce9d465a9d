"""`make eval`: our NLU and bot against two peers on the held-out sets in eval/.

Models, all trained on the same data/ (never on eval/):
- ours: config.yml (full model, served with the real actions for end-to-end);
- default: Rasa's `rasa init` pipeline and policies (eval/configs/default.yml),
  with our domain, rules and actions;
- tfidf: scikit-learn TF-IDF (word 1-2 + char_wb 2-5 grams of the raw text) and
  LinearSVC on the data/nlu examples; no normalisation, no entities, no bot.

Rasa models are cached in eval/models/ under a hash of the training inputs, so
a rerun with unchanged data only evaluates. Evaluates on eval/messages.yml (with
error analysis), eval/heldout.yml (aggregate figures only), eval/topics.yml
(the new topics: aggregate and per-topic figures) and eval/typing.yml (Telex
and VNI keys: per category). End-to-end, every message with an expected answer
goes over REST to the served bots and is scored right / abstained / wrong
(scripts/eval_e2e.py). Writes docs/eval/report.md and docs/eval/confusion.png
and prints a summary.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
from collections.abc import Sequence

from scripts import eval_metrics as em
from scripts.eval_e2e import end_to_end, expected_key
from scripts.eval_report import EvalSet, Model, report, summary, write_confusion
from scripts.eval_training import (
    DEFAULT_CONFIG,
    TFIDF,
    Trained,
    rasa_parser,
    tfidf_peer,
    train_rasa,
    training_examples,
)
from scripts.harness import ROOT

REPORT_DIR = ROOT / "docs" / "eval"
# Held-out sets: (path, per-message output allowed, per-intent figures). heldout.yml
# is kept untouched (no error analysis, no per-intent figures), topics.yml and
# typing.yml get aggregate figures per topic or category but no message listing.
EVAL_SETS = (
    (ROOT / "eval" / "messages.yml", True, True),
    (ROOT / "eval" / "heldout.yml", False, False),
    (ROOT / "eval" / "topics.yml", False, True),
    (ROOT / "eval" / "typing.yml", False, True),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-e2e", action="store_true", help="skip the REST end-to-end run")
    parser.add_argument("--out", type=pathlib.Path, default=REPORT_DIR)
    args = parser.parse_args(argv)
    command = "make eval" if os.environ.get("MAKELEVEL") else "python -m scripts.evaluate"
    command += " --no-e2e" if args.no_e2e else ""

    sets = [
        EvalSet(str(path.relative_to(ROOT)), em.load_messages(path), detailed, per_intent)
        for path, detailed, per_intent in EVAL_SETS
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
        howto = [[x for x in s.messages if expected_key(x)] for s in sets]
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
