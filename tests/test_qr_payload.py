import re
import zlib

import pytest

from coordinator_app.qr_payload import (
    CROCKFORD_ALPHABET,
    LabelFormatError,
    LabelPayload,
    decode_label,
    encode_label,
    new_work_key,
)

QR_ALNUM = re.compile(r"[0-9A-Z:]+")


def test_round_trip():
    key = new_work_key()
    text = encode_label("sch123456", key, "51234")
    assert text.startswith("VPR1:SCH123456:" + key + ":51234:")
    assert QR_ALNUM.fullmatch(text)
    assert decode_label(text) == LabelPayload(login="sch123456", work_key=key, code="51234")


def test_documented_example_and_check_definition():
    text = encode_label("sch123456", "7K3QF9", "51234")
    body = "VPR1:SCH123456:7K3QF9:51234:"
    assert text == body + f"{zlib.crc32(body.encode()) & 0xFFFF:04X}"
    assert text == "VPR1:SCH123456:7K3QF9:51234:879F"  # as in docs/qr_format.md


def test_lower_case_login_accepted_on_encode():
    assert encode_label("sch123456", "7K3QF9", "51234") == encode_label("SCH123456", "7K3QF9", "51234")
    assert encode_label(" Sch123456 ", "7k3qf9", "51234") == encode_label("SCH123456", "7K3QF9", "51234")


def test_grade_10_11_codes_accepted():
    for code in ("10001", "11999", "40000", "99999"):
        assert decode_label(encode_label("sch1", "000000", code)).code == code


@pytest.mark.parametrize("code", ["01234", "1234", "123456", "12a45", "", " ", "１２３４５"])
def test_bad_code_rejected(code):
    with pytest.raises(ValueError, match="Код участника"):
        encode_label("sch123456", "7K3QF9", code)


@pytest.mark.parametrize("login", ["", "sch 1", "школа1", "sch_123", "sch:1", "a" * 21])
def test_bad_login_rejected(login):
    with pytest.raises(ValueError, match="Логин"):
        encode_label(login, "7K3QF9", "51234")


@pytest.mark.parametrize("key", ["", "7K3QF", "7K3QF99", "7K3QFI", "LLLLLL", "OOOOOO", "UUUUUU", "7K3Q:9"])
def test_bad_work_key_rejected(key):
    with pytest.raises(ValueError, match="Ключ работы"):
        encode_label("sch123456", key, "51234")


def test_new_work_key_is_crockford_and_random():
    keys = {new_work_key() for _ in range(200)}
    assert len(keys) > 190
    for key in keys:
        assert len(key) == 6
        assert set(key) <= set(CROCKFORD_ALPHABET)
        assert not set(key) & set("ILOU")


def _reason(text):
    with pytest.raises(LabelFormatError) as info:
        decode_label(text)
    assert isinstance(info.value, ValueError)
    return info.value


VALID = encode_label("sch123456", "7K3QF9", "51234")


def test_every_flipped_character_fails_the_check():
    # Every position after the prefix that is not a separator, flipped to any other character of
    # the alphabet the label uses (a colon would change the structure instead).
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i in range(len("VPR1:"), len(VALID)):
        if VALID[i] == ":":
            continue
        for ch in alphabet:
            if ch == VALID[i]:
                continue
            broken = VALID[:i] + ch + VALID[i + 1:]
            err = _reason(broken)
            assert err.kind == LabelFormatError.CHECK, broken
            assert err.reason == "Наклейка повреждена: не сходится контрольная сумма."


def test_foreign_text_rejected():
    for text in ["", "https://example.com", "4600000000000", "vpr1:sch1:000000:51234:0000",
                 "ABC1:SCH123456:7K3QF9:51234:A6F9", "VPRX:SCH", "VPR"]:
        err = _reason(text)
        assert err.kind == LabelFormatError.FOREIGN, text
        assert err.reason == "Это не наклейка ВПР-Координатора."
        assert str(err) == err.reason


def test_non_string_rejected_as_foreign():
    assert _reason(None).kind == LabelFormatError.FOREIGN  # type: ignore[arg-type]
    assert _reason(b"VPR1:...").kind == LabelFormatError.FOREIGN  # type: ignore[arg-type]


def test_unknown_version_rejected():
    err = _reason("VPR2:SCH123456:7K3QF9:51234:A6F9")
    assert err.kind == LabelFormatError.VERSION
    assert "VPR2" in err.reason and "версия" in err.reason


@pytest.mark.parametrize(
    "text",
    [
        "VPR1",
        "VPR1:",
        "VPR1:SCH123456:7K3QF9:51234",
        "VPR1:SCH123456:7K3QF9:51234:A6F9:",
        "VPR1:SCH123456:7K3QF9:51234:A6F9:00",
        "VPR1::7K3QF9:51234:A6F9",
        "VPR1:SCH123456:7K3QF9::A6F9",
    ],
)
def test_bad_structure_rejected(text):
    err = _reason(text)
    assert err.kind == LabelFormatError.STRUCTURE
    assert err.reason == "Наклейка повреждена: неверная структура данных."


def test_well_checked_but_malformed_fields_rejected():
    # Another encoder could produce a correct check over nonsense; the reader must not accept it.
    for body in ["VPR1:sch1:7K3QF9:51234:", "VPR1:SCH1:7K3QFI:51234:", "VPR1:SCH1:7K3QF9:01234:",
                 "VPR1:SCH1:7K3QF9:5123:"]:
        text = body + f"{zlib.crc32(body.encode()) & 0xFFFF:04X}"
        assert _reason(text).kind == LabelFormatError.STRUCTURE, text


def test_surrounding_whitespace_and_lower_case_check_rejected():
    assert _reason(VALID + "\n").kind == LabelFormatError.CHECK
    assert _reason(" " + VALID).kind == LabelFormatError.FOREIGN
    assert _reason(VALID[:-4] + VALID[-4:].lower()).kind in (LabelFormatError.CHECK,)


def test_non_ascii_lookalikes_rejected():
    # Cyrillic «С» instead of Latin «C» in the login.
    broken = VALID.replace("SCH", "SСH")
    assert _reason(broken).kind == LabelFormatError.CHECK


def test_encode_errors_are_value_errors_and_user_errors():
    from coordinator_app.errors import UserError

    with pytest.raises(ValueError) as info:
        encode_label("sch_1", "7K3QF9", "51234")
    assert isinstance(info.value, UserError)
    assert "Логин ФИС ОКО «sch_1»" in str(info.value)
