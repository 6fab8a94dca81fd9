"""One safe-file-name rule for every file the program names after a subject, a login or a variant."""

from __future__ import annotations

import pytest

from coordinator_app.fsutil import safe_file_name


@pytest.mark.parametrize(("text", "name"), [
    ("Русский язык", "Русский_язык"),
    ("Окружающий мир", "Окружающий_мир"),
    ("История: 5 «А»/«Б»", "История_5_А_Б"),
    ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j"),
    ("табуляция\tи\nперенос", "табуляция_и_перенос"),
    ("  ", "_"),
    ("***", "_"),
])
def test_what_windows_forbids_never_reaches_a_name(text: str, name: str) -> None:
    assert safe_file_name(text) == name


def test_dots_are_kept_only_where_asked_and_never_at_the_end() -> None:
    assert safe_file_name("вариант 1.2") == "вариант_1_2"
    assert safe_file_name("вариант 1.2", dots=True) == "вариант_1.2"
    assert safe_file_name("Иностранный язык (англ.).", dots=True) == "Иностранный_язык_англ"
    assert safe_file_name("..", dots=True) == "_"


@pytest.mark.parametrize(("text", "name"), [("CON", "_CON"), ("nul", "_nul"), ("COM1", "_COM1"), ("lpt9", "_lpt9"),
                                            ("CONSOLE", "CONSOLE"), ("Конспект", "Конспект")])
def test_a_windows_device_name_never_becomes_a_file_name(text: str, name: str) -> None:
    assert safe_file_name(text) == name
    assert safe_file_name(f"{text}.pdf", dots=True) == f"{name}.pdf"


def test_a_long_title_is_cut_to_a_bounded_name() -> None:
    name = safe_file_name("Очень длинное название работы " * 20)
    assert len(name) <= 80 and not name.endswith("_") and name.startswith("Очень_длинное")
