"""make eval's models: Rasa models trained once per input hash, and the
in-process TF-IDF peer."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import pathlib
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scripts import eval_metrics as em
from scripts.harness import RASA, ROOT

MODELS = ROOT / "eval" / "models"
DEFAULT_CONFIG = ROOT / "eval" / "configs" / "default.yml"
# No Rasa training cache: honest training times, and the shared .rasa/cache is left alone.
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_MAX_CACHE_SIZE": "0"}
# Everything `rasa train` reads, besides the config (the Makefile's TRAINING_INPUTS).
TRAINING_INPUTS = ("domain.yml", "data/*.yml", "data/nlu/*.yml", "components/*.py")


Parser = Callable[[Sequence[str]], list[em.Prediction]]
TFIDF = "in process (tfidf_peer): TfidfVectorizer word 1-2 + char_wb 2-5 grams, LinearSVC"


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
    args = [*RASA, "train"] + (["nlu", "--nlu", "data/nlu"] if nlu_only else [])
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
    args = list(args)
    words = ["rasa", *args[len(RASA) :]] if args[: len(RASA)] == RASA else args
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
