"""Filling the ФИС ОКО result form: values checked first, the template's structure kept, and the
file read back by the import gives exactly the rows that were written."""

from __future__ import annotations

import hashlib
import shutil
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from coordinator_app.errors import UserError
from coordinator_app.formats.fisoko.blank import FormSpec, generate_form
from coordinator_app.formats.fisoko.check import ExportProblem, FormRowData, check_rows
from coordinator_app.formats.fisoko.fill import fill_template
from coordinator_app.formats.fisoko.filled import FilledForm, read_filled_form
from coordinator_app.formats.fisoko.template import read_template
from tests.fixtures.fisoko_forms import (
    ENGLISH8_2026_TASKS,
    GEOGRAPHY7_2025_TASKS,
    HISTORY6_TASKS,
    RUSSIAN4_2026_TASKS,
    SHARED_SAMPLE,
    default_textbooks,
    english8_2026,
    geography7_2025,
    history6_parenthesised,
    make_form,
    russian4_2026,
)

ROWS = 60  # last data row of the quick fixtures (rows 2..60: 59 participants)

RUSSIAN = [(t, m, 1) for t, m in RUSSIAN4_2026_TASKS]
ENGLISH = [(t, m, 1) for t, m in ENGLISH8_2026_TASKS]
GEOGRAPHY = [(t, m, part) for part, ts in enumerate(GEOGRAPHY7_2025_TASKS, 1) for t, m in ts]
HISTORY = [(t, m, 1) for t, m in HISTORY6_TASKS]


@dataclass
class Layout:
    name: str
    build: Callable[..., Path]
    tasks: list[tuple[str, int, int]]
    parts: int
    grade: int
    not_passed: bool
    gender: bool


LAYOUTS = [
    Layout("russian4", russian4_2026, RUSSIAN, 1, 4, True, True),
    Layout("geography7", geography7_2025, GEOGRAPHY, 2, 7, True, True),
    Layout("english8", english8_2026, ENGLISH, 1, 8, False, False),
    Layout("history6", history6_parenthesised, HISTORY, 1, 6, True, True),
]


def make_rows(layout: Layout, n: int = 12, *, first_code: int | None = None) -> list[FormRowData]:
    """Varied rows: absent pupils, X, «не пройд.» where the work allows it, every journal mark."""
    start = first_code or layout.grade * 10000 + 1
    marks = ["5", "4", "3", "2", "нет отметки", None]
    rows = []
    for i in range(n):
        absent = i % 5 == 3
        scores: dict[str, str | None] = {}
        for j, (task_id, max_score, _part) in enumerate(layout.tasks):
            value = str((i + j) % (max_score + 1))
            if (i + j) % 7 == 0:
                value = "X"
            elif layout.not_passed and (i + 2 * j) % 11 == 0:
                value = "не пройд."
            scores[task_id] = value
        variants = {p: str((i + p) % 2 + 1) for p in range(1, layout.parts + 1)}
        rows.append(
            FormRowData(
                code=str(start + i),
                absent=absent,
                variants=variants,
                scores=scores,
                class_ordinal=1 + i % 3,
                gender=("м", "ж")[i % 2] if i % 4 != 2 else None,
                journal_mark=marks[i % len(marks)],
            )
        )
    return rows


def read_back(path: Path, layout: Layout) -> FilledForm:
    return read_filled_form(path, tasks=layout.tasks, parts=layout.parts,
                            allows_not_passed=layout.not_passed)


def expected(row: FormRowData, layout: Layout, *, gender: bool | None = None,
             mark: bool = True) -> tuple:
    has_gender = layout.gender if gender is None else gender
    variants = {p: (None if row.absent else row.variants[p]) for p in range(1, layout.parts + 1)}
    scores = {t: (None if row.absent else row.scores.get(t)) for t, _m, _p in layout.tasks}
    if row.absent:   # the code and «отсутствовал» only, as real filled forms hold them
        return (row.code, True, variants, scores, None, None, None)
    return (row.code, row.absent, variants, scores, row.class_ordinal,
            row.gender if has_gender else None, row.journal_mark if mark else None)


def actual(form: FilledForm) -> list[tuple]:
    return [(r.code, r.absent, r.variants, r.scores, r.class_ordinal, r.gender, r.journal_mark)
            for r in form.rows]


def assert_round_trip(path: Path, layout: Layout, rows: list[FormRowData], **kw: Any) -> None:
    form = read_back(path, layout)
    assert form.ok, [p.text() for p in form.problems]
    assert actual(form) == [expected(r, layout, **kw) for r in rows]
    first = read_template(path).first_data_row
    assert [r.row for r in form.rows] == list(range(first, first + len(rows)))


def load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_workbook(path)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def validations(ws) -> list[tuple]:
    return sorted(
        (dv.type, dv.formula1, dv.formula2, str(dv.sqref)) for dv in ws.data_validations.dataValidation
    )


def widths(ws) -> dict[str, float | None]:
    return {k: v.width for k, v in ws.column_dimensions.items()}


def assert_structure_kept(template: Path, out: Path) -> None:
    """Everything but the data cells of «Протокол» and the rows of «Классы» is as in the template."""
    a, b = load(template), load(out)
    assert a.sheetnames == b.sheetnames
    assert [ws.sheet_state for ws in a.worksheets] == [ws.sheet_state for ws in b.worksheets]
    assert b["Служебный"].sheet_state == "hidden"
    assert a.active.title == b.active.title
    assert set(a.defined_names) == set(b.defined_names)
    info = read_template(template)
    for ws_a, ws_b in zip(a.worksheets, b.worksheets):
        assert validations(ws_a) == validations(ws_b), ws_a.title
        assert widths(ws_a) == widths(ws_b), ws_a.title
        if ws_a.title in ("Служебный", "Порядковый номер класса"):
            assert list(ws_a.values) == list(ws_b.values), ws_a.title
    pa, pb = a[info.sheet], b[info.sheet]
    header = [(c.value, c.font.b, c.style_id) for c in pa[info.header_row]]
    assert header == [(c.value, c.font.b, c.style_id) for c in pb[info.header_row]]
    assert info.total_column is not None
    for r in range(info.first_data_row, info.last_data_row + 1):
        formula = pa.cell(row=r, column=info.total_column).value
        assert isinstance(formula, str) and formula.startswith("=IF(LEN(")
        assert pb.cell(row=r, column=info.total_column).value == formula, r
    # The structure as the import sees it: columns, lists, ranges, textbooks.
    assert read_template(out) == info


