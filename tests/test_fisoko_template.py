"""Reading the structure of a ФИС ОКО result form: columns, maxima, validations, broken files."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from coordinator_app.errors import UserError
from coordinator_app.formats.fisoko.headers import parse_task_header
from coordinator_app.formats.fisoko.template import TemplateInfo, read_template
from tests.fixtures.fisoko_forms import (
    ENGLISH8_2026_TASKS,
    HEADER_CODE,
    HEADER_GENDER,
    HEADER_MARK,
    HEADER_TOTAL,
    RUSSIAN4_2026_TASKS,
    SHARED_SAMPLE,
    default_textbooks,
    english8_2026,
    geography7_2025,
    history6_parenthesised,
    make_form,
    russian4_2026,
)

TASK_VALUES_1 = ["1", "0", "X", "не пройд."]
TASK_VALUES_2 = ["2", "1", "0", "X", "не пройд."]
VARIANT_VALUES = ["1", "2", "отсутствовал"]
GENDER_VALUES = ["м", "ж"]
MARK_VALUES = ["5", "4", "3", "2", "нет отметки"]


def user_error(path: Path) -> str:
    with pytest.raises(UserError) as info:
        read_template(path)
    return str(info.value)


def column_of(info: TemplateInfo, task_id: str) -> int:
    return info.task(task_id).column


# --- ready layouts ---------------------------------------------------------------------------


def test_russian4_one_part_with_gender(tmp_path: Path) -> None:
    info = read_template(russian4_2026(tmp_path / "r4.xlsx"))
    assert info.sheet == "Протокол"
    assert (info.header_row, info.first_data_row, info.last_data_row) == (1, 2, 1499)
    assert [(t.task_id, t.max_score) for t in info.tasks] == RUSSIAN4_2026_TASKS
    assert info.max_total == 24
    assert info.parts == 1
    assert all(t.part == 1 for t in info.tasks)
    assert info.code_column == 1
    assert info.variant_columns == {1: 2}
    assert [t.column for t in info.tasks] == list(range(3, 18))
    assert info.tasks[9].header == "9.2 (2б)"
    assert info.class_ordinal_column == 18
    assert info.gender_column == 19
    assert info.journal_mark_column == 20
    assert info.total_column == 21
    assert info.code_range == (40001, 41500)
    assert info.grade == 4
    assert info.allows_not_passed is True
    assert info.allowed_values[2] == VARIANT_VALUES
    assert info.allowed_values[column_of(info, "4")] == ["3", "2", "1", "0", "X", "не пройд."]
    assert info.allowed_values[column_of(info, "9.2")] == TASK_VALUES_2
    assert info.allowed_values[column_of(info, "12.2")] == TASK_VALUES_1
    assert info.allowed_values[18] == [str(n) for n in range(1, 51)]
    assert info.allowed_values[19] == GENDER_VALUES
    assert info.allowed_values[20] == MARK_VALUES
    assert info.has_classes_sheet is True
    assert info.textbooks == default_textbooks(4)


def test_english8_criteria_columns_no_gender_no_not_passed(tmp_path: Path) -> None:
    info = read_template(english8_2026(tmp_path / "e8.xlsx"))
    assert [(t.task_id, t.max_score) for t in info.tasks] == ENGLISH8_2026_TASKS
    assert info.task_ids[3:] == ["4К1", "4К2", "4К3", "4К4"]  # Cyrillic К
    assert info.max_total == 25
    assert info.parts == 1
    assert info.gender_column is None
    assert info.class_ordinal_column == 10
    assert info.journal_mark_column == 11
    assert info.total_column == 12
    assert info.allows_not_passed is False
    assert info.allowed_values[column_of(info, "1")] == ["5", "4", "3", "2", "1", "0", "X"]
    assert info.allowed_values[column_of(info, "4К2")] == ["2", "1", "0", "X"]
    assert info.code_range == (80001, 81500)
    assert info.grade == 8


def test_geography7_two_parts(tmp_path: Path) -> None:
    info = read_template(geography7_2025(tmp_path / "g7.xlsx"))
    assert info.task_ids == [str(i) for i in range(1, 18)]
    assert [t.max_score for t in info.tasks] == [1, 1, 1, 1, 1, 2, 2] + [1] * 10
    assert info.max_total == 19
    assert info.parts == 2
    assert info.variant_columns == {1: 2, 2: 12}
    assert [t.task_id for t in info.tasks_of_part(1)] == [str(i) for i in range(1, 10)]
    assert [t.task_id for t in info.tasks_of_part(2)] == [str(i) for i in range(10, 18)]
    assert info.allowed_values[2] == VARIANT_VALUES
    assert info.allowed_values[12] == VARIANT_VALUES
    assert info.allowed_values[column_of(info, "6")] == TASK_VALUES_2
    assert (info.class_ordinal_column, info.gender_column) == (21, 22)
    assert (info.journal_mark_column, info.total_column) == (23, 24)
    assert info.code_range == (70001, 71500)
    assert info.grade == 7
    assert info.has_classes_sheet is True
    assert info.textbooks[-1].endswith("другое")


def test_history_parenthesised_ids(tmp_path: Path) -> None:
    info = read_template(history6_parenthesised(tmp_path / "h6.xlsx"))
    assert "8(1)" in info.task_ids and "8(2)" in info.task_ids
    assert info.task("8(2)").max_score == 2
    assert info.max_total == 18
    assert info.grade == 6


def test_fixture_form_looks_like_the_real_one(tmp_path: Path) -> None:
    """The builder's output: sheet order, hidden Служебный, bold header, Итого formula."""
    path = geography7_2025(tmp_path / "g7.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Классы", "Протокол", "Служебный", "Порядковый номер класса"]
    assert wb["Служебный"].sheet_state == "hidden"
    ws = wb["Протокол"]
    assert ws["A1"].font.b
    assert ws["X2"].value == (
        '=IF(LEN(C2)>0, SUM(C2,D2,E2,F2,G2,H2,I2,J2,K2,M2,N2,O2,P2,Q2,R2,S2,T2), "")'
    )
    assert ws["X1499"].value.startswith("=IF(LEN(C1499)>0")
    assert ws["X1500"].value is None
    assert [c.value for c in wb["Классы"][1]] == [
        "Порядковый номер класса",
        "Основной учебник по предмету",
        "Другое (автор учебника)",
        "Другое (название учебника)",
    ]


