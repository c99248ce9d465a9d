"""Pipeline variants of docs/nlu-variants.md: cross-validation and held-out figures.

For each config in eval/configs/ (or those named on the command line), on the
training data and components of one git revision (default HEAD, extracted to a
temporary directory so that edits in progress do not leak in):
- 5-fold cross-validation on data/nlu with `rasa test nlu --cross-validation`
  (numpy seeded first, so every variant gets the same folds);
- an NLU model on all of data/nlu (training time) and its intent accuracy and
  macro F1 on eval/messages.yml, overall and per category, and overall on the
  untouched eval/heldout.yml.
Cross-validations (eval/results/cv/) and models (eval/models/variants/) are
keyed by a hash of config and data and reused unless --cv or --retrain;
results land in eval/results/variants/<variant>-<commit>.json. The Markdown
table for the doc is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import yaml

from scripts import eval_metrics as em
from scripts.eval_training import env_for, rasa_parser, train_rasa, training_hash
from scripts.harness import BIN, ROOT

CONFIGS = ROOT / "eval" / "configs"
RESULTS = ROOT / "eval" / "results"
MODELS = ROOT / "eval" / "models" / "variants"
UNTOUCHED = ROOT / "eval" / "heldout.yml"
VARIANTS = {
    "default": "(a) rasa init default (DIET)",
    "ours": "(b) ours (config.yml): TF-IDF classifier",
    "no_normalisation": "(c) (f) with WhitespaceTokenizer",
    "ours_diet": "(d) (f) with DIET instead of LR",
    "pyvi": "(e) (f) with pyvi segmentation",
    "ours_countvectors": "(f) ours with Rasa's CountVectors + LR",
}
FOLDS = 5
# `rasa` with numpy's global seed fixed: StratifiedKFold(shuffle=True) in
# rasa.nlu.test.generate_folds has no seed of its own.
SEEDED_RASA = (
    "import sys, numpy; numpy.random.seed(0); sys.argv[0] = 'rasa'; "
    "from rasa.__main__ import main; main()"
)


def snapshot(rev: str, into: pathlib.Path) -> str:
    """Extracts the training inputs of `rev` into `into`; returns the full commit id."""
    commit = subprocess.run(
        ["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "archive", commit, "config.yml", "domain.yml", "data", "components"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return commit


def cv_args(variant: str, out: pathlib.Path) -> list[str]:
    return [
        "test", "nlu", "--nlu", "data/nlu", "--cross-validation", "--folds", str(FOLDS),
        "--config", str(CONFIGS / f"{variant}.yml"), "--out", str(out),
    ]  # fmt: skip


def cross_validate(variant: str, data: pathlib.Path, force: bool) -> dict:
    config = CONFIGS / f"{variant}.yml"
    out = RESULTS / "cv" / f"{variant}-{training_hash(config, True, data)}"
    summary = out / "summary.json"
    if summary.exists() and not force:
        return json.loads(summary.read_text())
    out.mkdir(parents=True, exist_ok=True)
    args = [str(BIN / "python"), "-c", SEEDED_RASA, *cv_args(variant, out)]
    print(f"{variant}: cross-validation into {out}", flush=True)
    start = time.monotonic()
    with open(out / "cv.log", "wb") as log:
        subprocess.run(
            args, cwd=data, env=env_for(data), stdout=log, stderr=subprocess.STDOUT, check=True
        )
    return summarise_cv(out, time.monotonic() - start)


def summarise_cv(out: pathlib.Path, seconds: float) -> dict:
    """Reads a `rasa test nlu --cross-validation` output directory."""
    text = (out / "cv.log").read_text(errors="replace")
    text = text.split("Entity evaluation results")[0]  # the intent part of the log
    # "test Accuracy: 0.953 (0.012)": mean (std) over the folds
    folds = {
        k: (float(m), float(s))
        for k, m, s in re.findall(r"test (Accuracy|F1-score): ([\d.]+) \(([\d.]+)\)", text)
    }
    pooled = json.loads((out / "intent_report.json").read_text())
    result = {
        "cv_accuracy_mean_std": folds["Accuracy"],
        "cv_pooled_accuracy": pooled.get("accuracy", pooled.get("micro avg", {}).get("f1-score")),
        "cv_pooled_macro_f1": pooled["macro avg"]["f1-score"],
        "cv_seconds": round(seconds, 1),
    }
    (out / "summary.json").write_text(json.dumps(result, indent=1))
    return result


def held_out(variant: str, data: pathlib.Path, retrain: bool) -> dict:
    config = CONFIGS / f"{variant}.yml"
    trained = train_rasa(config, variant, nlu_only=True, out=MODELS, force=retrain, root=data)
    parse = rasa_parser(trained.path)
    messages = em.load_messages()
    preds = parse([m.text for m in messages])
    scores = em.intent_scores(messages, preds)
    refusals = em.refusals(messages, preds)
    untouched = em.load_messages(UNTOUCHED)  # aggregate figures only
    overall = em.intent_scores(untouched, parse([m.text for m in untouched]))["all"]
    return {
        "model": trained.path.name,  # <variant>-<hash of config and training data>
        "train_seconds": trained.seconds,
        "held_out": {c: [s.n, s.accuracy, s.macro_f1] for c, s in scores.items()},
        "os_f1": em.os_scores(messages, preds).f1,
        "oos_recall": refusals.oos_recall,
        "wrongly_refused": refusals.wrongly_refused,
        "untouched": [overall.n, overall.accuracy, overall.macro_f1],
    }


def check_ours_is_current(data: pathlib.Path) -> None:
    def pipeline(path: pathlib.Path) -> list:
        return yaml.safe_load(path.read_text(encoding="utf-8"))["pipeline"]

    if pipeline(CONFIGS / "ours.yml") != pipeline(data / "config.yml"):
        sys.exit("eval/configs/ours.yml no longer matches config.yml's pipeline: copy it over")


def markdown(results: dict[str, dict]) -> str:
    """Two tables: overall figures, then messages.yml accuracy per category."""
    pct = lambda x: f"{100 * x:.1f}"  # noqa: E731

    def table(header: list[str], rows: list[list[str]]) -> list[str]:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]

    overall, per_category = [], []
    for variant, r in results.items():
        mean, sd = r["cv_accuracy_mean_std"]
        name = VARIANTS.get(variant, variant)
        overall.append(
            [name, f"{pct(mean)} ± {pct(sd)}", pct(r["cv_pooled_macro_f1"])]
            + [pct(r["held_out"]["all"][1]), pct(r["held_out"]["all"][2])]
            + [pct(r["untouched"][1]), pct(r["untouched"][2]), pct(r["os_f1"])]
            + [f"{r['train_seconds']:.0f}", f"{r['cv_seconds']:.0f}"]
        )
        per_category.append([name] + [pct(r["held_out"][c][1]) for c in em.CATEGORIES])
    header = ["variant", "CV accuracy (mean ± sd)", "CV macro F1"]
    header += ["messages.yml accuracy", "messages.yml macro F1"]
    header += ["heldout.yml accuracy", "heldout.yml macro F1", "messages.yml os F1"]
    header += ["training s", "CV s"]
    lines = table(header, overall) + [""]
    n = {c: next(iter(results.values()))["held_out"][c][0] for c in em.CATEGORIES}
    header = ["variant"] + [f"{c} ({n[c]})" for c in em.CATEGORIES]
    return "\n".join(lines + table(header, per_category))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--rev", default="HEAD", help="git revision of data/ and components/")
    parser.add_argument("--cv", action="store_true", help="rerun cached cross-validations")
    parser.add_argument("--retrain", action="store_true", help="retrain cached models")
    args = parser.parse_args()
    (RESULTS / "variants").mkdir(parents=True, exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="vssid-variants-") as tmp:
        data = pathlib.Path(tmp)
        commit = snapshot(args.rev, data)
        check_ours_is_current(data)
        # Parse with the snapshot's components, not the working tree's.
        sys.path.insert(0, tmp)
        for name in [n for n in sys.modules if n.split(".")[0] == "components"]:
            del sys.modules[name]
        for variant in args.variants:
            result = {"commit": commit} | cross_validate(variant, data, args.cv)
            results[variant] = result | held_out(variant, data, args.retrain)
            path = RESULTS / "variants" / f"{variant}-{commit[:7]}.json"
            path.write_text(json.dumps(results[variant], indent=1))
    print(f"training data and components of commit {commit}")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
