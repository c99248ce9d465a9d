"""privacy.mask: typed placeholders for the personal data users type into the chat."""

from __future__ import annotations

import io
import logging
import unicodedata

import pytest

from privacy.mask import PLACEHOLDERS, Kind, Masked, MaskingFilter, contains_secret, mask

BHXH, CCCD, CMND, BHYT = "[MÃ SỐ BHXH]", "[SỐ CCCD]", "[SỐ CMND]", "[SỐ THẺ BHYT]"
PHONE, EMAIL, OTP, PASSWORD = "[SỐ ĐIỆN THOẠI]", "[EMAIL]", "[MÃ OTP]", "[MẬT KHẨU]"

# (message, masked message)
MASKED = [
    # BHXH number: with a BHXH keyword, spaced, or a 10-digit number that is no phone
    ("mã số bhxh của tôi là 7932200150", "mã số bhxh của tôi là " + BHXH),
    ("Mã số BHXH: 7932200150", "Mã số BHXH: " + BHXH),
    ("ma so bhxh 7932200150 nhe", "ma so bhxh " + BHXH + " nhe"),
    ("msbhxh 0123456789", "msbhxh " + BHXH),
    ("số bhxh của mẹ em 79 3220 0150", "số bhxh của mẹ em " + BHXH),
    ("mã bhxh: 79-3220-0150", "mã bhxh: " + BHXH),
    ("bhxh 0912345678 là mã của tôi", "bhxh " + BHXH + " là mã của tôi"),
    ("tra cứu giúp em 7932200150 với", "tra cứu giúp em " + BHXH + " với"),
    ("0123456789 là mã số của em", BHXH + " là mã số của em"),
    ("nhập 7932200150 k vào được", "nhập " + BHXH + " k vào được"),
    # CCCD (12 digits) and the old CMND (9 digits)
    ("cccd 079175001234", "cccd " + CCCD),
    ("Số CCCD của em là 079 175 001 234 ạ", "Số CCCD của em là " + CCCD + " ạ"),
    ("căn cước công dân 001085012345", "căn cước công dân " + CCCD),
    ("012345678901", CCCD),
    ("cmnd 123456789", "cmnd " + CMND),
    ("chứng minh nhân dân 123 456 789", "chứng minh nhân dân " + CMND),
    (
        "CMND của em: 025123456, cccd mới 079175001234",
        "CMND của em: " + CMND + ", cccd mới " + CCCD,
    ),
    # Phone numbers: spaced, dotted, dashed, +84, 84, (+84), landline after sđt
    ("sdt 0912 345 678", "sdt " + PHONE),
    ("SĐT: 0912.345.678", "SĐT: " + PHONE),
    ("so dien thoai 0912-345-678", "so dien thoai " + PHONE),
    ("0912345678", PHONE),
    ("+84 912345678", PHONE),
    ("+84912345678", PHONE),
    ("84-912-345-678", PHONE),
    ("84 912 345 678", PHONE),
    ("(+84) 912 345 678", PHONE),
    ("+84 0912 345 678", PHONE),
    ("số điện thoại 0387654321 và zalo 0562345678", "số điện thoại " + PHONE + " và zalo " + PHONE),
    ("sđt cố định 024 3826 1234", "sđt cố định " + PHONE),
    ("Gọi cho em số 0987.654.321 nhé", "Gọi cho em số " + PHONE + " nhé"),
    ("em đổi sim rồi, số mới 0703 456 789", "em đổi sim rồi, số mới " + PHONE),
    # E-mail
    ("e-mail: nguyen.van.a@gmail.com", "e-mail: " + EMAIL),
    ("email của tôi NGUYEN.Van_A@Yahoo.com.vn ạ", "email của tôi " + EMAIL + " ạ"),
    ("gửi về huong+vssid@bhxh.gov.vn giúp em", "gửi về " + EMAIL + " giúp em"),
    # OTP after an OTP keyword
    ("mã otp là 123456", "mã otp là " + OTP),
    ("otp 4821", "otp " + OTP),
    ("ma xac thuc 845 221", "ma xac thuc " + OTP),
    ("OTP của em là 4 8 2 1", "OTP của em là " + OTP),
    ("Mã xác nhận 845221 không đúng", "Mã xác nhận " + OTP + " không đúng"),
    ("mã kích hoạt: 1234-5678", "mã kích hoạt: " + OTP),
    ("otp4821 mà không vào được", "otp" + OTP + " mà không vào được"),
    ("code 6 số của em là 482193", "code 6 số của em là " + OTP),
    (
        "em vừa nhận được otp là 482 193 nhưng báo hết hạn",
        "em vừa nhận được otp là " + OTP + " nhưng báo hết hạn",
    ),
    ("mã OTP gửi qua sms: 12345678", "mã OTP gửi qua sms: " + OTP),
    # Passwords after a password keyword
    (
        "mật khẩu của tôi là Abc12345 mà không vào được",
        "mật khẩu của tôi là " + PASSWORD + " mà không vào được",
    ),
    ("mk la abc@123", "mk la " + PASSWORD),
    ("pass: Huong1975", "pass: " + PASSWORD),
    ("password is Qwerty!23", "password is " + PASSWORD),
    ("Mật khẩu: Abc@1234.", "Mật khẩu: " + PASSWORD + "."),
    ("mat khau cua toi la Huongxinh", "mat khau cua toi la " + PASSWORD),
    ("MẬT KHẨU LÀ ABCD1234", "MẬT KHẨU LÀ " + PASSWORD),
    (
        "mật khẩu cũ là abc123 mật khẩu mới là Xyz@2024",
        "mật khẩu cũ là " + PASSWORD + " mật khẩu mới là " + PASSWORD,
    ),
    ("pw=secret99", "pw=" + PASSWORD),
    ("mật khẩu 6 số là 123456", "mật khẩu 6 số là " + PASSWORD),
    ("mã pin 1234", "mã pin " + OTP),
    ("mk 12345678 nhập mãi không được", "mk " + PASSWORD + " nhập mãi không được"),
    ("Mật khẩu tôi đặt là Huong@1975 😭", "Mật khẩu tôi đặt là " + PASSWORD + " 😭"),
    ("“mật khẩu” là “Abc@123”", "“mật khẩu” là “" + PASSWORD + "”"),
    ("mật khẩu là: 'Abc123'.", "mật khẩu là: '" + PASSWORD + "'."),
    # BHYT card numbers
    ("the bhyt DN4797932200150", "the bhyt " + BHYT),
    ("thẻ BHYT GD 4 79 7932200150 của mẹ em", "thẻ BHYT " + BHYT + " của mẹ em"),
    ("số thẻ bhyt là HT3797932200150 ạ", "số thẻ bhyt là " + BHYT + " ạ"),
    # Several values in one message, long messages, conflicts
    (
        "Em tên Hương, sđt 0912345678, email huong@gmail.com, cccd 079175001234, "
        "mã bhxh 7932200150, mật khẩu Huong@1975, otp 482193",
        f"Em tên Hương, sđt {PHONE}, email {EMAIL}, cccd {CCCD}, "
        f"mã bhxh {BHXH}, mật khẩu {PASSWORD}, otp {OTP}",
    ),
    (
        "Mã số BHXH 7932200150, SĐT 0912 345 678. Em không đăng nhập được, mật khẩu là abc@123 ạ",
        "Mã số BHXH "
        + BHXH
        + ", SĐT "
        + PHONE
        + ". Em không đăng nhập được, mật khẩu là "
        + PASSWORD
        + " ạ",
    ),
    (
        "mã số bhxh của mẹ tôi là 0312345678, sđt 0912345678",
        "mã số bhxh của mẹ tôi là " + BHXH + ", sđt " + PHONE,
    ),
    ("sđt 0912345678, mã bhxh 0912345679", "sđt " + PHONE + ", mã bhxh " + BHXH),
    ("tôi có 2 số 0912345678 và 0987654321", "tôi có 2 số " + PHONE + " và " + PHONE),
    ("0912345678 7932200150 079175001234", PHONE + " " + BHXH + " " + CCCD),
    ("0912345678-0987654321", PHONE + "-" + PHONE),
    ("sdt0912345678", "sdt" + PHONE),
    (
        "Chào bạn, tôi cài VssID bản 1.6.7, đăng nhập bằng mã số BHXH 7932200150 và mật khẩu "
        "Abc@12345 thì báo sai, gọi tổng đài 1900 9068 thì bận, làm sao đây?",
        f"Chào bạn, tôi cài VssID bản 1.6.7, đăng nhập bằng mã số BHXH {BHXH} và mật khẩu "
        f"{PASSWORD} thì báo sai, gọi tổng đài 1900 9068 thì bận, làm sao đây?",
    ),
    ("DN4797932200150 0912345678", BHYT + " " + PHONE),
]

