"""A blank ФИС ОКО form built from the work's definition, for a school without the downloaded one.

Laid out like the real form: «Классы» (when there are textbooks), «Протокол» (header row, list
validations pointing at the hidden «Служебный», a decimal range on the code, the Итого formulas),
«Служебный», «Порядковый номер класса». The blank form is then read back like a downloaded one
(`template.open_template`) and filled the same way (`fill`): one code path for both.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from coordinator_app.errors import UserError
from coordinator_app.formats.cells import value_text
from coordinator_app.formats.fisoko.check import FormRowData
from coordinator_app.formats.fisoko.fill import (
    ProgressFn,
    check_fill_and_write,
    put,
    save,
)
from coordinator_app.formats.fisoko.template import open_template
from coordinator_app.formats.fisoko.vocabulary import (
    ABSENT,
    CLASSES_HEADER,
    CLASSES_SHEET,
    GENDERS,
    HEADER_CLASS_ORDINAL,
    HEADER_CODE,
    HEADER_GENDER,
    HEADER_MARK,
    HEADER_TOTAL,
    HEADER_VARIANT,
    MARKS,
    NOT_PASSED,
    ORDINALS_SHEET,
    PROTOCOL_SHEET,
    SERVICE_SHEET,
    X,
)

__all__ = ["FormSpec", "generate_form"]

# Generated forms: the real form's proportions.
_GEN_FIRST_ROW = 2
_GEN_LAST_ROW = 1499
_GEN_CLASS_ORDINALS = 50
_GEN_CLASSES_ROWS = 1000
_GEN_WIDTH = 9.14
_GEN_SERVICE_WIDTH = 8.71
_CLASSES_WIDTHS = (("A", 9.14), ("B", 33.14), ("C", 9.14), ("D", 9.14))


@dataclass
class FormSpec:
    """The work definition, for generating a form without a template."""

    grade: int
    tasks: list[tuple[str, int, int]]  # (task_id, max, part), in the order of the form
    parts: int
    has_gender: bool
    allows_not_passed: bool
    has_journal_mark: bool = True
    code_range: tuple[int, int] | None = None
    textbooks: list[str] = field(default_factory=list)


def generate_form(
    out: Path,
    spec: FormSpec,
    rows: list[FormRowData],
    *,
    textbooks: dict[int, str] | None = None,
    progress: ProgressFn | None = None,
) -> None:
    """Build a form of the ФИС ОКО structure for `spec`, fill it with `rows`, save it as `out`.

    Sheets: «Классы» (when `spec.textbooks`), «Протокол», hidden «Служебный» (the lists),
    «Порядковый номер класса». Raises `UserError` and writes nothing if a value does not fit.
    """
    out = Path(out)
    _check_spec(spec)
    variants = max([2] + [int(v) for r in rows if not r.absent for v in r.variants.values()
                          if value_text(v).isascii() and value_text(v).isdigit()])
    ordinals = max([_GEN_CLASS_ORDINALS] + [int(r.class_ordinal) for r in rows
                                             if isinstance(r.class_ordinal, int)])
    wb = _blank_form(spec, variants=variants, ordinals=ordinals)
    blank = save(wb)
    wb.close()
    # Read our own form back the way a downloaded one is read: one code path for both.
    with tempfile.TemporaryDirectory(prefix="vpr-form-") as tmp:
        path = Path(tmp) / "form.xlsx"
        path.write_bytes(blank)
        info, form, _data = open_template(path)
    check_fill_and_write(out, blank, info, form, rows, textbooks, progress, template=None)




def _check_spec(spec: FormSpec) -> None:
    problems = [] if spec.tasks else ["в работе нет заданий"]
    if spec.parts not in (1, 2):
        problems.append(f"частей работы должно быть 1 или 2, а указано {spec.parts}")
    problems += _task_problems(spec)
    if spec.parts in (1, 2):
        problems += [f"в части {part} нет заданий" for part in range(1, spec.parts + 1)
                     if not any(int(p) == part for _t, _m, p in spec.tasks)]
    if spec.code_range is not None and spec.code_range[0] > spec.code_range[1]:
        problems.append("диапазон кодов задан наоборот")
    if problems:
        raise UserError("Нельзя построить форму по описанию работы: " + "; ".join(problems) + ".")


def _task_problems(spec: FormSpec) -> list[str]:
    """Each task's problems, in the work's order."""
    problems: list[str] = []
    seen: set[str] = set()
    for task_id, max_score, part in spec.tasks:
        tid = value_text(task_id)
        if not tid:
            problems.append("у задания нет номера")
        elif tid in seen:
            problems.append(f"задание «{tid}» указано дважды")
        seen.add(tid)
        if int(max_score) <= 0:
            problems.append(f"у задания «{tid}» максимальный балл должен быть больше нуля")
        if not 1 <= int(part) <= max(spec.parts, 1):
            problems.append(f"задание «{tid}» отнесено к части {part}, а частей {spec.parts}")
    return problems


def _default_code_range(grade: int) -> tuple[int, int] | None:
    """The real form's range: 70001–71500 for grade 7; unknown for 10–11 (first digit «1»)."""
    if 1 <= grade <= 9:
        return grade * 10000 + 1, grade * 10000 + 1500
    return None


_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _header_cell(ws: Worksheet, row: int, col: int, text: str) -> None:
    cell = ws.cell(row=row, column=col, value=text)
    cell.font = Font(bold=True)
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.border = _BORDER