def test_filled_form_is_read_the_same(tmp_path: Path) -> None:
    filled = [
        {"code": 70001, "variants": {1: 1, 2: 1}, "scores": {"1": 1, "6": 2, "17": "X"},
         "class_ordinal": 1, "gender": "ж", "mark": 4},
        {"code": 70002, "variants": {1: "отсутствовал", 2: "отсутствовал"}, "class_ordinal": 1},
    ]
    path = geography7_2025(tmp_path / "g7.xlsx", filled=filled, class_textbooks={1: "книга"})
    info = read_template(path)
    assert info.max_total == 19
    ws = load_workbook(path)["Протокол"]
    assert [ws.cell(2, c).value for c in (1, 2, 3, 8, 20, 21, 22, 23)] == [
        70001, 1, 1, 2, "X", 1, "ж", 4
    ]
    assert ws.cell(3, 2).value == "отсутствовал"


def test_optional_parts_absent(tmp_path: Path) -> None:
    path = make_form(
        tmp_path / "min.xlsx", tasks=[("1", 1), ("2", 2)], grade=5, gender=False,
        classes_sheet=False, journal_mark=False, not_passed=False, rows=300,
    )
    info = read_template(path)
    assert info.gender_column is None
    assert info.journal_mark_column is None
    assert info.has_classes_sheet is False
    assert info.textbooks == []
    assert info.allows_not_passed is False
    assert info.last_data_row == 300
    assert info.grade == 5


def test_code_range_and_grade(tmp_path: Path) -> None:
    path = make_form(tmp_path / "a.xlsx", tasks=[("1", 1)], code_range=(50101, 50300))
    info = read_template(path)
    assert info.code_range == (50101, 50300)
    assert info.grade == 5
    # Grade 10 or 11 codes start with 1: the grade cannot be told.
    path = make_form(tmp_path / "b.xlsx", tasks=[("1", 1)], code_range=(10001, 11500))
    info = read_template(path)
    assert info.code_range == (10001, 11500)
    assert info.grade is None


def test_code_range_written_as_floats(tmp_path: Path) -> None:
    """Re-saved forms (the real sample) store the bounds as `70001.0`."""
    path = geography7_2025(tmp_path / "g7.xlsx")
    wb = load_workbook(path)
    ws = wb["Протокол"]
    for dv in ws.data_validations.dataValidation:
        if dv.type == "decimal":
            dv.formula1, dv.formula2 = "70001.0", "71500.0"
    wb.save(path)
    info = read_template(path)
    assert info.code_range == (70001, 71500)
    assert info.grade == 7