# --------------------------------------------------------------------------------------------
# Filling templates and reading them back


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
def test_fill_round_trips_and_keeps_structure(tmp_path: Path, layout: Layout) -> None:
    template = layout.build(tmp_path / "template.xlsx", rows=ROWS)
    before = sha(template)
    rows = make_rows(layout, 14)
    books = default_textbooks(layout.grade)
    out = tmp_path / "out" / "filled.xlsx"
    calls: list[tuple[int, int]] = []
    fill_template(template, out, rows, textbooks={1: books[0], 3: books[2]},
                  progress=lambda done, total: calls.append((done, total)))

    assert sha(template) == before  # the downloaded form stays a blank template
    assert_round_trip(out, layout, rows)
    assert_structure_kept(template, out)
    assert calls[0] == (0, 14) and calls[-1] == (14, 14) and len(calls) == 15

    wb = load(out)
    ws = wb["Протокол"]
    info = read_template(out)
    # Values stored the way the real form stores them.
    assert ws.cell(row=2, column=info.code_column).value == int(rows[0].code)
    assert isinstance(ws.cell(row=2, column=info.variant_columns[1]).value, int)
    texts = {c.value for row in ws.iter_rows(min_row=2, max_row=15) for c in row
             if isinstance(c.value, str) and not c.value.startswith("=")}
    assert "X" in texts and "Х" not in texts  # Latin X only
    assert ("не пройд." in texts) == layout.not_passed
    assert "нет отметки" in texts and "отсутствовал" in texts
    marks = [ws.cell(row=r, column=info.journal_mark_column).value for r in range(2, 16)]
    assert 5 in marks and "5" not in marks
    # Классы: one row per class ordinal with its textbook.
    classes = wb["Классы"]
    assert [list(r) for r in classes.iter_rows(min_row=2, max_row=4, max_col=2, values_only=True)] \
        == [[1, books[0]], [3, books[2]], [None, None]]


def test_absent_marked_in_part_one_only_like_the_real_form(tmp_path: Path) -> None:
    layout = LAYOUTS[1]
    template = layout.build(tmp_path / "geo.xlsx", rows=ROWS)
    rows = [FormRowData("70001", True, {1: "1", 2: "2"}, {t: "1" for t, _m, _p in GEOGRAPHY},
                        class_ordinal=2, gender="ж", journal_mark="4")]
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    info = read_template(out)
    ws = load(out)["Протокол"]
    assert ws.cell(row=2, column=info.variant_columns[1]).value == "отсутствовал"
    assert ws.cell(row=2, column=info.variant_columns[2]).value is None
    assert all(ws.cell(row=2, column=t.column).value is None for t in info.tasks)
    # the code and «отсутствовал» only: no class number, gender or mark (as real filled forms are)
    for column in (info.class_ordinal_column, info.gender_column, info.journal_mark_column):
        assert column is None or ws.cell(row=2, column=column).value is None, column


def test_cyrillic_x_and_loose_spellings_are_written_as_the_form_spells_them(tmp_path: Path) -> None:
    layout = LAYOUTS[0]
    template = layout.build(tmp_path / "ru.xlsx", rows=ROWS)
    scores = {t: "0" for t, _m, _p in RUSSIAN}
    scores.update({"1": "Х", "2": "х", "3": "Не  пройд"})
    rows = [FormRowData("40001", False, {1: "2"}, scores, 1, "М", "Нет отметки")]
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    ws = load(out)["Протокол"]
    info = read_template(out)
    assert ws.cell(row=2, column=info.task("1").column).value == "X"
    assert ws.cell(row=2, column=info.task("2").column).value == "X"
    assert ws.cell(row=2, column=info.task("3").column).value == "не пройд."
    assert ws.cell(row=2, column=info.gender_column).value == "м"
    assert ws.cell(row=2, column=info.journal_mark_column).value == "нет отметки"


def test_previous_data_in_the_template_is_replaced(tmp_path: Path) -> None:
    layout = LAYOUTS[0]
    old = [{"code": 40000 + i, "variants": {1: 1}, "scores": {t: 0 for t, _m, _p in RUSSIAN},
            "class_ordinal": 1, "gender": "м", "mark": 3} for i in range(1, 9)]
    template = layout.build(tmp_path / "ru.xlsx", rows=ROWS, filled=old)
    rows = make_rows(layout, 3, first_code=40101)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    assert_round_trip(out, layout, rows)


def test_a_template_replaced_on_disk_is_read_again_even_with_the_same_size_and_time(tmp_path: Path) -> None:
    """Repeated exports reuse the parsed template; a changed file never fills from the old one."""
    import os

    first, second = LAYOUTS[0], LAYOUTS[1]
    template = first.build(tmp_path / "form.xlsx", rows=ROWS)
    fill_template(template, tmp_path / "a.xlsx", make_rows(first, 3))
    fill_template(template, tmp_path / "b.xlsx", make_rows(first, 3))      # from the parsed template
    assert_round_trip(tmp_path / "b.xlsx", first, make_rows(first, 3))
    stamp = template.stat().st_mtime_ns
    other = second.build(tmp_path / "other.xlsx", rows=ROWS)
    data = other.read_bytes()
    template.write_bytes(data)
    os.utime(template, ns=(stamp, stamp))
    rows = make_rows(second, 3)
    fill_template(template, tmp_path / "c.xlsx", rows)
    assert_round_trip(tmp_path / "c.xlsx", second, rows)


def test_the_written_form_names_this_program_not_a_library(tmp_path: Path) -> None:
    from coordinator_app import APP_TITLE

    layout = LAYOUTS[0]
    template = layout.build(tmp_path / "form.xlsx", rows=ROWS)          # made by openpyxl
    out = tmp_path / "out.xlsx"
    fill_template(template, out, make_rows(layout, 3))
    props = load(out).properties
    assert props.creator == APP_TITLE and props.lastModifiedBy == APP_TITLE
    with zipfile.ZipFile(out) as zf:
        app = zf.read("docProps/app.xml").decode("utf-8")
    assert f"<Application>{APP_TITLE}</Application>" in app and "penpyxl" not in app
    # a template with a real author keeps it; this program is the last to have changed it
    book = load(template)
    book.properties.creator = "ФИС ОКО"
    book.save(template)
    fill_template(template, out, make_rows(layout, 3))
    props = load(out).properties
    assert props.creator == "ФИС ОКО" and props.lastModifiedBy == APP_TITLE


