"""Cross-validated choice of the FallbackClassifier thresholds (docs/nlu-variants.md).

Runs config.yml's tokenizer and TfidfIntentClassifier in-process on 5
stratified folds of data/nlu (two shuffles), then, for each confidence and
ambiguity threshold, counts the test examples answered with a wrong intent
and those sent to `nlu_fallback` (the bot asks "did you mean…"). A wrong
answer sends the user down the wrong guide; a question back costs one tap, so
the table also shows wrong + ½ × asked back.

    .venv/bin/python -m scripts.fallback_thresholds
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.model_selection import StratifiedKFold

from components.tfidf_classifier import TfidfIntentClassifier
from components.vietnamese_tokenizer import VietnameseTokenizer
from scripts.harness import ROOT

THRESHOLDS = (0.0, 0.2, 0.3, 0.4)
AMBIGUITY = (0.0, 0.02, 0.05, 0.1)


def classifier_config() -> dict:
    import yaml

    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    step = next(s for s in pipeline if s["name"].endswith("TfidfIntentClassifier"))
    return {k: v for k, v in step.items() if k != "name"}


def cross_validated_rankings(seeds=(0, 1)) -> tuple[list[str], list[list[dict]]]:
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    examples = load_data(str(ROOT / "data" / "nlu")).intent_examples
    texts = [e.get("text") for e in examples]
    intents = np.array([e.get("intent") for e in examples])
    config = {**TfidfIntentClassifier.get_default_config(), **classifier_config()}
    gold, rankings = [], []
    for seed in seeds:
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(
            texts, intents
        ):
            data = TrainingData(
                [Message(data={"text": texts[i], "intent": intents[i]}) for i in train]
            )
            tokenizer.process_training_data(data)
            with tempfile.TemporaryDirectory() as tmp:
                storage, resource = LocalModelStorage(pathlib.Path(tmp)), Resource("clf")
                context = ExecutionContext(graph_schema=None, node_name="clf")
                clf = TfidfIntentClassifier.create(config, storage, resource, context)
                clf.train(data)
            messages = [Message(data={"text": texts[i]}) for i in test]
            tokenizer.process(messages)
            clf.process(messages)
            gold += list(intents[test])
            rankings += [m.get("intent_ranking") for m in messages]
    return gold, rankings


def main() -> int:
    gold, rankings = cross_validated_rankings()
    top = np.array([r[0]["name"] for r in rankings])
    conf = np.array([r[0]["confidence"] for r in rankings])
    margin = conf - np.array([r[1]["confidence"] for r in rankings])
    gold = np.array(gold)
    print(f"{len(gold)} test predictions (5 folds x 2 shuffles of data/nlu), percentages\n")
    print("| threshold | ambiguity | right | wrong | asked back | wrong + ½ asked back |")
    print("|---|---|---|---|---|---|")
    for t in THRESHOLDS:
        for a in AMBIGUITY:
            asked = (conf < t) | (margin < a)
            wrong = ~asked & (top != gold)
            right = ~asked & (top == gold)
            cells = [right.mean(), wrong.mean(), asked.mean(), wrong.mean() + asked.mean() / 2]
            print(f"| {t} | {a} | " + " | ".join(f"{100 * c:.1f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
