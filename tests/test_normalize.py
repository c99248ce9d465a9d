"""The Vietnamese normaliser and tokenizer."""

from rasa.shared.nlu.training_data.message import Message

from components.normalize import fold, normalize_text, strip_diacritics
from components.vietnamese_tokenizer import VietnameseTokenizer


def test_strip_diacritics_keeps_length():
    text = "Đổi mật khẩu ứng dụng Bảo hiểm xã hội số"
    stripped = strip_diacritics(text)
    assert stripped == "Doi mat khau ung dung Bao hiem xa hoi so"
    assert len(stripped) == len(text)


def test_decomposed_input_is_folded_like_composed():
    decomposed = "Đổi mật khẩu".encode().decode()
    import unicodedata

    assert fold(unicodedata.normalize("NFD", decomposed)) == fold(decomposed)


def test_abbreviations_and_letter_runs():
    assert normalize_text("đk tk ntn z ad, ko đc") == (
        "dang ky tai khoan nhu the nao vay admin khong duoc"
    )
    assert normalize_text("tiếppppp") == "tiep"
    assert normalize_text("Đổi MK VssID") == normalize_text("doi mat khau vssid")


def test_tokenizer_offsets_point_into_the_original_text():
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    text = "Cài VssID cho iPhone, đk tk"
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert [t.text for t in tokens] == [
        "cai",
        "vssid",
        "cho",
        "iphone",
        "dang",
        "ky",
        "tai",
        "khoan",
    ]
    iphone = tokens[3]
    assert text[iphone.start : iphone.end] == "iPhone"
    for token in tokens:
        assert 0 <= token.start < token.end <= len(text)


def test_vocabulary_gate_zeroes_messages_of_unseen_words(tmp_path):
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from components.vocabulary_gate import VocabularyGate

    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    examples = [Message(data={"text": "đổi mật khẩu", "intent": "ask_change_password"})]
    tokenizer.process_training_data(TrainingData(examples))
    storage, resource = LocalModelStorage(tmp_path), Resource("gate")
    context = ExecutionContext(graph_schema=None, node_name="gate")
    gate = VocabularyGate.create({}, storage, resource, context)
    gate.train(TrainingData(examples))
    gate = VocabularyGate.load({}, storage, resource, context)

    def parsed(text):
        message = Message(data={"text": text})
        tokenizer.process([message])
        message.set("intent", {"name": "greet", "confidence": 0.8})
        message.set("intent_ranking", [{"name": "greet", "confidence": 0.8}])
        return gate.process([message])[0]

    unseen = parsed("qwxz plmk")
    assert unseen.get("intent")["confidence"] == 0.0 and unseen.get("intent_ranking") == []
    known = parsed("doi mk")  # folds to "doi mat khau", all seen
    assert known.get("intent")["confidence"] == 0.8
    payload = parsed("/greet")
    assert payload.get("intent")["confidence"] == 0.8


def test_other_apps_share_one_marker_word():
    from components.normalize import OTHER_APP_MARKER

    assert normalize_text("quên mật khẩu Zalo") == f"quen mat khau zalo {OTHER_APP_MARKER}"
    assert normalize_text("quen mk gmail") == f"quen mat khau gmail {OTHER_APP_MARKER}"
    assert OTHER_APP_MARKER not in normalize_text("quên mật khẩu VssID")


def test_placeholders_of_masked_data_are_not_read_as_words():
    from rasa.shared.nlu.training_data.message import Message

    from components.normalize import without_placeholders
    from components.vietnamese_tokenizer import VietnameseTokenizer

    text = "mật khẩu [MẬT KHẨU] sai, sđt [SỐ ĐIỆN THOẠI]"
    assert without_placeholders(text) == "mật khẩu " + " " * 10 + " sai, sđt " + " " * 15
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    words = [t.text for t in tokenizer.tokenize(Message({"text": text}), "text")]
    assert words == ["mat", "khau", "sai", "so", "dien", "thoai"]