def test_an_unknown_total_formula_is_left_for_excel_never_a_stale_zero(tmp_path: Path) -> None:
    """The 2026 forms hold an Итого formula of another shape with a cached 0 in every row: the
    filled form keeps the formula, drops the stale 0 and asks Excel to recalculate on opening."""
    import re

    layout = LAYOUTS[2]                                            # english8: one part, no gender
    template = layout.build(tmp_path / "en.xlsx", rows=ROWS)
    info = read_template(template)
    book = load(template)
    ws = book[info.sheet]
    first, last = info.tasks[0].column, info.tasks[-1].column
    from openpyxl.utils import get_column_letter as letter

    for r in range(info.first_data_row, ROWS + 1):
        ws.cell(row=r, column=info.total_column).value = (
            f'=IF(COUNTA({letter(first)}{r}:{letter(last)}{r})=0,"",SUMPRODUCT(--({letter(first)}{r}:{letter(last)}{r}<>"")))')
    book.save(template)
    with zipfile.ZipFile(template) as zf:                          # every Итого cached as 0, as ФИС ОКО's
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as zf:
        for item, data in items:
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"(<f>[^<]*</f>)(<v\s*/>|<v></v>)?</c>", rb"\1<v>0</v></c>", data)
            zf.writestr(item, data)
    out = tmp_path / "out.xlsx"
    rows = make_rows(layout, 4)
    fill_template(template, out, rows)
    cached = load_workbook(out, data_only=True)[info.sheet]
    formulas = load(out)[info.sheet]
    for i in range(len(rows)):
        r = info.first_data_row + i
        assert formulas.cell(row=r, column=info.total_column).value.startswith("=IF(COUNTA(")
        assert cached.cell(row=r, column=info.total_column).value is None       # no stale 0
    with zipfile.ZipFile(out) as zf:
        assert b'fullCalcOnLoad="1"' in zf.read("xl/workbook.xml")


def test_no_textbooks_leaves_classes_sheet_alone(tmp_path: Path) -> None:
    layout = LAYOUTS[1]
    books = default_textbooks(7)
    template = layout.build(tmp_path / "geo.xlsx", rows=ROWS, class_textbooks={2: books[1]})
    out = tmp_path / "out.xlsx"
    fill_template(template, out, make_rows(layout, 2))
    assert list(load(out)["Классы"].iter_rows(min_row=2, max_row=2, max_col=2, values_only=True)) \
        == [(2, books[1])]


def test_form_without_gender_and_mark_columns_ignores_them(tmp_path: Path) -> None:
    layout = Layout("no-mark", lambda p, **kw: make_form(p, tasks=RUSSIAN4_2026_TASKS, grade=4,
                                                          gender=False, journal_mark=False, **kw),
                    RUSSIAN, 1, 4, True, False)
    template = layout.build(tmp_path / "t.xlsx", rows=ROWS)
    rows = make_rows(layout, 6)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    assert_round_trip(out, layout, rows, mark=False)


def test_real_size_template(tmp_path: Path) -> None:
    layout = LAYOUTS[0]
    template = layout.build(tmp_path / "ru.xlsx")  # data rows 2..1499 like the real form
    rows = make_rows(layout, 120)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    assert_round_trip(out, layout, rows)
    assert_structure_kept(template, out)


# --------------------------------------------------------------------------------------------
# Excel 2010+ validations (extLst)


