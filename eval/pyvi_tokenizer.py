"""Variant (e) of docs/nlu-variants.md: pyvi word segmentation, then folding.

Evaluation only (eval/configs/pyvi.yml); needs `pyvi`. pyvi joins the syllables
of a Vietnamese word ("điện thoại" -> "điện_thoại"); each joined word becomes one
folded token ("dien_thoai"), single syllables are folded and expanded exactly
like components.vietnamese_tokenizer.VietnameseTokenizer.
"""

from __future__ import annotations

from typing import Any

from pyvi import ViTokenizer
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from components.normalize import expand, fold


def _expanded(token: Token) -> list[Token]:
    # Same spreading of an expansion over the span as VietnameseTokenizer.
    words = expand(token.text) or [token.text.lower()]
    span = token.end - token.start
    out = []
    for i, word in enumerate(words):
        start = token.start + min(i, span - 1)
        end = token.end if i == len(words) - 1 else min(start + 1, token.end)
        out.append(Token(word, start, end))
    return out


def _groups(tokens: list[Token]) -> list[list[Token]] | None:
    """Groups whitespace tokens into pyvi words; None if pyvi re-split a token."""
    words = ViTokenizer.tokenize(" ".join(t.text for t in tokens)).split()
    groups, i = [], 0
    for word in words:
        parts = word.split("_")
        group = tokens[i : i + len(parts)]
        if [t.text for t in group] != parts:
            return None
        groups.append(group)
        i += len(parts)
    return groups if i == len(tokens) else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class PyviTokenizer(WhitespaceTokenizer):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return WhitespaceTokenizer.get_default_config()

    @staticmethod
    def not_supported_languages() -> None:
        return None

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        groups = _groups(tokens) if tokens else None
        if groups is None:
            groups = [[t] for t in tokens]
        out = []
        for group in groups:
            if len(group) == 1:
                out += _expanded(group[0])
            else:
                text = "_".join(fold(t.text) for t in group)
                out.append(Token(text, group[0].start, group[-1].end))
        return out
