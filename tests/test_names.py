"""Class, name and gender normalisation (coordinator_app.names)."""

from __future__ import annotations

import pytest

from coordinator_app.errors import UserError
from coordinator_app.names import (
    class_display,
    name_key,
    normalize_class_name,
    normalize_gender,
    normalize_person_part,
    split_fio,
)

# -- classes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4А", (4, "А")),
        ("4-А", (4, "А")),
        ("4 а", (4, "А")),
        ("4a", (4, "А")),  # Latin look-alike
        ("4A", (4, "А")),
        (" 10б ", (10, "Б")),
        ("11-Б", (11, "Б")),
        ("5 «В»", (5, "В")),
        ('5"В"', (5, "В")),
        ("7В класс", (7, "В")),
        ("7 В кл.", (7, "В")),
        ("7 в кл", (7, "В")),
        ("класс 6Г", (6, "Г")),
        ("8\u00a0Д", (8, "Д")),  # NBSP
        ("9–Е", (9, "Е")),  # en dash
        ("6 'к'", (6, "К")),
        ("5ё", (5, "Ё")),
        ("04Б", (4, "Б")),
    ],
)
def test_class_names_schools_type(raw: str, expected: tuple[int, str]) -> None:
    assert normalize_class_name(raw) == expected


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        # look-alikes, upper case
        ("A", "А"), ("B", "В"), ("C", "С"), ("E", "Е"), ("H", "Н"), ("K", "К"), ("M", "М"),
        ("O", "О"), ("P", "Р"), ("T", "Т"), ("X", "Х"),
        # look-alikes, lower case
        ("a", "А"), ("c", "С"), ("e", "Е"), ("o", "О"), ("p", "Р"), ("x", "Х"), ("k", "К"),
        ("m", "М"), ("t", "Т"),
        # transliterations
        ("b", "Б"), ("v", "В"), ("g", "Г"), ("d", "Д"), ("z", "З"), ("i", "И"), ("l", "Л"),
        ("u", "У"), ("f", "Ф"), ("V", "В"), ("G", "Г"), ("D", "Д"),
    ],
)  # fmt: skip
def test_latin_class_letters(latin: str, cyrillic: str) -> None:
    grade, letter = normalize_class_name(f"6{latin}")
    assert (grade, letter) == (6, cyrillic)
    assert letter.isupper()
    assert "\u0400" <= letter <= "\u04ff"  # Cyrillic block


def test_letter_is_always_cyrillic_upper() -> None:
    for raw in ["5а", "5б", "5в", "5я", "5ё"]:
        _, letter = normalize_class_name(raw)
        assert letter == raw[1].upper()


@pytest.mark.parametrize("raw", ["4", "5.0", "5,0", "10"])
def test_class_without_letter(raw: str) -> None:
    with pytest.raises(UserError) as err:
        normalize_class_name(raw)
    assert "без буквы" in str(err.value)


@pytest.mark.parametrize("raw", ["3А", "12Б", "0А", "1а", "99Я"])
def test_grade_out_of_range(raw: str) -> None:
    with pytest.raises(UserError) as err:
        normalize_class_name(raw)
    text = str(err.value)
    assert raw in text
    assert "от 4 до 11" in text


@pytest.mark.parametrize(
    "raw", ["4АБ", "А4", "пятый А", "4Q", "4W", "4-", "4Ъ", "4Ь", "4 А Б", "4А1", "123А", "abc", "—"]
)
def test_class_not_understood(raw: str) -> None:
    with pytest.raises(UserError) as err:
        normalize_class_name(raw)
    text = str(err.value)
    assert "Не удалось понять класс" in text
    assert "например 4А" in text


def test_class_error_example_message() -> None:
    with pytest.raises(UserError) as err:
        normalize_class_name("4АБ")
    assert str(err.value) == "Не удалось понять класс «4АБ»: ожидается номер 4–11 и буква, например 4А."


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_class_empty(raw: str | None) -> None:
    with pytest.raises(UserError) as err:
        normalize_class_name(raw)  # type: ignore[arg-type]
    assert "не указан" in str(err.value)


def test_class_display() -> None:
    assert class_display(4, "А") == "4А"
    assert class_display(11, "б") == "11Б"
    assert class_display(*normalize_class_name("10-в")) == "10В"