# Must stay exactly as typed: hotline, forms, documents, dates, steps, versions,
# menu numbers, amounts and the password/OTP words without a value.
KEPT = [
    "hotline 1900 9068",
    "gọi 19009068 không được",
    "tổng đài 1900.9068 bận quá",
    "Mẫu 01",
    "mẫu 02/SĐ-GD là gì",
    "làm tờ khai TK1-TS ở đâu",
    "Văn bản 5236/VBHN-BLĐTBXH",
    "Công văn 3717/BHXH-CNTT",
    "CV 168/BHXH-QLT",
    "năm 2025 có thay đổi gì không",
    "năm 2020 tôi nghỉ việc",
    "từ ngày 1/6/2025",
    "ngày 01/08/2025 hết hạn",
    "ngày 01-08-2025",
    "ngày 01.08.2025",
    "đã làm xong bước 2",
    "tiếp 3",
    "cài bản 1.6.7 rồi",
    "update v2.1.0 bị lỗi",
    "1",
    "số 3",
    "chọn 2",
    "phí 1.000 đ",
    "mức đóng 1.000.000 đồng",
    "lương 10.000.000 đ một tháng",
    "phí 100000000 đ",
    "mật khẩu mới",
    "mật khẩu mới không nhận",
    "otp không về",
    "otp không về từ năm 2020",
    "otp hết hạn sau 5 phút",
    "mật khẩu 8-16 ký tự",
    "mật khẩu gồm 8 ký tự trở lên",
    "mật khẩu: ********",
    "Mã OTP có 6 số",
    "gửi lại mã otp sau 60 giây",
    "tôi đóng bhxh từ năm 2010 đến 2020",
    "nhập mã số bhxh và mật khẩu đúng 100% mà vẫn báo sai",
    "mat khau la gi",
    "mật khẩu là ngày sinh",
    "password is wrong",
    "quên mk phải làm sao",
    "mk bị khóa rồi",
    "mật khẩu đúng rồi mà",
    "đổi mật khẩu ở đâu",
    "mk đã thử nhiều lần",
    "pass qua bước 2",
    "mật khẩu phải có chữ hoa, chữ thường và số",
    "mã otp 6 số không về",
    "nhập mã xác thực xong báo lỗi 500",
    "tôi sinh năm 1975",
    "Quyết định 595/QĐ-BHXH",
    "Điều 3 Khoản 2 Luật BHXH 2024",
    "1.000.000.000 đ",
    "xem hướng dẫn tại @bhxhvn",
    "tổng tiền 2.500.000.000 là bao nhiêu",
    "lỗi E1234567890 khi đăng nhập",
    "giai đoạn 2020-2025",
    "báo lỗi 500 rồi thoát",
]

