"""Parsing of pupil lists: journal exports, hand-made lists, CSV variants, broken files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from coordinator_app.errors import UserError
from coordinator_app.formats.pupil_list import ParsedPupilList, PupilRow, parse_pupil_list

try:
    from tests.fixtures import pupil_lists as fx
except ImportError:  # pragma: no cover - depends on how pytest puts tests/ on sys.path
    from fixtures import pupil_lists as fx  # type: ignore[no-redef]


def _fields(row: PupilRow) -> tuple:
    return (row.row_number, row.surname, row.name, row.patronymic, row.class_name, row.gender)


def _by_row(parsed: ParsedPupilList) -> dict[int, PupilRow]:
    return {r.row_number: r for r in parsed.rows}


def _error(path: Path, **kwargs) -> str:
    with pytest.raises(UserError) as err:
        parse_pupil_list(path, **kwargs)
    return str(err.value)


# -- journal export -------------------------------------------------------------------------


def test_journal_export(tmp_path: Path) -> None:
    parsed = parse_pupil_list(fx.journal_export_xlsx(tmp_path))
    assert parsed.kind == "xlsx"
    assert parsed.encoding is None and parsed.delimiter is None
    assert parsed.columns == {"surname": "Фамилия", "name": "Имя", "patronymic": "Отчество", "gender": "Пол",
                              "birth": "Дата рождения"}    # kept: it tells namesakes apart (issue 10)
    assert [r.surname for r in parsed.rows if not r.birth_date] == ["Королёва"]     # her cell is empty
    got = [(r.row_number, r.surname, r.name, r.patronymic, r.gender) for r in parsed.rows]
    assert got == fx.JOURNAL_EXPECTED
    assert {r.class_name for r in parsed.rows} == {"5А"}
    assert {(r.grade, r.letter) for r in parsed.rows} == {(5, "А")}
    assert {r.sheet for r in parsed.rows} == {"Список"}
    assert all(r.ok and not r.warnings for r in parsed.rows)
    # The class came from the title row; the user is told so.
    assert any("5А" in w and "Класс: 5А" in w for w in parsed.file_warnings)
    assert parsed.summary() == "Строк: 9, готовы к импорту: 9, с ошибками: 0"
    assert len(parsed.ok_rows) == 9 and parsed.problem_rows == []


def test_journal_export_namesakes_and_hyphens_are_fine(tmp_path: Path) -> None:
    rows = _by_row(parse_pupil_list(fx.journal_export_xlsx(tmp_path)))
    # Two «Иванов Иван» with different patronymics in one class: no problem, no warning.
    assert rows[11].ok and rows[12].ok and not rows[11].warnings and not rows[12].warnings
    assert rows[9].surname == "Воронцова-Дашкова"
    assert rows[10].surname == "Ёлкин" and rows[10].name == "Фёдор"  # «ё» kept
    assert rows[15].patronymic == "Гусейн оглы"


def test_journal_export_skips_total_and_signature(tmp_path: Path) -> None:
    parsed = parse_pupil_list(fx.journal_export_xlsx(tmp_path))
    assert max(r.row_number for r in parsed.rows) == 16
    assert not any("Итого" in r.fio or "руководитель" in r.fio.casefold() for r in parsed.rows)


def test_default_class_does_not_override_title(tmp_path: Path) -> None:
    parsed = parse_pupil_list(fx.journal_export_xlsx(tmp_path), default_class="7Б")
    assert {r.class_name for r in parsed.rows} == {"5А"}


# -- one ФИО column -------------------------------------------------------------------------


def test_fio_column_with_odd_class_spellings(tmp_path: Path) -> None:
    parsed = parse_pupil_list(fx.fio_column_xlsx(tmp_path))
    assert parsed.columns == {"fio": "ФИО ученика", "class": "Класс", "gender": "Пол"}
    assert [_fields(r) for r in parsed.rows] == fx.FIO_COLUMN_EXPECTED
    assert all(r.ok for r in parsed.rows)
    # «Абрамов Кирилл Олегович» is in 4А and in 5В: namesakes across classes, no warning.
    assert not any(r.warnings for r in parsed.rows)
    assert parsed.summary() == "Строк: 11, готовы к импорту: 11, с ошибками: 0"


# -- problems -------------------------------------------------------------------------------


def test_problem_rows(tmp_path: Path) -> None:
    parsed = parse_pupil_list(fx.problem_rows_xlsx(tmp_path))
    rows = _by_row(parsed)
    assert sorted(rows) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]  # «Всего: 11» skipped
    assert rows[2].ok and rows[11].ok
    assert "фамилия" in " ".join(rows[3].problems).casefold()
    assert "имя" in " ".join(rows[4].problems).casefold()
    assert "без буквы" in rows[5].problems[0] and "«5»" in rows[5].problems[0]
    assert rows[5].class_name is None and rows[5].grade is None and rows[5].letter is None
    assert "от 4 до 11" in rows[6].problems[0] and "3А" in rows[6].problems[0]
    assert "от 4 до 11" in rows[7].problems[0] and "12Б" in rows[7].problems[0]
    assert "Не удалось понять класс «5АБ»" in rows[8].problems[0]
    assert rows[9].problems == ["Непонятный пол «х»: ожидается м или ж"]
    assert rows[9].class_name == "5А"  # the rest of the row is still read
    assert rows[10].problems == ["Не указан класс"]
    assert rows[12].problems == ["Вместо имени инициалы: «Н.» — нужно полностью",
                                 "Вместо отчества инициалы: «А.» — нужно полностью"]
    assert all(len(rows[n].problems) == 1 for n in (3, 4, 5, 6, 7, 8, 9, 10))
    assert [r.row_number for r in parsed.problem_rows] == [3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert parsed.summary() == "Строк: 11, готовы к импорту: 2, с ошибками: 9"


def test_repeated_row_is_a_warning_not_a_problem(tmp_path: Path) -> None:
    rows = _by_row(parse_pupil_list(fx.problem_rows_xlsx(tmp_path)))
    expected = (
        "Два ученика с одинаковым ФИО в классе 5А (строки 2 и 11): проверьте, что строка не повторена"
    )
    assert rows[2].warnings == [expected]
    assert rows[11].warnings == [expected]
    assert rows[2].ok and rows[11].ok


def test_duplicates_match_ignoring_case_and_yo(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "d.xlsx",
        {
            "Лист1": [
                ["ФИО", "Класс"],
                ["Королёв Пётр", "6А"],
                ["КОРОЛЕВ  петр", "6-а"],
                ["Королёв Пётр", "6А"],
                ["Королёв Пётр", "6Б"],  # another class: a namesake, fine
            ]
        },
    )
    rows = _by_row(parse_pupil_list(path))
    text = "Три ученика с одинаковым ФИО в классе 6А (строки 2, 3 и 4)"
    assert all(rows[n].warnings and rows[n].warnings[0].startswith(text) for n in (2, 3, 4))
    assert rows[5].warnings == []
    assert all(r.ok for r in rows.values())


def test_one_word_fio_is_a_problem(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "f.xlsx",
        {"Лист1": [["Ф.И.О.", "Класс"], ["Иванов", "5А"], ["Петров Пётр", "5А"], [None, "5А"]]},
    )
    rows = _by_row(parse_pupil_list(path))
    assert "одно слово" in rows[2].problems[0] and "Иванов" in rows[2].problems[0]
    assert rows[3].ok
    assert rows[4].problems == ["Не указаны фамилия и имя"]


def test_digits_in_names_are_a_problem(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "n.xlsx",
        {"Лист1": [["Фамилия", "Имя", "Класс"], [123, "Иван", "5А"], ["Петров", 4.0, "5А"]]},
    )
    rows = _by_row(parse_pupil_list(path))
    assert rows[2].problems == ["В фамилии есть цифры: «123»"]
    assert rows[3].problems == ["В имени есть цифры: «4»"]


def test_excel_numbers_and_none_cells(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "x.xlsx",
        {
            "Лист1": [
                ["Фамилия", "Имя", "Отчество", "Класс", "Пол"],
                ["Сидоров", "Сидор", None, 5.0, None],
                ["Сидорова", "Анна", None, 5, "ж"],
                ["Кузьмин", "Ян", None, "5А", None],
            ]
        },
    )
    rows = _by_row(parse_pupil_list(path))
    assert "без буквы" in rows[2].problems[0]
    assert "без буквы" in rows[3].problems[0]
    assert rows[4].ok and rows[4].patronymic == "" and rows[4].gender is None


def test_class_cell_empty_uses_title_class(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "t.xlsx",
        {"Лист1": [["5А класс"], ["ФИО", "Класс"], ["Иванов Иван", None], ["Петров Пётр", "5Б"]]},
    )
    rows = _by_row(parse_pupil_list(path))
    assert rows[3].class_name == "5А"
    assert rows[4].class_name == "5Б"


# -- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["ФИО", "Ф.И.О.", "фио ученика", "Фамилия Имя Отчество", "Фамилия, имя, отчество", "Обучающийся",
     "Ученик", " ФИО  обучающегося ", "Ф. И. О."],
)  # fmt: skip
def test_fio_header_names(tmp_path: Path, header: str) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "h.xlsx", {"Лист1": [["№", header, "Класс"], [1, "Иванов Иван Иванович", "4А"]]}
    )
    parsed = parse_pupil_list(path)
    assert parsed.columns["fio"] == " ".join(header.split())
    assert [_fields(r) for r in parsed.rows] == [(2, "Иванов", "Иван", "Иванович", "4А", None)]


@pytest.mark.parametrize(
    ("surname", "name", "patronymic", "class_", "gender"),
    [
        ("Фамилия", "Имя", "Отчество", "Класс", "Пол"),
        (" ФАМИЛИЯ ", "имя", "отчество", "класс", "ПОЛ"),
        ("Фамилия ученика", "Имя ученика", "Отчество (при наличии)", "Класс:", "Пол (м/ж)"),
        ("Фамилия", "Имя", "Отчёство", "Кл.", "Пол м/ж"),
    ],
)
def test_separate_header_names(tmp_path: Path, surname, name, patronymic, class_, gender) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "h.xlsx",
        {"Лист1": [[surname, name, patronymic, class_, gender], ["Иванов", "Иван", "Иванович", "4А", "м"]]},
    )
    parsed = parse_pupil_list(path)
    assert set(parsed.columns) == {"surname", "name", "patronymic", "class", "gender"}
    assert [_fields(r) for r in parsed.rows] == [(2, "Иванов", "Иван", "Иванович", "4А", "м")]


def test_columns_in_any_order_and_other_columns_ignored(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "o.xlsx",
        {
            "Лист1": [
                ["Пол", "СНИЛС", "Отчество", "Класс", "№", "Имя", "Дата рождения", "Фамилия"],
                ["ж", "111-222-333 44", "Олеговна", "8Г", 1, "Вера", "01.01.2012", "Орлова"],
            ]
        },
    )
    parsed = parse_pupil_list(path)
    assert [_fields(r) for r in parsed.rows] == [(2, "Орлова", "Вера", "Олеговна", "8Г", "ж")]


def test_header_found_within_30_rows_only(tmp_path: Path) -> None:
    title = [["Школа"]] + [[] for _ in range(28)]  # header on row 30
    ok = fx.xlsx_from_rows(tmp_path / "ok.xlsx", {"5А": title + [["ФИО"], ["Иванов Иван"]]})
    assert [r.row_number for r in parse_pupil_list(ok).rows] == [31]
    late = fx.xlsx_from_rows(tmp_path / "late.xlsx", {"5А": title + [[], ["ФИО"], ["Иванов Иван"]]})
    assert "заголовк" in _error(late)


def test_header_repeated_on_each_page_is_skipped(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "r.xlsx",
        {"Лист1": [["ФИО", "Класс"], ["Иванов Иван", "5А"], ["ФИО", "Класс"], ["Петров Пётр", "5А"]]},
    )
    assert [r.row_number for r in parse_pupil_list(path).rows] == [2, 4]


def test_title_class_in_two_cells(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "c.xlsx",
        {"Лист1": [["Школа № 1"], ["Класс:", "10-б"], [], ["Фамилия", "Имя"], ["Иванов", "Иван"]]},
    )
    assert [r.class_name for r in parse_pupil_list(path).rows] == ["10Б"]


def test_empty_rows_skipped_everywhere(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(
        tmp_path / "e.xlsx",
        {"Лист1": [[], ["№", "ФИО", "Класс"], [], [None, None], [1, "Иванов Иван", "5А"], [], [" ", ""], [3]]},
    )
    parsed = parse_pupil_list(path)
    assert [r.row_number for r in parsed.rows] == [5]  # «3» alone in the «№» column is not a pupil


# -- class source ---------------------------------------------------------------------------


def test_multi_sheet(tmp_path: Path) -> None:
    parsed = parse_pupil_list(fx.multi_sheet_xlsx(tmp_path))
    got = [(r.sheet, r.row_number, r.surname, r.class_name) for r in parsed.rows]
    assert got == [
        ("5А", 2, "Орлова", "5А"),
        ("5А", 3, "Павлов", "5А"),
        ("5А", 4, "Семёнов", "5А"),
        ("5Б", 3, "Семёнов", "5Б"),
        ("5Б", 4, "Тихонова", "5Б"),
        ("Лист3", 4, "Уткин", "6В"),
        ("Лист3", 5, "Фомина", "6В"),
    ]
    assert all(r.ok and not r.warnings for r in parsed.rows)  # Семёнов in 5А and 5Б: namesakes
    assert any("Сводка" in w and "пропущен" in w for w in parsed.file_warnings)
    assert not any("Пустой" in w for w in parsed.file_warnings)


def test_duplicates_across_sheets_name_the_sheets(tmp_path: Path) -> None:
    header = ["Фамилия", "Имя", "Класс"]
    path = fx.xlsx_from_rows(
        tmp_path / "s.xlsx",
        {"Первый": [header, ["Иванов", "Иван", "5А"]], "Второй": [header, [], ["Иванов", "Иван", "5а"]]},
    )
    rows = parse_pupil_list(path).rows
    assert rows[0].warnings == rows[1].warnings
    assert "лист «Первый», строка 2" in rows[0].warnings[0]
    assert "лист «Второй», строка 3" in rows[0].warnings[0]


def test_class_from_sheet_name_and_default(tmp_path: Path) -> None:
    header = ["Фамилия", "Имя"]
    path = fx.xlsx_from_rows(tmp_path / "s.xlsx", {"7 В": [header, ["Иванов", "Иван"]]})
    assert parse_pupil_list(path).rows[0].class_name == "7В"
    path = fx.xlsx_from_rows(tmp_path / "d.xlsx", {"Лист1": [header, ["Иванов", "Иван"]]})
    assert parse_pupil_list(path, default_class="8-г").rows[0].class_name == "8Г"


def test_no_class_anywhere(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(tmp_path / "n.xlsx", {"Лист1": [["Фамилия", "Имя"], ["Иванов", "Иван"]]})
    text = _error(path)
    assert "нет столбца «Класс»" in text
    assert "укажите класс при импорте" in text
    assert "Лист1" in text


def test_bad_default_class(tmp_path: Path) -> None:
    path = fx.xlsx_from_rows(tmp_path / "n.xlsx", {"Лист1": [["Фамилия", "Имя"], ["Иванов", "Иван"]]})
    assert "«3А»" in _error(path, default_class="3А")


# -- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig"), ("cp1251", False, "cp1251")],
)
def test_csv_variants(tmp_path: Path, encoding: str, bom: bool, detected: str, delimiter: str) -> None:
    parsed = parse_pupil_list(fx.csv_variant(tmp_path, encoding, delimiter, bom))
    assert parsed.kind == "csv"
    assert parsed.encoding == detected
    assert parsed.delimiter == delimiter
    assert [_fields(r) for r in parsed.rows] == fx.CSV_EXPECTED
    assert all(r.sheet is None and r.ok for r in parsed.rows)
    assert parsed.summary() == "Строк: 5, готовы к импорту: 5, с ошибками: 0"


def test_csv_utf16_from_excel_unicode_text(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("ФИО\tКласс\r\nЁлкин Пётр\t4Б\r\n".encode("utf-16"))
    parsed = parse_pupil_list(path)
    assert parsed.encoding == "utf-16" and parsed.delimiter == "\t"
    assert [_fields(r) for r in parsed.rows] == [(2, "Ёлкин", "Пётр", "", "4Б", None)]


def test_csv_line_numbers_count_blank_and_multiline_records(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text('ФИО;Класс;Примечание\n\nИванов Иван;5А;"две\nстроки"\nПетров Пётр;5А;\n', encoding="utf-8")
    rows = parse_pupil_list(path).rows
    assert [(r.row_number, r.surname) for r in rows] == [(3, "Иванов"), (5, "Петров")]


def test_csv_one_column_with_default_class(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("ФИО\nИванов Иван\nПетрова Анна Ивановна\n", encoding="cp1251")
    parsed = parse_pupil_list(path, default_class="9а")
    assert parsed.encoding == "cp1251"
    assert [_fields(r) for r in parsed.rows] == [
        (2, "Иванов", "Иван", "", "9А", None),
        (3, "Петрова", "Анна", "Ивановна", "9А", None),
    ]


def test_csv_comma_header_in_one_cell_is_not_confused(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Фамилия,Имя,Отчество\nИванов,Иван,Иванович\n", encoding="utf-8")
    parsed = parse_pupil_list(path, default_class="5А")
    assert parsed.delimiter == ","
    assert [_fields(r) for r in parsed.rows] == [(2, "Иванов", "Иван", "Иванович", "5А", None)]


def test_csv_class_from_title_line(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Класс: 11 «А»;;\n;;\nФамилия;Имя;Пол\nИванов;Иван;Мужской\n", encoding="utf-8")
    parsed = parse_pupil_list(path)
    assert [_fields(r) for r in parsed.rows] == [(4, "Иванов", "Иван", "", "11А", "м")]


# -- unsupported and broken files -----------------------------------------------------------


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, Path]:
    return fx.broken_files(tmp_path)


def test_xls_message(broken: dict[str, Path]) -> None:
    assert _error(broken["xls"]) == (
        "Файл .xls (старый формат Excel) не поддерживается. Откройте его в Excel или LibreOffice и "
        "сохраните как .xlsx (Книга Excel), затем импортируйте снова."
    )


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("random_xlsx", ["повреждён", "сохраните", ".xlsx"]),
        ("truncated_xlsx", ["повреждён", "сохраните", ".xlsx"]),
        ("empty_csv", ["пустой"]),
        ("blank_csv", ["пустой"]),
        ("empty_xlsx", ["пустой"]),
        ("ods", [".ods", "сохраните как .xlsx"]),
        ("docx", ["текстовый документ", ".xlsx"]),
        ("pdf", ["PDF", ".xlsx"]),
        ("unknown", ["не поддерживается", ".xlsx", ".csv"]),
        ("no_header_xlsx", ["Ни на одном листе", "ФИО", "Фамилия", "Класс"]),
        ("no_header_csv", ["заголовк", "ФИО", "Фамилия", "Класс"]),
        ("no_class_csv", ["нет столбца «Класс»", "укажите класс при импорте"]),
    ],
)
def test_broken_files_give_a_russian_message(broken: dict[str, Path], key: str, words: list[str]) -> None:
    text = _error(broken[key])
    for word in words:
        assert word in text, (word, text)


def test_xlsx_saved_with_xls_extension_is_read(broken: dict[str, Path]) -> None:
    parsed = parse_pupil_list(broken["xlsx_named_xls"])
    assert parsed.kind == "xlsx" and len(parsed.ok_rows) == 9


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "не найден" in _error(tmp_path / "нет такого.xlsx")
    assert "папка" in _error(tmp_path)


def test_random_bytes_never_crash(tmp_path: Path) -> None:
    rnd = random.Random(7)
    for i in range(30):
        ext = [".csv", ".xlsx", ".txt", ".xls", ".ods"][i % 5]
        path = tmp_path / f"junk{i}{ext}"
        size = rnd.randint(1, 3000)
        data = bytes(rnd.getrandbits(8) for _ in range(size))
        if i % 3 == 0:
            data = b"PK\x03\x04" + data
        path.write_bytes(data)
        with pytest.raises(UserError):
            parse_pupil_list(path)


def test_truncated_at_every_size_never_crashes(tmp_path: Path) -> None:
    blob = fx.journal_export_xlsx(tmp_path / "src").read_bytes()
    for cut in range(100, len(blob), max(1, len(blob) // 25)):
        path = tmp_path / "cut.xlsx"
        path.write_bytes(blob[:cut])
        with pytest.raises(UserError) as err:
            parse_pupil_list(path)
        assert "повреждён" in str(err.value)


# -- big list -------------------------------------------------------------------------------


def test_big_list(tmp_path: Path) -> None:
    path = fx.big_list_xlsx(tmp_path, n=1500)
    parsed = parse_pupil_list(path)       # (its speed: bench/import_pupils.py)
    assert len(parsed.rows) == 1500
    assert parsed.problem_rows == []
    assert {r.grade for r in parsed.rows} == set(fx.BIG_LIST_GRADES)
    expected = fx.big_list_rows(1500)
    got = [(r.surname, r.name, r.patronymic, r.class_name, r.gender) for r in parsed.rows]
    assert got == expected
    assert parsed.summary() == "Строк: 1500, готовы к импорту: 1500, с ошибками: 0"


def test_big_list_is_deterministic(tmp_path: Path) -> None:
    a = fx.big_list_xlsx(tmp_path / "a", n=200)
    b = fx.big_list_xlsx(tmp_path / "b", n=200)
    ra = [(r.fio, r.class_name) for r in parse_pupil_list(a).rows]
    rb = [(r.fio, r.class_name) for r in parse_pupil_list(b).rows]
    assert ra == rb and len(ra) == 200


def test_password_protected_xlsx(tmp_path: Path) -> None:
    # Excel stores a password-protected .xlsx in an OLE2 container, like an old .xls.
    path = tmp_path / "с паролем.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    text = _error(path)
    assert "паролем" in text and ".xlsx" in text
