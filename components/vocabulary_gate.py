"""Zeroes the intent confidence of messages made only of unseen words.

A linear classifier still picks a class for "qwxz plmk" or an emoji (usually a
short small-talk intent, with middling confidence). If no token of a message
occurs in the training data, the bot cannot have understood it, so this gate
empties the confidence and lets the FallbackClassifier after it answer with
`nlu_fallback` ("did you mean…").
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class VocabularyGate(GraphComponent, IntentClassifier):
    def __init__(
        self, vocabulary: set[str], model_storage: ModelStorage, resource: Resource
    ) -> None:
        self.vocabulary = vocabulary
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VocabularyGate:
        return cls(set(), model_storage, resource)

    @staticmethod
    def _words(message: Message) -> list[str]:
        return [t.text for t in message.get(TOKENS_NAMES[TEXT]) or []]

    def train(self, training_data: TrainingData) -> Resource:
        for example in training_data.intent_examples:
            self.vocabulary.update(self._words(example))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(sorted(self.vocabulary)))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VocabularyGate:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / VOCABULARY_FILE).read_text())
        except ValueError:
            words = []
        return cls(set(words), model_storage, resource)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT)
            words = self._words(message)
            if not intent or not words or text_is_payload(message):
                continue
            if not any(word in self.vocabulary for word in words):
                message.set(INTENT, {**intent, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages


def text_is_payload(message: Message) -> bool:
    return (message.get(TEXT) or "").startswith("/")