# (message, kinds found)
KINDS = [
    ("mã số bhxh 7932200150", {Kind.BHXH}),
    ("cccd 079175001234", {Kind.CCCD}),
    ("cmnd 123456789", {Kind.CMND}),
    ("thẻ DN4797932200150", {Kind.BHYT}),
    ("0912 345 678", {Kind.PHONE}),
    ("a.b@gmail.com", {Kind.EMAIL}),
    ("otp 482193", {Kind.OTP}),
    ("mk: Abc@123", {Kind.PASSWORD}),
    ("sđt 0912345678, mk la abc@123", {Kind.PHONE, Kind.PASSWORD}),
    ("bản 1.6.7, hotline 1900 9068", set()),
]


@pytest.mark.parametrize(("message", "expected"), MASKED)
def test_masks_personal_data(message, expected):
    result = mask(message)
    assert result.text == expected
    assert result.kinds
    assert mask(result.text).text == result.text  # placeholders are never masked again


@pytest.mark.parametrize("message", KEPT)
def test_keeps_what_is_not_personal(message):
    assert mask(message) == Masked(message, frozenset())


@pytest.mark.parametrize(("message", "kinds"), KINDS)
def test_kinds(message, kinds):
    assert mask(message).kinds == kinds


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("mật khẩu là Abc12345", True),
        ("mã otp là 123456", True),
        ("cccd 079175001234", True),
        ("cmnd 123456789", True),
        ("mã số bhxh 7932200150", True),
        ("thẻ bhyt GD 4 79 7932200150", True),
        ("sđt 0912345678", False),
        ("email a.b@gmail.com", False),
        ("mật khẩu mới không nhận", False),
    ],
)
def test_contains_secret(message, secret):
    masked = mask(message)
    assert contains_secret(masked.kinds) is secret
    assert contains_secret(masked) is secret
    assert contains_secret([kind.value for kind in masked.kinds]) is secret


