"""Intent classifier: TF-IDF n-grams of two views of the message, logistic regression.

Why not Rasa's CountVectorsFeaturizer + LogisticRegressionClassifier: raw
counts let the background of a long message outvote its question, and Rasa's
classifier fixes the regularisation at C=1, too strong for ~1,500 short
examples. Sublinear TF-IDF with one L2 norm per block and C=100 gained 3-4
points of cross-validated accuracy (docs/nlu-variants.md). The two views:

- the canonical tokens from VietnameseTokenizer (folded, abbreviations
  expanded): word 1-2 grams and character 2-5 grams, so "doi mk" and
  "đổi mật khẩu" look alike;
- the original text, lower-cased, character 2-5 grams: when the user did type
  diacritics they tell words apart that folding merges ("mất"/"mật").

The model is stored as JSON + NumPy arrays (no pickle) and applied with plain
matrix arithmetic, so loading needs no scikit-learn object.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from components.normalize import nfc, without_placeholders

MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
# (view, analyzer, n-gram range) of each feature block.
BLOCKS = (
    ("canonical", "word", (1, 2)),
    ("canonical", "char_wb", (2, 5)),
    ("original", "char_wb", (2, 5)),
)


def views(message: Message) -> dict[str, str]:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return {
        "canonical": " ".join(t.text.lower() for t in tokens),
        "original": nfc(without_placeholders(message.get(TEXT) or "")).lower(),
    }


class NgramBlock:
    """One block of features: n-gram counts -> sublinear TF -> IDF -> L2 norm."""

    def __init__(self, view: str, analyzer: str, ngrams, vocabulary=None, idf=None) -> None:
        self.view = view
        self.counter = CountVectorizer(
            analyzer=analyzer,
            ngram_range=tuple(ngrams),
            token_pattern=r"\S+",
            lowercase=False,
            vocabulary=vocabulary,
        )
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float64)

    def fit(self, texts: list[str]) -> NgramBlock:
        counts = self.counter.fit_transform(texts)
        # Smoothed IDF, as scikit-learn's TfidfTransformer computes it.
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf = np.log((1 + counts.shape[0]) / (1 + df)) + 1
        return self

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        x = self.counter.transform(texts).astype(np.float64)
        x.data = np.log(x.data) + 1
        x = x.multiply(self.idf).tocsr()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
        norms[norms == 0] = 1
        return sp.csr_matrix(sp.diags(1 / norms) @ x)

    def to_json(self) -> dict[str, Any]:
        c = self.counter
        vocabulary = {term: int(i) for term, i in c.vocabulary_.items()}
        return {"view": self.view, "analyzer": c.analyzer, "ngrams": list(c.ngram_range),
                "vocabulary": vocabulary, "idf": self.idf.tolist()}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NgramBlock:
        return cls(data["view"], data["analyzer"], data["ngrams"], data["vocabulary"], data["idf"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 100.0, "max_iter": 3000, "random_state": 42}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        blocks: list[NgramBlock] | None = None,
        classes: list[str] | None = None,
        weights: np.ndarray | None = None,
        bias: np.ndarray | None = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.blocks = blocks or []
        self.classes = classes or []
        self.weights = weights
        self.bias = bias

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfIntentClassifier:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def _features(self, messages: list[Message]) -> sp.csr_matrix:
        texts = [views(m) for m in messages]
        return sp.hstack([b.transform([t[b.view] for t in texts]) for b in self.blocks]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        texts = [views(e) for e in examples]
        self.blocks = [NgramBlock(*b).fit([t[b[0]] for t in texts]) for b in BLOCKS]
        model = LogisticRegression(
            C=self.config["C"],
            class_weight="balanced",
            max_iter=self.config["max_iter"],
            random_state=self.config["random_state"],
        )
        model.fit(self._features(examples), [e.get(INTENT) for e in examples])
        self.classes = [str(c) for c in model.classes_]
        self.weights, self.bias = model.coef_, model.intercept_
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            model = {"classes": self.classes, "blocks": [b.to_json() for b in self.blocks]}
            (directory / MODEL_FILE).write_text(json.dumps(model, ensure_ascii=False))
            np.savez(directory / WEIGHTS_FILE, weights=self.weights, bias=self.bias)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = json.loads((directory / MODEL_FILE).read_text())
                with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
                    weights, bias = arrays["weights"], arrays["bias"]
        except ValueError:
            # Nothing was trained (no intent examples): classify nothing.
            return cls.create(config, model_storage, resource, execution_context)
        blocks = [NgramBlock.from_json(b) for b in model["blocks"]]
        return cls(config, model_storage, resource, blocks, model["classes"], weights, bias)

    def process(self, messages: list[Message]) -> list[Message]:
        if not self.classes or not messages:
            return messages
        scores = np.asarray(self._features(messages) @ self.weights.T) + self.bias
        if len(self.classes) == 2:
            # scikit-learn keeps one row of weights for two classes.
            scores = np.hstack([np.zeros_like(scores), scores])
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        probabilities = scores / scores.sum(axis=1, keepdims=True)
        for message, p in zip(messages, probabilities, strict=True):
            ranking = [{"name": self.classes[i], "confidence": float(p[i])} for i in np.argsort(-p)]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
