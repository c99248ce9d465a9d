"""The TF-IDF intent classifier: training, storage without pickle, prediction."""

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.tfidf_classifier import NgramBlock, TfidfIntentClassifier
from components.vietnamese_tokenizer import VietnameseTokenizer

TOKENIZER = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
EXAMPLES = {
    "ask_change_password": ["đổi mật khẩu", "cách đổi mật khẩu vssid", "thay mật khẩu mới"],
    "ask_install": ["cài vssid", "tải ứng dụng vssid ở đâu", "cài app trên điện thoại"],
    "greet": ["xin chào", "chào bạn", "chị ơi"],
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    messages = [
        Message(data={"text": text, "intent": intent})
        for intent, texts in EXAMPLES.items()
        for text in texts
    ]
    data = TrainingData(messages)
    TOKENIZER.process_training_data(data)
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("classifier")
    context = ExecutionContext(graph_schema=None, node_name="classifier")
    TfidfIntentClassifier.create({}, storage, resource, context).train(data)
    return TfidfIntentClassifier.load({}, storage, resource, context), storage, resource


def parse(classifier, text):
    message = Message(data={"text": text})
    TOKENIZER.process([message])
    return classifier.process([message])[0]


def test_predicts_across_diacritics_and_abbreviations(trained):
    classifier = trained[0]
    assert parse(classifier, "doi mk").get("intent")["name"] == "ask_change_password"
    assert parse(classifier, "cai vssid the nao").get("intent")["name"] == "ask_install"
    assert parse(classifier, "chào chị").get("intent")["name"] == "greet"


def test_ranking_is_a_sorted_probability_distribution(trained):
    ranking = parse(trained[0], "đổi mật khẩu").get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert [r["name"] for r in ranking][0] == "ask_change_password"
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert len(ranking) == len(EXAMPLES)


def test_stored_as_json_and_arrays_without_pickle(trained):
    _, storage, resource = trained
    with storage.read_from(resource) as directory:
        assert sorted(p.name for p in directory.iterdir()) == ["model.json", "weights.npz"]
        with np.load(directory / "weights.npz", allow_pickle=False) as arrays:
            assert arrays["weights"].shape[0] == len(EXAMPLES)


def test_block_matches_scikit_learn_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["doi mat khau", "cai vssid", "doi doi mat khau vssid"]
    ours = NgramBlock("canonical", "char_wb", (2, 5)).fit(texts)
    theirs = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    expected = theirs.fit_transform(texts).toarray()
    assert ours.counter.vocabulary_ == theirs.vocabulary_
    assert np.allclose(ours.transform(texts).toarray(), expected)
    # A reloaded block gives the same features.
    again = NgramBlock.from_json(ours.to_json())
    assert np.allclose(again.transform(texts).toarray(), expected)


def test_message_without_words_still_gets_a_low_confidence_intent(trained):
    intent = parse(trained[0], "").get("intent")
    assert intent["name"] in EXAMPLES and intent["confidence"] < 0.5