def x14_count(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return sum(zf.read(n).decode("utf-8").count("<x14:dataValidation ")
                   for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
def test_x14_validations_survive_filling(tmp_path: Path, layout: Layout) -> None:
    template = layout.build(tmp_path / "t.xlsx", rows=ROWS, x14_validations=True)
    info = read_template(template)
    assert x14_count(template) > 0
    rows = make_rows(layout, 8)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows, textbooks={1: info.textbooks[0]})
    assert x14_count(out) == x14_count(template)
    after = read_template(out)
    assert after.allowed_values == info.allowed_values
    assert after == info
    assert_round_trip(out, layout, rows)
    # The sheet XML stays well-formed with the namespaces declared.
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                ElementTree.fromstring(zf.read(name))


# --------------------------------------------------------------------------------------------
# Problems: nothing written


def valid_russian_rows() -> list[FormRowData]:
    return make_rows(LAYOUTS[0], 4)


def _problem_case(tmp_path: Path, layout: Layout, rows: list[FormRowData], *,
                  textbooks: dict[int, str] | None = None, last_row: int = ROWS) -> UserError:
    template = layout.build(tmp_path / "t.xlsx", rows=last_row)
    out = tmp_path / "out" / "filled.xlsx"
    with pytest.raises(UserError) as err:
        fill_template(template, out, rows, textbooks=textbooks)
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    assert err.value.message.startswith("Форма не сохранена: ошибок — ")
    assert err.value.message.startswith(f"Форма не сохранена: ошибок — {len(err.value.details)}.")
    return err.value


def with_score(row: FormRowData, task: str, value: str | None) -> FormRowData:
    return FormRowData(row.code, row.absent, dict(row.variants), {**row.scores, task: value},
                       row.class_ordinal, row.gender, row.journal_mark)


@pytest.mark.parametrize(
    ("layout_index", "change", "fragments"),
    [
        (0, lambda r: with_score(r, "9.1", "3"),
         ["код 40001", "столбец «9.1 (1б)»", "значение «3»", "нет в списке допустимых значений"]),
        (0, lambda r: with_score(r, "4", "4"), ["столбец «4 (3б)»", "значение «4»"]),
        (2, lambda r: with_score(r, "1", "не пройд."),
         ["код 80001", "столбец «1 (5б)»", "значение «не пройд.»", "нет в списке"]),
        (0, lambda r: with_score(r, "2", "-1"), ["значение «-1»"]),
        (0, lambda r: with_score(r, "2", "abc"), ["значение «abc»"]),
        (0, lambda r: with_score(r, "12.2", None), ["столбец «12.2 (1б)»", "не заполнено"]),
        (0, lambda r: with_score(r, "13", "1"), ["столбец «13»", "в форме нет такого задания"]),
        (0, lambda r: FormRowData("41501", False, r.variants, r.scores),
         ["код 41501", "столбец «Код участника»", "значение «41501»", "вне диапазона формы"]),
        (0, lambda r: FormRowData("50001", False, r.variants, r.scores), ["значение «50001»"]),
        (0, lambda r: FormRowData("4001", False, r.variants, r.scores), ["пять цифр"]),
        (0, lambda r: FormRowData(r.code, False, {1: "3"}, r.scores),
         ["код 40001", "столбец «Вариант»", "значение «3»", "нет в списке"]),
        (0, lambda r: FormRowData(r.code, False, {1: None}, r.scores),
         ["столбец «Вариант»", "не указан вариант"]),
        (1, lambda r: FormRowData(r.code, False, {1: "1"}, r.scores),
         ["столбец «Вариант (часть 2)»", "не указан вариант"]),
        (0, lambda r: FormRowData(r.code, False, r.variants, r.scores, class_ordinal=51),
         ["столбец «Порядковый номер класса»", "значение «51»", "от 1 до 50"]),
        (0, lambda r: FormRowData(r.code, False, r.variants, r.scores, gender="мужской"),
         ["столбец «Пол»", "значение «мужской»"]),
        (0, lambda r: FormRowData(r.code, False, r.variants, r.scores, journal_mark="6"),
         ["значение «6»", "нет в списке"]),
    ],
)
def test_invalid_value_refused_and_nothing_written(tmp_path: Path, layout_index: int, change,
                                                   fragments: list[str]) -> None:
    layout = LAYOUTS[layout_index]
    rows = make_rows(layout, 4)
    rows[0] = change(FormRowData(rows[0].code, False, {p: "1" for p in range(1, layout.parts + 1)},
                                 {t: "0" for t, _m, _p in layout.tasks}, 1, None, "4"))
    err = _problem_case(tmp_path, layout, rows)
    assert len(err.details) == 1, err.details
    for fragment in fragments:
        assert fragment in err.details[0], err.details


def test_duplicated_code_refused(tmp_path: Path) -> None:
    rows = valid_russian_rows()
    rows[2].code = rows[0].code
    err = _problem_case(tmp_path, LAYOUTS[0], rows)
    assert err.details == ["код 40001, столбец «Код участника», значение «40001»: "
                           "код повторяется: участник уже есть в форме"]


def test_overflow_refused(tmp_path: Path) -> None:
    layout = LAYOUTS[0]
    rows = make_rows(layout, 12)
    err = _problem_case(tmp_path, layout, rows, last_row=12)  # data rows 2..12: 11 participants
    assert len(err.details) == 1
    assert "код 40012" in err.details[0] and "не помещается в форму" in err.details[0]
    assert "11 строк" in err.details[0] and "участников 12" in err.details[0]


def test_1500th_row_overflows_the_real_form(tmp_path: Path) -> None:
    layout = LAYOUTS[0]
    template = layout.build(tmp_path / "t.xlsx")  # rows 2..1499
    info = read_template(template)
    rows = [FormRowData(str(40001 + i), True, {}, {}) for i in range(1499)]
    assert check_rows(info, rows[:1498]) == []
    problems = check_rows(info, rows)
    assert [p.code for p in problems] == ["41499"]
    out = tmp_path / "out.xlsx"
    with pytest.raises(UserError):
        fill_template(template, out, rows)
    assert not out.exists()


def test_textbook_not_in_list_refused(tmp_path: Path) -> None:
    err = _problem_case(tmp_path, LAYOUTS[1], make_rows(LAYOUTS[1], 2),
                        textbooks={1: "Мой учебник"})
    assert err.details == ["столбец «Основной учебник по предмету (лист «Классы»)», значение "
                           "«Мой учебник»: класс 1: такого учебника нет в списке формы"]


def test_every_problem_listed_at_once(tmp_path: Path) -> None:
    rows = valid_russian_rows()
    rows[0] = with_score(rows[0], "9.1", "3")
    rows[1] = with_score(rows[1], "1", "7")
    rows[1].journal_mark = "1"
    rows[3].code = rows[0].code
    err = _problem_case(tmp_path, LAYOUTS[0], rows)
    assert len(err.details) == 4
    assert err.message.startswith("Форма не сохранена: ошибок — 4.")
    assert "код 40001" in err.details[0] and "код 40002" in err.details[1]


def test_existing_output_is_not_replaced_on_error(tmp_path: Path) -> None:
    template = russian4_2026(tmp_path / "t.xlsx", rows=ROWS)
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous")
    rows = valid_russian_rows()
    rows[0] = with_score(rows[0], "1", "9")
    with pytest.raises(UserError):
        fill_template(template, out, rows)
    assert out.read_bytes() == b"previous"


def test_output_must_differ_from_template(tmp_path: Path) -> None:
    template = russian4_2026(tmp_path / "t.xlsx", rows=ROWS)
    before = sha(template)
    with pytest.raises(UserError, match="другим именем"):
        fill_template(template, template, valid_russian_rows())
    assert sha(template) == before


def test_absent_row_ignores_variants_and_scores(tmp_path: Path) -> None:
    template = russian4_2026(tmp_path / "t.xlsx", rows=ROWS)
    info = read_template(template)
    rows = [FormRowData("40001", True, {1: "7"}, {"1": "99"}, None, None, None)]
    assert check_rows(info, rows) == []


def test_problem_text_format() -> None:
    p = ExportProblem("40001", "9.1 (1б)", "3", "нет в списке допустимых значений формы")
    assert p.text() == ("код 40001, столбец «9.1 (1б)», значение «3»: нет в списке допустимых "
                        "значений формы")
    assert ExportProblem("40001", "2 (1б)", "", "не заполнено").text() == \
        "код 40001, столбец «2 (1б)»: не заполнено"


def test_not_a_form_template_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    out = tmp_path / "out.xlsx"
    with pytest.raises(UserError):
        fill_template(bad, out, valid_russian_rows())
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# Generating a form without a template


def spec_for(layout: Layout, **kw: Any) -> FormSpec:
    options: dict[str, Any] = dict(grade=layout.grade, tasks=layout.tasks, parts=layout.parts,
                                   has_gender=layout.gender, allows_not_passed=layout.not_passed)
    return FormSpec(**(options | kw))


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
def test_generated_form_reads_back(tmp_path: Path, layout: Layout) -> None:
    books = default_textbooks(layout.grade, 3)
    spec = spec_for(layout, textbooks=books)
    rows = make_rows(layout, 10)
    out = tmp_path / "gen.xlsx"
    calls: list[tuple[int, int]] = []
    generate_form(out, spec, rows, textbooks={2: books[1]},
                  progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (10, 10)

    info = read_template(out)
    assert [(t.task_id, t.max_score, t.part) for t in info.tasks] == layout.tasks
    assert info.parts == layout.parts
    assert (info.gender_column is not None) == layout.gender
    assert info.journal_mark_column is not None and info.class_ordinal_column is not None
    assert info.total_column is not None
    assert info.allows_not_passed == layout.not_passed
    assert info.code_range == (layout.grade * 10000 + 1, layout.grade * 10000 + 1500)
    assert (info.first_data_row, info.last_data_row) == (2, 1499)
    assert info.has_classes_sheet and info.textbooks == books
    # Every input column is guarded by a list except the code (a decimal range).
    listed = {*info.variant_columns.values(), *(t.column for t in info.tasks),
              info.class_ordinal_column, info.journal_mark_column}
    assert listed <= set(info.allowed_values)
    assert_round_trip(out, layout, rows)

    wb = load(out)
    assert wb.sheetnames == ["Классы", "Протокол", "Служебный", "Порядковый номер класса"]
    assert wb["Служебный"].sheet_state == "hidden"
    assert wb.active.title == "Протокол"
    ws = wb["Протокол"]
    assert all(c.font.b for c in ws[1])
    assert ws.column_dimensions["A"].width == pytest.approx(9.14)
    for r in (2, 50, 1499):
        formula = ws.cell(row=r, column=info.total_column).value
        first_task = info.tasks[0].column
        assert formula.startswith(f"=IF(LEN({ws.cell(row=r, column=first_task).coordinate})>0, SUM(")
    assert list(wb["Классы"].iter_rows(min_row=2, max_row=2, max_col=2, values_only=True)) \
        == [(2, books[1])]


def test_generated_form_without_textbooks_gender_or_mark(tmp_path: Path) -> None:
    layout = LAYOUTS[2]
    spec = spec_for(layout, has_journal_mark=False, code_range=(80001, 80300))
    rows = make_rows(layout, 5)
    out = tmp_path / "gen.xlsx"
    generate_form(out, spec, rows)
    info = read_template(out)
    assert not info.has_classes_sheet and info.gender_column is None
    assert info.journal_mark_column is None and info.code_range == (80001, 80300)
    assert load(out).sheetnames == ["Протокол", "Служебный", "Порядковый номер класса"]
    assert_round_trip(out, layout, rows, mark=False)


def test_generated_form_fills_the_template_path_again(tmp_path: Path) -> None:
    """A generated blank form works as a template for fill_template too."""
    layout = LAYOUTS[1]
    blank = tmp_path / "blank.xlsx"
    generate_form(blank, spec_for(layout), [])
    rows = make_rows(layout, 7)
    out = tmp_path / "out.xlsx"
    fill_template(blank, out, rows)
    assert_round_trip(out, layout, rows)
    assert_structure_kept(blank, out)


def test_generated_form_refuses_bad_values(tmp_path: Path) -> None:
    layout = LAYOUTS[0]
    rows = make_rows(layout, 3)
    rows[1] = with_score(rows[1], "4", "5")
    out = tmp_path / "gen.xlsx"
    with pytest.raises(UserError) as err:
        generate_form(out, spec_for(layout), rows)
    assert not out.exists()
    assert err.value.details == [
        "код 40002, столбец «4 (3б)», значение «5»: нет в списке допустимых значений формы "
        "(допустимы: 3, 2, 1, 0, «X», «не пройд.»)"
    ]


def test_generated_form_more_variants_when_used(tmp_path: Path) -> None:
    layout = LAYOUTS[0]
    rows = make_rows(layout, 2)
    rows[0].variants = {1: "4"}
    out = tmp_path / "gen.xlsx"
    generate_form(out, spec_for(layout), rows)
    assert read_template(out).allowed_values[2] == ["1", "2", "3", "4", "отсутствовал"]
    assert_round_trip(out, layout, rows)


@pytest.mark.parametrize(
    "spec",
    [
        FormSpec(4, [], 1, True, True),
        FormSpec(4, [("1", 1, 1), ("1", 2, 1)], 1, True, True),
        FormSpec(4, [("1", 0, 1)], 1, True, True),
        FormSpec(4, [("1", 1, 1)], 2, True, True),
    ],
)
def test_bad_spec_refused(tmp_path: Path, spec: FormSpec) -> None:
    out = tmp_path / "gen.xlsx"
    with pytest.raises(UserError, match="Нельзя построить форму"):
        generate_form(out, spec, [])
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# The real 2025 form


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="the real sample form is not available")
def test_real_sample_form(tmp_path: Path) -> None:
    layout = Layout("sample", geography7_2025, GEOGRAPHY, 2, 7, True, True)
    copy = tmp_path / "sample.xlsx"
    shutil.copyfile(SHARED_SAMPLE, copy)
    copy.chmod(0o644)
    info = read_template(copy)
    # Clear its data rows (the sample holds a school's filled results).
    wb = load(copy)
    ws = wb[info.sheet]
    inputs = [info.code_column, *info.variant_columns.values(), *(t.column for t in info.tasks),
              info.class_ordinal_column, info.gender_column, info.journal_mark_column]
    for r in range(info.first_data_row, info.last_data_row + 1):
        for c in inputs:
            ws.cell(row=r, column=c).value = None
    wb.save(copy)
    blank = read_template(copy)
    assert blank == info
    assert read_back(copy, layout).rows == []

    rows = make_rows(layout, 30, first_code=70101)
    out = tmp_path / "filled.xlsx"
    fill_template(copy, out, rows, textbooks={1: info.textbooks[0], 2: info.textbooks[3]})
    assert_round_trip(out, layout, rows)
    assert_structure_kept(copy, out)
    classes = load(out)["Классы"]
    assert list(classes.iter_rows(min_row=2, max_row=3, max_col=2, values_only=True)) == \
        [(1, info.textbooks[0]), (2, info.textbooks[3])]

    # Filling the sample as it is (with a school's data in it) replaces that data.
    out2 = tmp_path / "filled2.xlsx"
    fill_template(SHARED_SAMPLE, out2, rows[:5])
    assert_round_trip(out2, layout, rows[:5])
    assert read_template(out2) == info


# --------------------------------------------------------------------------------------------
# Итого results stored for readers that do not calculate


@pytest.mark.parametrize("layout", [LAYOUTS[0], LAYOUTS[1]], ids=lambda lay: lay.name)
def test_total_results_are_cached(tmp_path: Path, layout: Layout) -> None:
    template = layout.build(tmp_path / "t.xlsx", rows=ROWS, x14_validations=True)
    rows = make_rows(layout, 10)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    info = read_template(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = load_workbook(out, data_only=True)[info.sheet]
    for i, row in enumerate(rows):
        cached = values.cell(row=info.first_data_row + i, column=info.total_column).value
        if row.absent:
            assert cached in ("", None)
        else:
            assert cached == sum(int(v) for v in row.scores.values() if v and v.isdigit())
    assert values.cell(row=ROWS, column=info.total_column).value in ("", None)
    # The formulas themselves are untouched.
    assert_structure_kept(template, out)


def test_x14_namespaces_declared_on_the_root_and_on_classes_sheet(tmp_path: Path) -> None:
    """Excel may declare x14/xm on <worksheet>; the Классы list may be an x14 one too."""
    from tests.fixtures.fisoko_forms import _move_cross_sheet_validations_to_x14

    template = geography7_2025(tmp_path / "t.xlsx", rows=ROWS, x14_validations=True)
    _move_cross_sheet_validations_to_x14(template, "Классы", load(template).sheetnames)
    with zipfile.ZipFile(template) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    x14 = ' xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"'
    xm = ' xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"'
    with zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as zf:
        for item, data in items:
            text = data.decode("utf-8")
            if item.filename == "xl/worksheets/sheet2.xml":
                assert x14 in text and xm in text
                text = text.replace(x14, "").replace(xm, "")
                text = text.replace("<worksheet ", "<worksheet" + x14 + xm + " ", 1)
            zf.writestr(item, text.encode("utf-8") if item.filename.endswith(".xml") else data)
    info = read_template(template)
    assert info.textbooks and len(info.allowed_values) > 10
    layout = LAYOUTS[1]
    rows = make_rows(layout, 5)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows, textbooks={1: info.textbooks[1]})
    assert x14_count(out) == x14_count(template) > 19
    assert read_template(out) == info
    assert_round_trip(out, layout, rows)


def test_present_pupil_cannot_have_absent_as_variant(tmp_path: Path) -> None:
    rows = valid_russian_rows()
    rows[0].variants = {1: "отсутствовал"}
    err = _problem_case(tmp_path, LAYOUTS[0], rows)
    assert err.details == ["код 40001, столбец «Вариант», значение «отсутствовал»: ученик не "
                           "отмечен отсутствующим: нужен номер варианта"]


def test_text_goes_into_a_shared_strings_table_like_excel_writes_it(tmp_path: Path) -> None:
    """openpyxl writes text inline; the form keeps Excel's layout (xl/sharedStrings.xml), which an
    uploader reading only shared strings needs to see «отсутствовал», «X», «не пройд.»."""
    import zipfile

    from coordinator_app.formats.fisoko.check import FormRowData
    from coordinator_app.formats.fisoko.fill import fill_template
    from tests.fixtures import fisoko_forms as forms

    template = forms.russian4_2026(tmp_path / "t.xlsx")
    rows = [FormRowData(code="40001", absent=True, variants={1: None}, scores={}, class_ordinal=None, gender=None,
                        journal_mark=None),
            FormRowData(code="40002", absent=False, variants={1: "1"},
                        scores={t: "X" for t, _ in forms.RUSSIAN4_2026_TASKS}, class_ordinal=1, gender="ж",
                        journal_mark="нет отметки")]
    fill_template(template, tmp_path / "out.xlsx", rows)
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        assert "xl/sharedStrings.xml" in z.namelist()
        table = z.read("xl/sharedStrings.xml").decode("utf-8")
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert all(b'inlineStr' not in z.read(n) for n in sheets)
        assert "sharedStrings" in z.read("[Content_Types].xml").decode()
    for text in ("отсутствовал", "X", "нет отметки", "ж"):
        assert f">{text}<" in table


# --------------------------------------------------------------------------------------------
# The package is filled in place (the changed sheets' XML spliced); openpyxl's load and save is
# the fallback. Both must give the same workbook as openpyxl reads it.


def excel_like(template: Path) -> Path:
    """`template` as Excel saves a form: text in a shared-strings table, every data cell of the
    input columns present and styled, the Итого formulas shared from the first data row with stale
    cached results, rows with `spans`, an XML declaration on the sheet."""
    import re

    from coordinator_app.formats.fisoko.ooxml import shared_strings

    info = read_template(template)
    inputs = sorted({info.code_column, *info.variant_columns.values(),
                     *(t.column for t in info.tasks), info.class_ordinal_column,
                     *(c for c in (info.gender_column, info.journal_mark_column) if c)})
    total = info.total_column
    letter = lambda c: chr(ord("A") + c - 1)  # noqa: E731 - the quick fixtures stay within A..Z
    packaged = shared_strings(template.read_bytes())
    with zipfile.ZipFile(__import__("io").BytesIO(packaged)) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
        assert "xl/sharedStrings.xml" in zf.namelist()
        sheet = "xl/worksheets/sheet2.xml"  # «Протокол» (after «Классы»)
        assert b"\xd0\x9a\xd0\xbe\xd0\xb4 \xd1\x83\xd1\x87\xd0\xb0\xd1\x81\xd1\x82" not in zf.read(sheet)

    def row(m: re.Match) -> str:
        n, body = int(m.group(1)), m.group(2)
        if n < info.first_data_row:
            return f'<row r="{n}" spans="1:{total}">{body}</row>'
        cells = {c: f'<c r="{letter(c)}{n}" s="1"/>' for c in inputs}
        for cell in re.findall(r"<c [^>]*?(?:/>|>.*?</c>)", body):
            col = ord(re.search(r'r="([A-Z])', cell).group(1)) - ord("A") + 1
            if col != total:
                cells[col] = cell.replace("<c ", '<c s="1" ', 1) if ' s="' not in cell else cell
                continue
            formula = re.search(r"<f>(.*?)</f>", cell).group(1)
            if n == info.first_data_row:
                f = (f'<f t="shared" ref="{letter(total)}{n}:{letter(total)}{info.last_data_row}" '
                     f'si="0">{formula}</f>')
            else:
                f = '<f t="shared" si="0"/>'
            cells[col] = f'<c r="{letter(col)}{n}" s="1">{f}<v>7</v></c>'
        return (f'<row r="{n}" spans="1:{total}">' + "".join(cells[c] for c in sorted(cells))
                + "</row>")

    with zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as zf:
        for item, data in items:
            if item.filename == sheet:
                xml = re.sub(r'<row r="(\d+)"[^>]*>(.*?)</row>', row, data.decode("utf-8"))
                data = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml).encode()
            zf.writestr(item, data)
    return template