def _list_validation(formula: str, sqref: str) -> DataValidation:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True)
    dv.add(sqref)
    return dv


def _columns(spec: FormSpec, variants: int) -> list[tuple[str, str, list[Any] | None]]:
    """The form's columns: (kind, header, the list of values or None)."""
    two_parts = spec.parts > 1
    columns: list[tuple[str, str, list[Any] | None]] = [("code", HEADER_CODE, None)]
    for part in range(1, spec.parts + 1):
        header = f"{HEADER_VARIANT} (часть {part})" if two_parts else HEADER_VARIANT
        columns.append(("variant", header, [*range(1, variants + 1), ABSENT]))
        for task_id, max_score, task_part in spec.tasks:
            if int(task_part) != part:
                continue
            values: list[Any] = [*range(int(max_score), -1, -1), X]
            if spec.allows_not_passed:
                values.append(NOT_PASSED)
            columns.append(("task", f"{value_text(task_id)} ({int(max_score)}б)", values))
    columns.append(("class_ordinal", HEADER_CLASS_ORDINAL, None))
    if spec.has_gender:
        columns.append(("gender", HEADER_GENDER, list(GENDERS)))
    if spec.has_journal_mark:
        columns.append(("mark", HEADER_MARK, [int(m) if m.isdigit() else m for m in MARKS]))
    columns.append(("total", HEADER_TOTAL, None))
    return columns


def _protocol_columns(ws: Worksheet, service: Worksheet, spec: FormSpec,
                      columns: list[tuple[str, str, list[Any] | None]], ordinals: int) -> None:
    """«Протокол»'s headers and validations; the lists they point to on «Служебный» (after the
    textbooks in its column A)."""
    service_col = 1
    code_range = spec.code_range or _default_code_range(spec.grade)
    for index, (key, header, values) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sqref = f"{letter}{_GEN_FIRST_ROW}:{letter}{_GEN_LAST_ROW}"
        _header_cell(ws, 1, index, header)
        ws.column_dimensions[letter].width = _GEN_WIDTH
        if values is not None:
            service_col += 1
            s_letter = get_column_letter(service_col)
            for r, value in enumerate(values, start=1):
                put(service.cell(row=r, column=service_col), value)
            ref = f"'{SERVICE_SHEET}'!${s_letter}$1:${s_letter}${len(values)}"
            ws.add_data_validation(_list_validation(ref, sqref))
        elif key == "code" and code_range is not None:
            dv = DataValidation(type="decimal", formula1=str(code_range[0]),
                                formula2=str(code_range[1]), allow_blank=True,
                                showErrorMessage=True)
            dv.add(sqref)
            ws.add_data_validation(dv)
        elif key == "class_ordinal":
            ref = f"'{ORDINALS_SHEET}'!$A$1:$A${ordinals}"
            ws.add_data_validation(_list_validation(ref, sqref))
    for c in range(1, service_col + 1):
        service.column_dimensions[get_column_letter(c)].width = _GEN_SERVICE_WIDTH


def _total_formulas(ws: Worksheet, columns: list[tuple[str, str, list[Any] | None]]) -> None:
    """ФИС ОКО's Итого formula on every data row: `=IF(LEN(first task)>0, SUM(tasks), "")`."""
    task_letters = [get_column_letter(i) for i, (k, _h, _v) in enumerate(columns, 1) if k == "task"]
    total_letter = get_column_letter(len(columns))
    for r in range(_GEN_FIRST_ROW, _GEN_LAST_ROW + 1):
        refs = ",".join(f"{letter}{r}" for letter in task_letters)
        ws[f"{total_letter}{r}"] = f'=IF(LEN({task_letters[0]}{r})>0, SUM({refs}), "")'


def _classes_sheet(classes: Worksheet, books: list[str]) -> None:
    for c, text in enumerate(CLASSES_HEADER, start=1):
        _header_cell(classes, 1, c, text)
    for letter, width in _CLASSES_WIDTHS:
        classes.column_dimensions[letter].width = width
    classes.add_data_validation(
        _list_validation(f"'{SERVICE_SHEET}'!$A$1:$A${len(books)}", f"B2:B{_GEN_CLASSES_ROWS}")
    )


def _blank_form(spec: FormSpec, *, variants: int, ordinals: int) -> Workbook:
    """An empty form laid out like ФИС ОКО's (see the module docstring of `template`)."""
    columns = _columns(spec, variants)
    books = [b for b in (value_text(b) for b in spec.textbooks) if b]
    wb = Workbook()
    wb.remove(wb.active)
    classes = wb.create_sheet(CLASSES_SHEET) if books else None
    ws = wb.create_sheet(PROTOCOL_SHEET)
    service = wb.create_sheet(SERVICE_SHEET)
    service.sheet_state = "hidden"
    ordinal_ws = wb.create_sheet(ORDINALS_SHEET)

    for r, book in enumerate(books, start=1):
        put(service.cell(row=r, column=1), book)
    _protocol_columns(ws, service, spec, columns, ordinals)
    _total_formulas(ws, columns)
    for n in range(1, ordinals + 1):
        ordinal_ws.cell(row=n, column=1, value=n)
    ordinal_ws.column_dimensions["A"].width = _GEN_SERVICE_WIDTH
    if classes is not None:
        _classes_sheet(classes, books)
    wb.active = wb.sheetnames.index(PROTOCOL_SHEET)
    return wb
