"""Reading back a ФИС ОКО result form that the school filled in Excel."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordinator_app.errors import UserError
from coordinator_app.formats.fisoko.filled import (
    FilledForm,
    FormProblem,
    normalize_score,
    read_filled_form,
)
from tests.fixtures.fisoko_forms import (
    ENGLISH8_2026_TASKS,
    GEOGRAPHY7_2025_TASKS,
    HEADER_CODE,
    HEADER_GENDER,
    HEADER_MARK,
    RUSSIAN4_2026_TASKS,
    SHARED_SAMPLE,
    english8_2026,
    geography7_2025,
    make_form,
    russian4_2026,
)

RUSSIAN = [(t, m, 1) for t, m in RUSSIAN4_2026_TASKS]
ENGLISH = [(t, m, 1) for t, m in ENGLISH8_2026_TASKS]
GEOGRAPHY = [(t, m, part) for part, ts in enumerate(GEOGRAPHY7_2025_TASKS, 1) for t, m in ts]
ROWS = 60  # fewer pre-formatted rows keep the tests quick; one test uses the real 1499


def full_scores(tasks: list[tuple[str, int, int]], shift: int = 0) -> dict[str, int]:
    return {t: (i + shift) % (m + 1) for i, (t, m, _p) in enumerate(tasks)}


def read(path: Path, tasks, *, parts: int = 1, allows_not_passed: bool = True, **kw) -> FilledForm:
    return read_filled_form(path, tasks=tasks, parts=parts, allows_not_passed=allows_not_passed,
                            **kw)


def texts(form: FilledForm) -> list[str]:
    return [p.text() for p in form.problems]


def one_problem(form: FilledForm) -> FormProblem:
    assert len(form.problems) == 1, texts(form)
    return form.problems[0]


# --------------------------------------------------------------------------------------------
# normalize_score


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None), ("", None), ("  ", None),
        (0, "0"), (2, "2"), (1.0, "1"), (2.0, "2"), ("2", "2"), (" 1 ", "1"), ("1,0", "1"),
        ("X", "X"), ("x", "X"), ("Х", "X"), ("х", "X"), (" Х ", "X"),
        ("не пройд.", "не пройд."), ("не пройд", "не пройд."), ("непройд.", "не пройд."),
        ("НЕ ПРОЙД.", "не пройд."), ("Не  пройд", "не пройд."),
    ],
)
def test_normalize_score_accepts(raw, expected) -> None:
    assert normalize_score(raw, 2, True) == expected


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        (3, "больше максимума 2"), ("5", "больше максимума 2"), (-1, "отрицательный"),
        (1.5, "дробный"), ("1,5", "дробный"), ("abc", "недопустимое"), ("XX", "недопустимое"),
        (True, "недопустимое"), ("2б", "недопустимое"),
    ],
)
def test_normalize_score_refuses(raw, reason_part) -> None:
    with pytest.raises(ValueError) as err:
        normalize_score(raw, 2, True)
    assert reason_part in str(err.value)
    assert "2" in str(err.value)  # names the maximum


def test_normalize_score_not_passed_only_when_allowed() -> None:
    with pytest.raises(ValueError, match="не пройд"):
        normalize_score("не пройд.", 1, False)


# --------------------------------------------------------------------------------------------
# Clean forms read back exactly


def test_russian_clean_form_reads_back(tmp_path: Path) -> None:
    filled = [
        {"code": 40001, "variants": {1: 1}, "scores": full_scores(RUSSIAN), "class_ordinal": 1,
         "gender": "м", "mark": 5},
        {"code": "40002", "variants": {1: 2}, "scores": {**full_scores(RUSSIAN, 1), "2": "X"},
         "class_ordinal": 2, "gender": "ж", "mark": "нет отметки"},
        {"code": 40003.0, "variants": {1: "отсутствовал"}},
        {"code": " 40004 ", "variants": {1: 1.0},
         "scores": {**full_scores(RUSSIAN, 2), "9.1": "не пройд."}, "class_ordinal": 1.0,
         "gender": "ж", "mark": 2.0},
    ]
    path = russian4_2026(tmp_path / "ru.xlsx", filled=filled)  # the real 1499 rows
    form = read(path, RUSSIAN)
    assert form.ok, texts(form)
    assert [r.row for r in form.rows] == [2, 3, 4, 5]
    assert [r.code for r in form.rows] == ["40001", "40002", "40003", "40004"]
    first, second, absent, fourth = form.rows
    assert first.absent is False
    assert first.variants == {1: "1"}
    assert first.scores == {t: str(v) for t, v in full_scores(RUSSIAN).items()}
    assert list(first.scores) == [t for t, _m, _p in RUSSIAN]
    assert (first.class_ordinal, first.gender, first.journal_mark) == (1, "м", "5")
    assert second.scores["2"] == "X"
    assert (second.class_ordinal, second.gender, second.journal_mark) == (2, "ж", "нет отметки")
    assert absent.absent is True
    assert absent.variants == {1: None}
    assert set(absent.scores.values()) == {None}
    assert (absent.class_ordinal, absent.gender, absent.journal_mark) == (None, None, None)
    assert fourth.variants == {1: "1"}
    assert fourth.scores["9.1"] == "не пройд."
    assert (fourth.class_ordinal, fourth.journal_mark) == (1, "2")


def test_geography_two_parts_clean(tmp_path: Path) -> None:
    filled = [
        {"code": 70001, "variants": {1: 1, 2: 2}, "scores": full_scores(GEOGRAPHY),
         "class_ordinal": 3, "gender": "ж", "mark": 4},
        {"code": 70002, "variants": {1: "Отсутствовал "}},
        {"code": 70003, "variants": {1: 2, 2: 1}, "scores": full_scores(GEOGRAPHY, 1),
         "class_ordinal": 3, "gender": "М", "mark": 3},
    ]
    path = geography7_2025(tmp_path / "geo.xlsx", rows=ROWS, filled=filled)
    form = read(path, GEOGRAPHY, parts=2)
    assert form.ok, texts(form)
    assert [(r.code, r.absent) for r in form.rows] == [
        ("70001", False), ("70002", True), ("70003", False)
    ]
    assert form.rows[0].variants == {1: "1", 2: "2"}
    assert form.rows[2].variants == {1: "2", 2: "1"}
    assert form.rows[0].scores == {t: str(v) for t, v in full_scores(GEOGRAPHY).items()}
    assert form.rows[2].gender == "м"


def test_english_criteria_ids_no_gender(tmp_path: Path) -> None:
    scores = {"1": 5, "2": 0, "3": "Х", "4К1": 3, "4К2": 2, "4К3": "x", "4К4": 0}
    filled = [{"code": 80001, "variants": {1: 2}, "scores": scores, "class_ordinal": 1,
               "mark": 3}]
    path = english8_2026(tmp_path / "en.xlsx", rows=ROWS, filled=filled)
    form = read(path, ENGLISH, allows_not_passed=False)
    assert form.ok, texts(form)
    (row,) = form.rows
    assert row.scores == {"1": "5", "2": "0", "3": "X", "4К1": "3", "4К2": "2", "4К3": "X",
                          "4К4": "0"}
    assert row.gender is None
    assert row.journal_mark == "3"


def test_empty_form_has_no_rows(tmp_path: Path) -> None:
    form = read(russian4_2026(tmp_path / "empty.xlsx", rows=ROWS), RUSSIAN)
    assert form.ok and form.rows == []


def test_rows_with_empty_code_are_skipped_and_row_numbers_kept(tmp_path: Path) -> None:
    filled = [
        {"row": 5, "code": 40001, "variants": {1: 1}, "scores": full_scores(RUSSIAN)},
        {"row": 9, "code": 40002, "variants": {1: "отсутствовал"}},
    ]
    form = read(russian4_2026(tmp_path / "gaps.xlsx", rows=ROWS, filled=filled), RUSSIAN)
    assert form.ok, texts(form)
    assert [r.row for r in form.rows] == [5, 9]


# --------------------------------------------------------------------------------------------
# Bad values


def _russian_row(**over) -> dict:
    row = {"code": 40001, "variants": {1: 1}, "scores": full_scores(RUSSIAN), "class_ordinal": 1,
           "gender": "м", "mark": 4}
    scores = over.pop("scores", None)
    row.update(over)
    if scores:
        row["scores"] = {**row["scores"], **scores}
    return row


@pytest.mark.parametrize(
    ("over", "column", "value", "reason_part"),
    [
        ({"scores": {"9.1": 3}}, "9.1 (1б)", "3", "больше максимума 1"),
        ({"scores": {"4": 7}}, "4 (3б)", "7", "больше максимума 3"),
        ({"scores": {"1": -1}}, "1 (2б)", "-1", "от 0 до 2"),
        ({"scores": {"1": 1.5}}, "1 (2б)", "1,5", "дробный"),
        ({"scores": {"1": "два"}}, "1 (2б)", "два", "недопустимое"),
        ({"scores": {"12.2": "XX"}}, "12.2 (1б)", "XX", "недопустимое"),
        ({"code": 4001}, HEADER_CODE, "4001", "пять цифр"),
        ({"code": "40O01"}, HEADER_CODE, "40O01", "пять цифр"),
        ({"code": 40001.5}, HEADER_CODE, "40001,5", "пять цифр"),
        ({"variants": {1: 3}}, "Вариант", "3", "такого варианта нет"),
        ({"variants": {1: "первый"}}, "Вариант", "первый", "номер варианта"),
        ({"gender": "x"}, HEADER_GENDER, "x", "«м» или «ж»"),
        ({"class_ordinal": "4А"}, "Порядковый номер класса", "4А", "целое число"),
        ({"class_ordinal": 0}, "Порядковый номер класса", "0", "целое число"),
        ({"mark": 1}, HEADER_MARK, "1", "5, 4, 3, 2"),
        ({"mark": "хорошо"}, HEADER_MARK, "хорошо", "5, 4, 3, 2"),
    ],
)
def test_bad_value_gives_problem_naming_row_column_value(
    tmp_path: Path, over, column, value, reason_part
) -> None:
    filled = [
        _russian_row(code=40010),  # a clean row first: the problem is on row 3
        _russian_row(**over),
    ]
    form = read(russian4_2026(tmp_path / "bad.xlsx", rows=ROWS, filled=filled), RUSSIAN)
    assert not form.ok
    p = one_problem(form)
    assert (p.row, p.column, p.value) == (3, column, value)
    assert reason_part in p.reason
    text = p.text()
    assert text.startswith(f"строка 3, столбец «{column}», значение «{value}»: ")
    assert reason_part in text
    assert len(form.rows) == 2  # the row is still returned


def test_problem_text_example() -> None:
    p = FormProblem(7, "9.1 (1б)", "3", "больше максимума 1")
    assert p.text() == "строка 7, столбец «9.1 (1б)», значение «3»: больше максимума 1"
    empty = FormProblem(7, "9.1 (1б)", "", "не заполнено")
    assert empty.text() == "строка 7, столбец «9.1 (1б)»: не заполнено"


def test_not_passed_refused_when_work_does_not_allow_it(tmp_path: Path) -> None:
    filled = [_russian_row(scores={"2": "не пройд."})]
    form = read(russian4_2026(tmp_path / "np.xlsx", rows=ROWS, filled=filled), RUSSIAN,
                allows_not_passed=False)
    p = one_problem(form)
    assert (p.row, p.column, p.value) == (2, "2 (1б)", "не пройд.")
    assert "не используется" in p.reason
    assert form.rows[0].scores["2"] is None


def test_empty_task_and_variant_in_present_row(tmp_path: Path) -> None:
    scores = full_scores(RUSSIAN)
    del scores["5"], scores["11"]
    filled = [{"code": 40001, "variants": {1: 1}, "scores": scores},
              {"code": 40002, "scores": full_scores(RUSSIAN)}]
    form = read(russian4_2026(tmp_path / "holes.xlsx", rows=ROWS, filled=filled), RUSSIAN)
    assert [(p.row, p.column, p.value, p.reason) for p in form.problems] == [
        (2, "5 (2б)", "", "не заполнено"),
        (2, "11 (1б)", "", "не заполнено"),
        (3, "Вариант", "", "не указан вариант"),
    ]
    assert form.problems[0].text() == "строка 2, столбец «5 (2б)»: не заполнено"
    assert form.rows[0].scores["5"] is None


def test_row_with_code_only(tmp_path: Path) -> None:
    form = read(russian4_2026(tmp_path / "bare.xlsx", rows=ROWS, filled=[{"code": 40001}]),
                RUSSIAN)
    p = one_problem(form)
    assert (p.row, p.column) == (2, "Вариант")
    assert "отсутствовал" in p.reason


def test_two_parts_need_both_variants(tmp_path: Path) -> None:
    filled = [{"code": 70001, "variants": {1: 1}, "scores": full_scores(GEOGRAPHY)}]
    form = read(geography7_2025(tmp_path / "geo.xlsx", rows=ROWS, filled=filled), GEOGRAPHY,
                parts=2)
    p = one_problem(form)
    assert (p.row, p.column, p.reason) == (2, "Вариант (часть 2)", "не указан вариант")


def test_scores_in_absent_row(tmp_path: Path) -> None:
    filled = [
        {"code": 70001, "variants": {1: "отсутствовал"}, "scores": {"3": 1, "12": "X"}},
        {"code": 70002, "variants": {1: "отсутствовал", 2: 1}},
    ]
    form = read(geography7_2025(tmp_path / "abs.xlsx", rows=ROWS, filled=filled), GEOGRAPHY,
                parts=2)
    assert [(p.row, p.column, p.value) for p in form.problems] == [
        (2, "3 (1б)", "1"), (2, "12 (1б)", "X"), (3, "Вариант (часть 2)", "1"),
    ]
    assert all("отсутствовал" in p.reason for p in form.problems)
    assert [r.absent for r in form.rows] == [True, True]


def test_every_problem_is_collected(tmp_path: Path) -> None:
    filled = [
        _russian_row(code=40001, scores={"1": 9, "2": "?"}, gender="q"),
        _russian_row(code=40002, mark=7),
        _russian_row(code=40003, scores={"3": -2}),
    ]
    form = read(russian4_2026(tmp_path / "many.xlsx", rows=ROWS, filled=filled), RUSSIAN)
    assert [(p.row, p.column) for p in form.problems] == [
        (2, "1 (2б)"), (2, "2 (1б)"), (2, HEADER_GENDER), (3, HEADER_MARK), (4, "3 (2б)"),
    ]
    assert not form.ok


def test_data_without_code_is_reported(tmp_path: Path) -> None:
    filled = [{"variants": {1: 1}, "scores": full_scores(RUSSIAN)}]
    form = read(russian4_2026(tmp_path / "nocode.xlsx", rows=ROWS, filled=filled), RUSSIAN)
    p = one_problem(form)
    assert (p.row, p.column, p.value) == (2, HEADER_CODE, "")
    assert form.rows == []


# --------------------------------------------------------------------------------------------
# Codes


def test_duplicated_code_flagged_on_second_occurrence(tmp_path: Path) -> None:
    filled = [_russian_row(code=40001), _russian_row(code=40002), _russian_row(code="40001")]
    form = read(russian4_2026(tmp_path / "dup.xlsx", rows=ROWS, filled=filled), RUSSIAN)
    p = one_problem(form)
    assert (p.row, p.column, p.value) == (4, HEADER_CODE, "40001")
    assert "строке 2" in p.reason
    assert len(form.rows) == 3


def test_unknown_code(tmp_path: Path) -> None:
    filled = [_russian_row(code=40001), _russian_row(code=40099)]
    path = russian4_2026(tmp_path / "unknown.xlsx", rows=ROWS, filled=filled)
    form = read(path, RUSSIAN, known_codes={"40001", "40002"})
    p = one_problem(form)
    assert (p.row, p.value) == (3, "40099")
    assert p.reason == "кода нет в протоколе работы"
    assert read(path, RUSSIAN).ok  # without known codes nothing to compare with


# --------------------------------------------------------------------------------------------
# Another work's form, broken files


def test_form_of_another_work_is_refused(tmp_path: Path) -> None:
    path = english8_2026(tmp_path / "en.xlsx", rows=ROWS)
    with pytest.raises(UserError) as err:
        read(path, RUSSIAN)
    msg = str(err.value)
    assert msg.startswith("Форма не подходит к работе: ")
    assert "9.1" in msg  # missing
    assert "4К1 (3б)" in msg  # extra


def test_different_maximum_is_refused(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "ru.xlsx", rows=ROWS)
    tasks = [(t, 3 if t == "9.2" else m, p) for t, m, p in RUSSIAN]
    with pytest.raises(UserError, match=r"Форма не подходит к работе: .*9\.2 \(2б\).*максимум 3"):
        read(path, tasks)


def test_missing_and_extra_tasks_named(tmp_path: Path) -> None:
    path = russian4_2026(tmp_path / "ru.xlsx", rows=ROWS)
    tasks = [x for x in RUSSIAN if x[0] != "11"] + [("13", 1, 1)]
    with pytest.raises(UserError) as err:
        read(path, tasks)
    msg = str(err.value)
    assert "нет столбцов заданий 13" in msg
    assert "«11 (1б)»" in msg


def test_parts_mismatch_is_refused(tmp_path: Path) -> None:
    path = geography7_2025(tmp_path / "geo.xlsx", rows=ROWS)
    one_part = [(t, m, 1) for t, m, _p in GEOGRAPHY]
    with pytest.raises(UserError, match="Форма не подходит к работе: .*частей"):
        read(path, one_part, parts=1)


def test_latin_k_in_work_ids_matches(tmp_path: Path) -> None:
    path = english8_2026(tmp_path / "en.xlsx", rows=ROWS,
                         filled=[{"code": 80001, "variants": {1: 1},
                                  "scores": {t: 0 for t, _m in ENGLISH8_2026_TASKS}}])
    tasks = [(t.replace("К", "K"), m, p) for t, m, p in ENGLISH]
    form = read(path, tasks, allows_not_passed=False)
    assert form.ok, texts(form)
    assert list(form.rows[0].scores) == [t for t, _m, _p in tasks]


def test_broken_file_is_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 definitely not a workbook")
    with pytest.raises(UserError, match="повреждён"):
        read(bad, RUSSIAN)
    with pytest.raises(UserError, match="не найден"):
        read(tmp_path / "missing.xlsx", RUSSIAN)


def test_not_a_form_is_user_error(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "hello"
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with pytest.raises(UserError, match="Протокол"):
        read(path, RUSSIAN)


def test_x14_validations_and_shuffled_columns(tmp_path: Path) -> None:
    filled = [{"code": 40001, "variants": {1: 2}, "scores": full_scores(RUSSIAN),
               "gender": "жен", "mark": 5}]
    path = make_form(tmp_path / "x14.xlsx", tasks=RUSSIAN4_2026_TASKS, grade=4, rows=ROWS,
                     filled=filled, x14_validations=True,
                     column_order=[HEADER_GENDER, "Вариант", "Код участника"])
    form = read(path, RUSSIAN)
    assert form.ok, texts(form)
    assert form.rows[0].variants == {1: "2"}
    assert form.rows[0].gender == "ж"


# --------------------------------------------------------------------------------------------
# The real sample (not part of the project; read when present)


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="the real sample form is not available")
def test_real_geography_sample() -> None:
    tasks = [(str(i), 2 if i in (6, 7) else 1, 1 if i <= 9 else 2) for i in range(1, 18)]
    form = read_filled_form(SHARED_SAMPLE, tasks=tasks, parts=2, allows_not_passed=True)
    assert form.ok, texts(form)
    assert len(form.rows) == 30
    assert [r.code for r in form.rows if r.absent] == ["70037", "70038", "70048"]
    assert [r.row for r in form.rows if r.absent] == [7, 8, 18]
    present = [r for r in form.rows if not r.absent]
    assert all(None not in r.scores.values() for r in present)
    assert all(set(r.variants.values()) <= {"1", "2"} for r in present)
    assert all(r.gender in ("м", "ж") for r in present)
    assert "X" in {v for r in present for v in r.scores.values()}