def test_excel2010_validations_in_extlst(tmp_path: Path) -> None:
    """Lists pointing to another sheet stored in extLst (Excel 2010+) are read too."""
    path = geography7_2025(tmp_path / "g7.xlsx", x14_validations=True)
    assert b"x14:dataValidation" in zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml")
    info = read_template(path)
    assert info.allowed_values[2] == VARIANT_VALUES
    assert info.allowed_values[column_of(info, "7")] == TASK_VALUES_2
    assert info.allowed_values[22] == GENDER_VALUES
    assert info.allows_not_passed is True
    assert info.code_range == (70001, 71500)
    assert (info.first_data_row, info.last_data_row) == (2, 1499)


def test_inline_list_validation(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx")
    wb = load_workbook(path)
    for dv in wb["Протокол"].data_validations.dataValidation:
        if str(dv.sqref) == "B2:B1499":
            dv.formula1 = '"1,2,отсутствовал"'
    wb.save(path)
    assert read_template(path).allowed_values[2] == VARIANT_VALUES


def test_list_through_defined_name(tmp_path: Path) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    path = russian4_2026(tmp_path / "r4.xlsx")
    wb = load_workbook(path)
    wb.defined_names["Варианты"] = DefinedName("Варианты", attr_text="'Служебный'!$B$1:$B$3")
    for dv in wb["Протокол"].data_validations.dataValidation:
        if str(dv.sqref) == "B2:B1499":
            dv.formula1 = "Варианты"
    wb.save(path)
    assert read_template(path).allowed_values[2] == VARIANT_VALUES


def test_form_without_validations_uses_formulas_for_data_area(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx", rows=600)
    wb = load_workbook(path)
    wb["Протокол"].data_validations.dataValidation = []
    wb.save(path)
    info = read_template(path)
    assert (info.first_data_row, info.last_data_row) == (2, 600)
    assert info.allowed_values == {}
    assert info.code_range is None and info.grade is None
    assert info.max_total == 24


def test_xlsx_named_xls_is_read_by_content(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx")
    renamed = path.rename(tmp_path / "r4.xls")
    assert read_template(str(renamed)).max_total == 24


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.1 (1б)", ("9.1", 1)),
        ("4К1 (3б)", ("4К1", 3)),
        ("4K1(3 б.)", ("4К1", 3)),
        ("4k2 (2б)", ("4К2", 2)),
        ("8(1) (2б)", ("8(1)", 2)),
        ("8 (1) (2б)", ("8(1)", 2)),
        ("  12.2   ( 1 б )  ", ("12.2", 1)),
        ("1 (1 балл)", ("1", 1)),
        ("3 (2 балла)", ("3", 2)),
        ("5 (5 баллов)", ("5", 5)),
        ("10 (2Б)", ("10", 2)),
        ("7\xa0(1б)", ("7", 1)),
        ("Код участника", None),
        ("Вариант (часть 1)", None),
        ("Пол", None),
        ("", None),
    ],
)
def test_parse_task_header(text: str, expected: tuple[str, int] | None) -> None:
    assert parse_task_header(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("5 (0б)", ["больше нуля"]),
        ("5", ["не указан максимальный балл"]),
        ("9.1", ["не указан максимальный балл"]),
        ("5 (1)", ["не указан максимальный балл"]),
        ("5 (1,5б)", ["целым"]),
        ("(2б)", ["нет номера задания"]),
    ],
)
def test_parse_task_header_refuses(text: str, words: list[str]) -> None:
    with pytest.raises(UserError) as info:
        parse_task_header(text)
    for word in words:
        assert word in str(info.value)


def test_header_variants_latin_k_and_stray_spaces(tmp_path: Path) -> None:
    path = english8_2026(
        tmp_path / "e8.xlsx",
        header_overrides={
            "4К1 (3б)": "4K1(3 б.)",
            "4К2 (2б)": " 4 К2  (2 балла) ",
            "1 (5б)": "1 (5 баллов)",
            HEADER_CODE: "  код   УЧАСТНИКА ",
            "Вариант": " ВАРИАНТ ",
            HEADER_MARK: "Отметка за предыдущий\nтриместр/ четверть/полугодие",
            HEADER_TOTAL: "Итого  баллов",
        },
    )
    info = read_template(path)
    assert info.task_ids == ["1", "2", "3", "4К1", "4К2", "4К3", "4К4"]
    assert info.task("4K1").max_score == 3  # lookup normalises too
    assert info.tasks[3].header == "4K1(3 б.)"
    assert info.code_column == 1
    assert info.variant_columns == {1: 2}
    assert info.journal_mark_column == 11
    assert info.total_column == 12