# -- person names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("иванов", "Иванов"),
        ("ИВАНОВА", "Иванова"),
        ("  Иванов  ", "Иванов"),
        ("римский-корсаков", "Римский-Корсаков"),
        ("РИМСКИЙ - КОРСАКОВ", "Римский-Корсаков"),
        ("Петров–Водкин", "Петров-Водкин"),  # en dash typed instead of a hyphen
        ("гусейн оглы", "Гусейн оглы"),
        ("ГУСЕЙН   ОГЛЫ", "Гусейн оглы"),
        ("Айгуль кызы", "Айгуль кызы"),
        ("оглы", "Оглы"),  # the first word is always capitalised
        ("анна\u00a0мария", "Анна Мария"),
        ("Ёлкин", "Ёлкин"),
        ("ЁЛКИН", "Ёлкин"),
        ("Алёна", "Алёна"),
        ("Алена", "Алена"),  # «е» is not turned into «ё» either
        ("Иванoв", "Иванов"),  # Latin "o" inside a Cyrillic word
        ("John", "John"),  # an all-Latin name stays Latin
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_normalize_person_part(raw: str | None, expected: str) -> None:
    assert normalize_person_part(raw) == expected


def test_lookalike_fix_makes_equal_keys() -> None:
    assert normalize_person_part("Иванoв") == normalize_person_part("Иванов")
    assert "o" not in normalize_person_part("Иванoв")


def test_name_key() -> None:
    assert name_key("Алёшин", "Пётр", "") == "алешин петр"
    assert name_key("АЛЕШИН ", " петр", None) == name_key("Алёшин", "Пётр", "")
    assert name_key("Иванов", "Иван", "Иванович") == "иванов иван иванович"
    assert name_key("Мамедов", "Али", "Гусейн  оглы") == "мамедов али гусейн оглы"
    assert name_key("Иванов", "Иван", "Иванович") != name_key("Иванов", "Иван", "Петрович")
    assert name_key("Римский-Корсаков", "Николай", "") == "римский-корсаков николай"


@pytest.mark.parametrize(
    "raw", ["м", "М", "муж", "мужской", "Мужской", "МУЖСКОЙ", "male", "Male", "m", "M", " м ", "муж."]
)
def test_gender_male(raw: str) -> None:
    assert normalize_gender(raw) == "м"


@pytest.mark.parametrize("raw", ["ж", "Ж", "жен", "женский", "Женский", "female", "f", "F", "жен."])
def test_gender_female(raw: str) -> None:
    assert normalize_gender(raw) == "ж"


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_gender_empty(raw: str | None) -> None:
    assert normalize_gender(raw) is None


@pytest.mark.parametrize("raw", ["x", "х", "мж", "1", "unknown"])
def test_gender_bad(raw: str) -> None:
    with pytest.raises(UserError) as err:
        normalize_gender(raw)
    assert str(err.value) == f"Непонятный пол «{raw}»: ожидается м или ж."


# -- ФИО ------------------------------------------------------------------------------------


def test_split_fio_three_words() -> None:
    assert split_fio("Иванов Иван Иванович") == ("Иванов", "Иван", "Иванович")


def test_split_fio_two_words() -> None:
    assert split_fio("Иванов Иван") == ("Иванов", "Иван", "")


def test_split_fio_more_words_go_to_patronymic() -> None:
    assert split_fio("Мамедов Али Гусейн оглы") == ("Мамедов", "Али", "Гусейн оглы")


def test_split_fio_messy_spaces_and_hyphen() -> None:
    assert split_fio("  Петров -  Водкин\u00a0 Кузьма   Сергеевич ") == ("Петров-Водкин", "Кузьма", "Сергеевич")


@pytest.mark.parametrize("raw", ["Иванов", "  Иванов  "])
def test_split_fio_one_word(raw: str) -> None:
    with pytest.raises(UserError) as err:
        split_fio(raw)
    text = str(err.value)
    assert "Иванов" in text
    assert "одно слово" in text


@pytest.mark.parametrize("raw", ["", "   "])
def test_split_fio_empty(raw: str) -> None:
    with pytest.raises(UserError) as err:
        split_fio(raw)
    assert "не указано" in str(err.value)
