"""The unanswered messages of `make review`: grouped by similarity, and
exported as NLU training data for an editor to label.

Similar messages ("luong huu bao nhieu", "lương hưu của tôi bao nhiêu") are
found with scikit-learn (installed with Rasa): TF-IDF over character n-grams
of the text folded to lower case without diacritics, so typing with or
without accents and small typos land together, then average-link clustering
on cosine distance with a fixed threshold (no number of groups to guess).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

# Cosine distance under which two groups merge: paraphrases and accent-less
# spellings measure 0.2-0.45, different questions sharing "thế nào" about 0.7.
DISTANCE = 0.6


def fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


@dataclass
class Unanswered:
    text: str
    kind: str  # review_data.FALLBACK | OUT_OF_SCOPE | NEGATIVE
    channel: str
    topic: str | None = None  # the rated topic, for negative feedback


@dataclass
class Group:
    items: list[Unanswered] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def texts(self) -> list[tuple[str, int]]:
        """Distinct texts, most frequent first."""
        return Counter(i.text for i in self.items).most_common()

    @property
    def kinds(self) -> list[tuple[str, int]]:
        return Counter(i.kind for i in self.items).most_common()


def _labels(texts: list[str]) -> list[int]:
    distinct = sorted(set(texts))
    if len(distinct) < 2:
        return [0] * len(texts)
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    matrix = vectors.fit_transform(distinct).toarray()
    clusters = AgglomerativeClustering(
        n_clusters=None, distance_threshold=DISTANCE, affinity="cosine", linkage="average"
    ).fit(matrix)
    by_text = dict(zip(distinct, clusters.labels_, strict=False))
    return [int(by_text[t]) for t in texts]


def group(items: list[Unanswered]) -> list[Group]:
    """Groups of similar messages, the largest first (ties: alphabetical)."""
    groups: dict[int, Group] = {}
    for item, label in zip(items, _labels([fold(i.text) for i in items]), strict=False):
        groups.setdefault(label, Group()).items.append(item)
    return sorted(groups.values(), key=lambda g: (-g.count, g.texts[0][0]))


def nlu_yaml(groups: list[Group], period: str) -> str:
    """Rasa NLU YAML, one block per group with its intent left empty: Rasa
    refuses the file until an editor names an intent of domain.yml for each
    block (or deletes it), so nothing unlabelled slips into training."""
    lines = [
        'version: "3.1"',
        f"# Unanswered messages, {period} (make review). For each block, write",
        "# the intent (one of domain.yml's), drop examples that should not be",
        "# learnt, then move the block into data/nlu/<topic>.yml.",
        "nlu:",
    ]
    for number, found in enumerate(groups, 1):
        kinds = ", ".join(f"{kind} {n}" for kind, n in found.kinds)
        lines.append(f'- intent: ""  # group {number}: {found.count} messages ({kinds})')
        lines.append("  examples: |")
        lines += [f"    - {text}" for text, _ in found.texts]
    return "\n".join(lines) + "\n"