def test_headers_as_other_years_spell_them(tmp_path: Path) -> None:
    """«Код», «Класс № (список формируется из листа "Классы")», «Пол (м/ж)», «Отметка за
    предыдущий год» are the same columns as the usual headers."""
    from tests.fixtures.fisoko_forms import HEADER_CLASS_ORDINAL

    path = russian4_2026(
        tmp_path / "r4.xlsx",
        header_overrides={
            HEADER_CODE: "Код",
            HEADER_CLASS_ORDINAL: 'Класс № (список формируется из листа "Классы")',
            HEADER_GENDER: "Пол (м/ж)",
            HEADER_MARK: "Отметка за предыдущий год",
        },
    )
    info = read_template(path)
    assert info.code_column == 1
    assert None not in (info.class_ordinal_column, info.gender_column, info.journal_mark_column)
    assert info.unknown_columns == []


def test_an_unknown_column_is_reported_not_skipped_silently(tmp_path: Path) -> None:
    import datetime as dt

    from coordinator_app.works import unknown_columns_notice, work_from_template

    path = russian4_2026(tmp_path / "r4.xlsx", header_overrides={HEADER_GENDER: "Примечание учителя"})
    info = read_template(path)
    assert info.gender_column is None
    assert info.unknown_columns == [f"столбец {get_column_letter_of(path, 'Примечание учителя')} («Примечание учителя»)"]
    defn = work_from_template(path, subject="Русский язык", work_date=dt.date(2026, 4, 21))
    assert "Примечание учителя" in unknown_columns_notice(defn.template_info)


def test_a_template_that_already_holds_results_is_accepted_with_a_notice(tmp_path: Path) -> None:
    import datetime as dt

    from coordinator_app.works import unknown_columns_notice, work_from_template
    from tests.fixtures.fisoko_forms import RUSSIAN4_2026_TASKS

    filled = [{"code": 40001 + i, "variants": {1: 1}, "scores": {t: 1 for t, _m in RUSSIAN4_2026_TASKS},
               "class_ordinal": 1, "gender": "м", "mark": 4} for i in range(3)]
    path = russian4_2026(tmp_path / "r4.xlsx", filled=filled)
    assert read_template(path).filled_rows == 3
    defn = work_from_template(path, subject="Русский язык", work_date=dt.date(2026, 4, 21))
    notice = unknown_columns_notice(defn.template_info)
    assert "уже есть результаты (3 участника)" in notice and "import-form" in notice
    assert read_template(russian4_2026(tmp_path / "blank.xlsx")).filled_rows == 0


def get_column_letter_of(path: Path, header: str) -> str:
    from openpyxl.utils import get_column_letter

    ws = load_workbook(path)["Протокол"]
    return next(get_column_letter(c.column) for c in ws[1] if c.value == header)


def test_two_part_headers_with_spaces(tmp_path: Path) -> None:
    path = geography7_2025(
        tmp_path / "g7.xlsx",
        header_overrides={
            "Вариант (часть 1)": "Вариант ( часть 1 )",
            "Вариант (часть 2)": "вариант(часть 2)",
        },
    )
    info = read_template(path)
    assert info.parts == 2
    assert info.variant_columns == {1: 2, 2: 12}


def test_columns_in_another_order(tmp_path: Path) -> None:
    path = geography7_2025(
        tmp_path / "g7.xlsx",
        column_order=[HEADER_GENDER, HEADER_TOTAL, "Вариант (часть 1)", "1 (1б)", "2 (1б)",
                      "Вариант (часть 2)", "10 (1б)", HEADER_CODE],
    )
    info = read_template(path)
    assert info.gender_column == 1
    assert info.total_column == 2
    assert info.variant_columns == {1: 3, 2: 6}
    assert info.code_column == 8
    # Each task belongs to the part of the nearest variant column to its left.
    assert [(t.task_id, t.part) for t in info.tasks[:3]] == [("1", 1), ("2", 1), ("10", 2)]
    assert {t.task_id: t.part for t in info.tasks}["3"] == 2  # after «Вариант (часть 2)»
    assert info.max_total == 19
    assert info.code_range == (70001, 71500)
    assert info.allowed_values[1] == GENDER_VALUES
    assert info.allowed_values[column_of(info, "6")] == TASK_VALUES_2


# --- broken input ----------------------------------------------------------------------------


def test_old_xls_file(tmp_path: Path) -> None:
    path = tmp_path / "форма.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4000))
    message = user_error(path)
    assert ".xls" in message and "сохраните как" in message and ".xlsx" in message