def test_placeholders_are_the_documented_ones():
    assert set(PLACEHOLDERS) == set(Kind)
    assert PLACEHOLDERS[Kind.CMND] == CMND and PLACEHOLDERS[Kind.BHYT] == BHYT


def test_decomposed_input_is_normalised():
    decomposed = unicodedata.normalize("NFD", "Mật khẩu của tôi là Abc12345, SĐT 0912345678")
    assert mask(decomposed).text == "Mật khẩu của tôi là " + PASSWORD + ", SĐT " + PHONE


def test_odd_input_does_not_break_the_masker():
    assert mask("") == Masked("", frozenset())
    assert mask("@@@ ... +84 ( ) 1-2-3-4-5-6-7-8-9-0-1-2-3-4").kinds == frozenset()
    assert mask("😀 mật khẩu 😀 Abc@123 😀").text == "😀 mật khẩu 😀 Abc@123 😀"
    long = "0912345678 " * 200 + "mk " * 200 + "1.2." * 500
    assert mask(long).text.count(PHONE) == 200


def _logger(name):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_filter_masks_a_message_rendered_with_its_args():
    logger, stream = _logger("test_mask.args")
    logger.info("user %s said %r", "u1", "sđt 0912 345 678, mật khẩu là Abc@123")
    assert stream.getvalue() == f"INFO user u1 said 'sđt {PHONE}, mật khẩu là {PASSWORD}'\n"


def test_filter_replaces_msg_and_args_on_the_record():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "otp %s, cccd %s", ("4821", 79), None
    )
    assert MaskingFilter().filter(record) is True
    assert record.msg == "otp " + OTP + ", cccd 79" and record.args == ()
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "%(m)s", ({"m": "a.b@gmail.com"},), None
    )
    MaskingFilter().filter(record)
    assert record.getMessage() == EMAIL


def test_filter_is_safe_on_non_string_and_broken_records():
    payload = {"text": "hello"}
    record = logging.LogRecord("x", logging.INFO, __file__, 1, payload, None, None)
    assert MaskingFilter().filter(record) is True
    assert record.msg is payload  # nothing to mask: the object is kept

    record = logging.LogRecord("x", logging.INFO, __file__, 1, {"sdt": "0912345678"}, None, None)
    MaskingFilter().filter(record)
    assert record.msg == "{'sdt': '" + PHONE + "'}"

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("0912345678",), None)
    assert MaskingFilter().filter(record) is True  # too few args: still passes, masked
    assert record.args == (PHONE,)

    class Unprintable:
        def __str__(self):
            raise RuntimeError("no")

    record = logging.LogRecord("x", logging.INFO, __file__, 1, Unprintable(), None, None)
    assert MaskingFilter().filter(record) is True


def test_filter_masks_tracebacks():
    logger, stream = _logger("test_mask.exc")
    try:
        raise ValueError("bad cccd 079175001234")
    except ValueError:
        logger.exception("failed for %s", "a.b@gmail.com")
    output = stream.getvalue()
    assert "079175001234" not in output and "a.b@gmail.com" not in output
    assert "ValueError: bad cccd " + CCCD in output and "failed for " + EMAIL in output