def snapshot(path: Path, *, data_only: bool = False) -> dict:
    """Everything openpyxl reads from a workbook that a user or ФИС ОКО could see."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(path, data_only=data_only)
    out: dict[str, Any] = {"sheets": wb.sheetnames, "active": wb.active.title,
                           "names": sorted(wb.defined_names)}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                style = (c.font, c.fill, c.border, c.alignment, c.number_format, c.protection)
                cells[c.coordinate] = (type(c.value).__name__, c.value, *map(repr, style))
        out[ws.title] = (ws.sheet_state, cells, validations(ws), widths(ws),
                         sorted(str(r) for r in ws.merged_cells.ranges), ws.freeze_panes)
    return out


class FillPaths:
    """Which way `fill_template` / `generate_form` filled the package."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from coordinator_app.formats.fisoko import fill

        self.fallbacks = 0
        self._module = fill
        self._monkeypatch = monkeypatch
        original = fill.fill_with_openpyxl

        def counted(*args: Any, **kwargs: Any) -> bytes:
            self.fallbacks += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(fill, "fill_with_openpyxl", counted)

    def force_openpyxl(self) -> None:
        def unusual(*_args: Any, **_kwargs: Any) -> bytes:
            raise self._module.Unusual("forced by the test")

        self._monkeypatch.setattr(self._module, "fill_package", unusual)


