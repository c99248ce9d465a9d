"""The output helpers every platform channel shares (connectors/output.py)."""

import unicodedata

import pytest

from connectors.output import number_reply, numbered, split_text, truncate


def test_split_text_keeps_steps_whole():
    assert split_text("Bước 1. Mở app", 2000) == ["Bước 1. Mở app"]
    assert split_text("", 2000) == [] and split_text("   ", 2000) == []
    steps = [f"Bước {n}. " + "x" * 150 for n in range(1, 31)]  # about 4,900 characters
    text = "\n".join(steps)
    chunks = split_text(text, 2000)
    assert len(chunks) == 3 and all(len(c) <= 2000 for c in chunks)
    assert [line for c in chunks for line in c.split("\n")] == steps


def test_split_text_cuts_an_overlong_line_at_spaces_or_hard():
    words = " ".join(["mật khẩu"] * 600)  # one line of 5,399 characters
    chunks = split_text(words, 2000)
    assert all(len(c) <= 2000 for c in chunks) and len(chunks) == 3
    assert " ".join(chunks) == words
    assert [len(c) for c in split_text("x" * 4500, 2000)] == [2000, 2000, 500]
    assert split_text("xin chào bạn", 5) == ["xin", "chào", "bạn"]
    chunks = split_text("a" * 25 + " " + "b" * 5, 10)
    assert all(len(c) <= 10 for c in chunks) and "".join(chunks) == "a" * 25 + "b" * 5


def test_truncate_keeps_short_titles_and_cuts_long_ones_with_an_ellipsis():
    assert truncate("Đổi mật khẩu", 20) == "Đổi mật khẩu"
    title = truncate("Đăng ký giao dịch điện tử với BHXH", 20)
    assert len(title) <= 20 and title.endswith("…") and title.startswith("Đăng ký")


def test_truncate_counts_composed_vietnamese_and_never_splits_a_mark():
    composed = "Hướng dẫn đổi mật khẩu"
    nfd = unicodedata.normalize("NFD", composed)
    assert len(nfd) > 22  # would be cut needlessly if counted decomposed
    assert truncate(nfd, 22) == composed
    cut = truncate(nfd, 8)
    assert len(cut) <= 8 and unicodedata.is_normalized("NFC", cut)
    assert not unicodedata.combining(cut[-2])


def test_numbered_lists_the_options_after_the_text():
    buttons = [{"title": f"Chủ đề {n}", "payload": f"/t{n}"} for n in (1, 2)]
    assert (
        numbered("Chọn:", buttons)
        == "Chọn:\n\nBạn nhắn số thứ tự để chọn:\n1. Chủ đề 1\n2. Chủ đề 2"
    )
    assert numbered("", buttons, start=11).endswith("11. Chủ đề 1\n12. Chủ đề 2")


@pytest.mark.parametrize(
    "text, number",
    [("2", 2), (" 3. ", 3), ("số 3", 3), ("so 3", 3), ("cái thứ 2", 2), ("chọn 1", 1),
     ("Cai thu 2", 2), ("2 lần", None), ("1900 9068", None), ("bước 2", None), ("", None)],
)  # fmt: skip
def test_number_reply(text, number):
    assert number_reply(text) == number
