"""Whitespace tokenizer that emits the canonical Vietnamese form of each word."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from components.normalize import expand, placeholder_spans


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(WhitespaceTokenizer):
    """Splits like `WhitespaceTokenizer`, then folds and expands each token.

    "Đổi mk ntn" becomes the tokens doi, mat, khau, nhu, the, nao, so the
    featurizers see the same words whether or not the user typed diacritics
    or abbreviations. Offsets still point into the original text.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return WhitespaceTokenizer.get_default_config()

    @staticmethod
    def not_supported_languages() -> None:
        return None

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = []
        # Placeholders of masked personal data carry no question: skip them.
        hidden = placeholder_spans(message.get(attribute) or "")
        for token in super().tokenize(message, attribute):
            if any(start <= token.start < end for start, end in hidden):
                continue
            words = expand(token.text) or [token.text.lower()]
            # Spread an expansion over the original span, one word per
            # character where possible ("tk" -> "tai" [0,1) "khoan" [1,2)).
            span = token.end - token.start
            for i, word in enumerate(words):
                start = token.start + min(i, span - 1)
                last = i == len(words) - 1
                end = token.end if last else min(start + 1, token.end)
                tokens.append(Token(word, start, end))
        return tokens