@pytest.fixture
def fill_paths(monkeypatch: pytest.MonkeyPatch) -> FillPaths:
    return FillPaths(monkeypatch)


VARIANTS = [
    pytest.param(layout, variant, id=f"{layout.name}-{variant}")
    for layout in LAYOUTS for variant in ("plain", "x14", "filled", "excel")
]


@pytest.mark.parametrize(("layout", "variant"), VARIANTS)
def test_spliced_form_reads_like_the_openpyxl_fill(tmp_path: Path, layout: Layout, variant: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cell value and style, validation, width, sheet state and cached Итого result of the
    spliced form is what the openpyxl load-and-save fill gives for the same rows."""
    filled = None
    if variant in ("filled", "excel"):
        filled = [{"code": layout.grade * 10000 + 900 + i,
                   "variants": {p: 1 for p in range(1, layout.parts + 1)},
                   "scores": {t: 0 for t, _m, _p in layout.tasks}, "class_ordinal": 1,
                   "mark": 3, **({"gender": "м"} if layout.gender else {})} for i in range(20)]
    template = layout.build(tmp_path / "t.xlsx", rows=ROWS, x14_validations=variant == "x14",
                            filled=filled)
    if variant == "excel":
        excel_like(template)
    info = read_template(template)
    rows = make_rows(layout, 14)
    books = {1: info.textbooks[0], 3: info.textbooks[2]}

    paths = FillPaths(monkeypatch)
    fill_template(template, tmp_path / "spliced.xlsx", rows, textbooks=books)
    assert paths.fallbacks == 0
    paths.force_openpyxl()
    fill_template(template, tmp_path / "openpyxl.xlsx", rows, textbooks=books)
    assert paths.fallbacks == 1

    spliced, reference = tmp_path / "spliced.xlsx", tmp_path / "openpyxl.xlsx"
    assert snapshot(spliced) == snapshot(reference)
    assert snapshot(spliced, data_only=True) == snapshot(reference, data_only=True)
    assert read_template(spliced) == info
    assert_round_trip(spliced, layout, rows)
    with zipfile.ZipFile(spliced) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert all(b"inlineStr" not in zf.read(n) for n in sheets)
        for name in zf.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                ElementTree.fromstring(zf.read(name))
    if variant == "x14":
        assert x14_count(spliced) == x14_count(template)


def test_excel_like_template_keeps_styles_shared_formulas_and_string_counts(
        tmp_path: Path, fill_paths: FillPaths) -> None:
    import re

    layout = LAYOUTS[0]
    old = [{"code": 40900 + i, "variants": {1: 2}, "scores": {t: "X" for t, _m, _p in RUSSIAN},
            "class_ordinal": 2, "gender": "ж", "mark": "нет отметки"} for i in range(30)]
    template = excel_like(layout.build(tmp_path / "t.xlsx", rows=ROWS, filled=old))
    info = read_template(template)
    rows = make_rows(layout, 12)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    assert fill_paths.fallbacks == 0
    assert_round_trip(out, layout, rows)  # the 18 stale rows below are gone too

    before, after = load(template)[info.sheet], load(out)[info.sheet]
    inputs = [info.code_column, info.variant_columns[1], *(t.column for t in info.tasks)]
    for r in range(info.first_data_row, ROWS + 1):
        for c in inputs:
            assert after.cell(row=r, column=c).style_id == before.cell(row=r, column=c).style_id != 0
        # The shared Итого formula, as openpyxl translates it, is the template's on every row.
        assert after.cell(row=r, column=info.total_column).value == \
            before.cell(row=r, column=info.total_column).value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = load_workbook(out, data_only=True)[info.sheet]
    for i, row in enumerate(rows):
        cached = values.cell(row=info.first_data_row + i, column=info.total_column).value
        want = "" if row.absent else sum(int(v) for v in row.scores.values() if v.isdigit())
        assert cached in ((None, "") if want == "" else (want,)), i
    assert values.cell(row=ROWS, column=info.total_column).value in ("", None)  # not the stale 7

    with zipfile.ZipFile(out) as zf:
        sst = zf.read("xl/sharedStrings.xml").decode("utf-8")
        refs = sum(len(re.findall(r'<c [^>]*t="s"', zf.read(n).decode("utf-8")))
                   for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))
        protocol = zf.read("xl/worksheets/sheet2.xml").decode("utf-8")
    assert f'count="{refs}"' in sst
    assert f'uniqueCount="{sst.count("<si>")}"' in sst
    assert protocol.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    assert '<f t="shared" si="0"/>' in protocol  # the formulas stay shared


def test_a_sheet_the_splicer_does_not_know_is_filled_through_openpyxl(
        tmp_path: Path, fill_paths: FillPaths) -> None:
    """Rows without their numbers are valid XML that the splicer does not handle: the form is
    filled the old way, and is just as right."""
    import re

    layout = LAYOUTS[1]
    template = layout.build(tmp_path / "t.xlsx", rows=ROWS)
    with zipfile.ZipFile(template) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as zf:
        for item, data in items:
            if item.filename == "xl/worksheets/sheet2.xml":
                data = re.sub(rb'<row r="\d+"', b"<row", data)
            zf.writestr(item, data)
    rows = make_rows(layout, 9)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    assert fill_paths.fallbacks == 1
    assert_round_trip(out, layout, rows)


def test_a_cell_that_does_not_read_back_as_meant_is_not_written(
        tmp_path: Path, fill_paths: FillPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-back catches a splice that wrote a wrong value: the spliced package is dropped
    and the form is filled through openpyxl instead."""
    from coordinator_app.formats.fisoko import splice

    original = splice.CellWriter.run

    def off_by_one(self: Any, cols: list[int], row: int, values: dict[int, Any]) -> str:
        if row == 3 and isinstance(values.get(3), int):
            values = {**values, 3: values[3] + 1}
        return original(self, cols, row, values)

    monkeypatch.setattr(splice.CellWriter, "run", off_by_one)
    layout = LAYOUTS[0]
    template = layout.build(tmp_path / "t.xlsx", rows=ROWS)
    rows = make_rows(layout, 6)
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    assert fill_paths.fallbacks == 1
    assert_round_trip(out, layout, rows)


def test_total_formulas_of_different_shapes_each_get_their_own_result(tmp_path: Path,
                                                                     fill_paths: FillPaths) -> None:
    """One row's Итого formula sums fewer tasks: its cached result follows its own formula, and
    the rows after it theirs."""
    layout = LAYOUTS[0]
    template = layout.build(tmp_path / "t.xlsx", rows=ROWS)
    info = read_template(template)
    wb = load(template)
    ws = wb[info.sheet]
    first_task = ws.cell(row=4, column=info.tasks[0].column).coordinate
    second_task = ws.cell(row=4, column=info.tasks[1].column).coordinate
    ws.cell(row=4, column=info.total_column).value = \
        f'=IF(LEN({first_task})>0, SUM({first_task}:{second_task}), "")'
    wb.save(template)
    rows = [FormRowData(str(40001 + i), False, {1: "1"}, {t: "1" for t, _m, _p in RUSSIAN},
                        1, "м", "4") for i in range(5)]
    out = tmp_path / "out.xlsx"
    fill_template(template, out, rows)
    assert fill_paths.fallbacks == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = load_workbook(out, data_only=True)[info.sheet]
    totals = [values.cell(row=r, column=info.total_column).value for r in range(2, 7)]
    assert totals == [len(RUSSIAN), len(RUSSIAN), 2, len(RUSSIAN), len(RUSSIAN)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
def test_generated_form_is_spliced_like_the_openpyxl_fill(tmp_path: Path, layout: Layout,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    books = default_textbooks(layout.grade, 3)
    spec = spec_for(layout, textbooks=books)
    rows = make_rows(layout, 10)
    paths = FillPaths(monkeypatch)
    generate_form(tmp_path / "spliced.xlsx", spec, rows, textbooks={2: books[1]})
    assert paths.fallbacks == 0
    paths.force_openpyxl()
    generate_form(tmp_path / "openpyxl.xlsx", spec, rows, textbooks={2: books[1]})
    assert snapshot(tmp_path / "spliced.xlsx") == snapshot(tmp_path / "openpyxl.xlsx")
    assert snapshot(tmp_path / "spliced.xlsx", data_only=True) == \
        snapshot(tmp_path / "openpyxl.xlsx", data_only=True)


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="the real sample form is not available")
def test_real_sample_spliced_keeps_what_it_does_not_fill(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The real form (re-saved by Google Sheets: numbers as «1.0», styles openpyxl would rewrite):
    the cells filled read exactly like the openpyxl fill's; every other cell reads exactly like the
    template's (openpyxl's own load and save would turn 1.0 into 1 and change alignments)."""
    layout = Layout("sample", geography7_2025, GEOGRAPHY, 2, 7, True, True)
    info = read_template(SHARED_SAMPLE)
    rows = make_rows(layout, 30, first_code=70101)
    books = {1: info.textbooks[0], 2: info.textbooks[3]}
    paths = FillPaths(monkeypatch)
    fill_template(SHARED_SAMPLE, tmp_path / "spliced.xlsx", rows, textbooks=books)
    assert paths.fallbacks == 0
    paths.force_openpyxl()
    fill_template(SHARED_SAMPLE, tmp_path / "openpyxl.xlsx", rows, textbooks=books)
    for data_only in (False, True):
        spliced = snapshot(tmp_path / "spliced.xlsx", data_only=data_only)
        reference = snapshot(tmp_path / "openpyxl.xlsx", data_only=data_only)
        template = snapshot(SHARED_SAMPLE, data_only=data_only)
        for title in spliced["sheets"]:
            cells = spliced[title][1]
            filled = {ref for ref in set(cells) | set(reference[title][1])
                      if int("".join(ch for ch in ref if ch.isdigit())) > 1
                      and title in (info.sheet, "Классы")}
            assert {r: cells.get(r) for r in filled} == \
                {r: reference[title][1].get(r) for r in filled}, title
            assert {r: v for r, v in cells.items() if r not in filled} == \
                {r: v for r, v in template[title][1].items() if r not in filled}, title
            assert spliced[title][2:] == template[title][2:], title
    assert_round_trip(tmp_path / "spliced.xlsx", layout, rows)