def test_ole_file_named_xlsx(tmp_path: Path) -> None:
    """A password-protected .xlsx is an OLE file too."""
    path = tmp_path / "форма.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000)
    message = user_error(path)
    assert "паролем" in message and "сохраните как" in message


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "форма.xlsx"
    path.write_bytes(os.urandom(5000))
    assert "файл повреждён или это не книга Excel" in user_error(path)


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "форма.csv"
    path.write_text("Код участника;Вариант\n", encoding="utf-8")
    assert "файл повреждён или это не книга Excel" in user_error(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "форма.xlsx"
    path.write_bytes(b"")
    assert "файл повреждён или это не книга Excel" in user_error(path)


def test_truncated_zip(tmp_path: Path) -> None:
    good = russian4_2026(tmp_path / "good.xlsx")
    data = good.read_bytes()
    path = tmp_path / "broken.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert "файл повреждён или это не книга Excel" in user_error(path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "архив.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "файл повреждён или это не книга Excel" in user_error(path)


def test_damaged_xml_inside(tmp_path: Path) -> None:
    good = russian4_2026(tmp_path / "good.xlsx")
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = data[:100]
            dst.writestr(item, data)
    assert "файл повреждён или это не книга Excel" in user_error(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "не найден" in user_error(tmp_path / "нет.xlsx")


def test_no_protocol_sheet(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx")
    wb = load_workbook(path)
    wb["Протокол"].title = "Лист1"
    wb.save(path)
    message = user_error(path)
    assert "Это не форма сбора результатов ФИС ОКО: нет листа «Протокол»" in message
    assert "Лист1" in message


def test_no_code_column(tmp_path: Path) -> None:
    # «Код» alone is the code column (issue 10): a header that is no code at all
    path = russian4_2026(tmp_path / "r4.xlsx", header_overrides={HEADER_CODE: "Шифр работы"})
    message = user_error(path)
    assert "нет столбца «Код участника»" in message


def test_no_task_columns(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx")
    wb = load_workbook(path)
    ws = wb["Протокол"]
    for col in range(3, 18):
        ws.cell(1, col).value = None
    wb.save(path)
    assert "нет столбцов заданий" in user_error(path)


def test_no_variant_column(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx", header_overrides={"Вариант": "Вар."})
    assert "нет столбца «Вариант»" in user_error(path)


def test_zero_max_in_header(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx", header_overrides={"5 (2б)": "5 (0б)"})
    message = user_error(path)
    assert "Столбец G" in message and "5 (0б)" in message and "больше нуля" in message


def test_task_header_without_max(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx", header_overrides={"9.1 (1б)": "9.1"})
    message = user_error(path)
    assert "Столбец K" in message and "не указан максимальный балл" in message


def test_duplicate_task_ids(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx", header_overrides={"6 (1б)": "7 (1б)"})
    message = user_error(path)
    assert "Задание «7» встречается в форме дважды" in message
    assert "H" in message and "I" in message


def test_duplicate_ids_after_normalisation(tmp_path: Path) -> None:
    path = english8_2026(tmp_path / "e8.xlsx", header_overrides={"4К2 (2б)": "4K1 (2б)"})
    assert "Задание «4К1» встречается в форме дважды" in user_error(path)


def test_header_max_differs_from_list(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx", header_overrides={"4 (3б)": "4 (2б)"})
    message = user_error(path)
    assert "Столбец F" in message and "«4 (2б)»" in message
    assert "в заголовке максимум 2 балла" in message
    assert "до 3 баллов" in message


def test_duplicate_named_column(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "r4.xlsx", header_overrides={HEADER_MARK: HEADER_GENDER})
    assert "два столбца «Пол»" in user_error(path)


def test_errors_are_russian_sentences(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04garbage")
    message = user_error(path)
    assert message.endswith(".") and "x.xlsx" in message


# --- the real form ---------------------------------------------------------------------------


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="the real ФИС ОКО sample is not available")
def test_real_geography7_form() -> None:
    info = read_template(SHARED_SAMPLE)
    assert len(info.tasks) == 17
    assert info.parts == 2
    assert info.max_total == 19
    assert info.grade == 7
    assert info.code_range == (70001, 71500)
    assert (info.first_data_row, info.last_data_row) == (2, 1499)
    assert info.allowed_values[info.variant_columns[1]] == VARIANT_VALUES
    assert info.allowed_values[info.task("6").column] == TASK_VALUES_2
    assert info.allows_not_passed is True
    assert info.gender_column is not None and info.total_column is not None
    assert len(info.textbooks) == 7
