"""Read the structure of a ФИС ОКО «форма сбора результатов» (.xlsx) the school downloaded.

The form changes by subject and year (one or two parts, task ids like `1`, `9.1`, `8(1)`, `4К1`,
the `Пол` column present or not, `не пройд.` allowed or not), so nothing here is hard-coded: the
columns are found by their header text on the sheet «Протокол» (`headers`), the allowed values by
the form's own Excel data validations (`validations`: lists on the hidden sheet «Служебный», a
decimal range for the code).

`read_template()` returns a `TemplateInfo` that filling the form and reading a filled form back
both rely on. Every problem with the file the user chose becomes a `UserError` with a Russian
message; a traceback here would be a bug.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from coordinator_app.errors import UserError
from coordinator_app.formats.cells import value_text
from coordinator_app.formats.fisoko.headers import (
    KIND_NAMES,
    classify,
    header_key,
    is_code_header,
    normalise_task_id,
    points,
    points_genitive,
    task_header_at,
    variant_part,
)
from coordinator_app.formats.fisoko.validations import (
    EXCEL_MAX_ROW,
    Validation,
    classic_validations,
    code_range,
    find_sheet,
    grade_from_code,
    resolve_list,
    validations_by_column,
    x14_validations,
)
from coordinator_app.formats.fisoko.vocabulary import (
    CLASSES_HEADER,
    CLASSES_SHEET,
    PROTOCOL_SHEET,
    is_not_passed,
)
from coordinator_app.formats.package_guard import check_package

__all__ = ["TemplateInfo", "TemplateTask", "classes_layout", "open_template", "read_template"]

# Header search: ФИС ОКО puts it in row 1; look a little further in case a row was inserted.
HEADER_SEARCH_ROWS = 10
_MAX_FILE_BYTES = 100 * 1024 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK"


@dataclass
class TemplateTask:
    """One task (or one criterion of a task) column of the form."""

    task_id: str  # normalised: "1", "9.1", "8(1)", "4К1" (Cyrillic К)
    max_score: int
    part: int  # 1 or 2 (two-part works)
    column: int  # 1-based column index on «Протокол»
    header: str  # the header text as in the file, stripped


@dataclass
class TemplateInfo:
    """The structure of one form: where every column is and what it may hold."""

    sheet: str  # the «Протокол» sheet's title as in the file
    header_row: int
    first_data_row: int
    last_data_row: int
    parts: int  # 1 or 2
    tasks: list[TemplateTask]
    code_column: int
    variant_columns: dict[int, int]  # part -> column
    class_ordinal_column: int | None
    gender_column: int | None
    journal_mark_column: int | None
    total_column: int | None
    has_classes_sheet: bool
    allows_not_passed: bool
    code_range: tuple[int, int] | None
    grade: int | None
    allowed_values: dict[int, list[str]] = field(default_factory=dict)
    textbooks: list[str] = field(default_factory=list)
    #: Header cells of the form this program does not know («столбец K «Примечание»»): nothing is
    #: read from or written into them, and the user is told so.
    unknown_columns: list[str] = field(default_factory=list)
    #: Data rows that already hold a participant code: a form downloaded again after upload, or
    #: one filled by hand. Its structure is used; its results can be imported separately.
    filled_rows: int = field(default=0, compare=False)   # data, not structure

    @property
    def max_total(self) -> int:
        """The maximum primary score of the work (sum of the task maxima)."""
        return sum(t.max_score for t in self.tasks)

    @property
    def task_ids(self) -> list[str]:
        return [t.task_id for t in self.tasks]

    def task(self, task_id: str) -> TemplateTask:
        """The task with this id (ids compared after the same normalisation as headers)."""
        wanted = normalise_task_id(task_id)
        for t in self.tasks:
            if t.task_id == wanted:
                return t
        raise KeyError(task_id)

    def tasks_of_part(self, part: int) -> list[TemplateTask]:
        return [t for t in self.tasks if t.part == part]



# --------------------------------------------------------------------------------------------
# Opening the file


def _read_bytes(path: Path) -> bytes:
    name = path.name
    if not path.exists():
        raise UserError(f"Файл не найден: {path}.")
    if path.is_dir():
        raise UserError(f"«{path}» — это папка, а нужен файл формы (.xlsx).")
    try:
        size = path.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise UserError(
                f"Файл «{name}» слишком большой ({size // (1024 * 1024)} МБ) для формы сбора "
                f"результатов. Проверьте, тот ли файл выбран."
            )
        return path.read_bytes()
    except PermissionError:
        raise UserError(
            f"Нет доступа к файлу «{name}». Если он открыт в Excel, закройте его "
            f"и попробуйте снова."
        ) from None
    except OSError as exc:
        raise UserError(f"Не удалось прочитать файл «{name}»: {exc.strerror or exc}.") from None


def _corrupt(name: str) -> UserError:
    return UserError(
        f"Не удалось открыть «{name}»: файл повреждён или это не книга Excel (.xlsx). "
        f"Скачайте форму сбора результатов из ФИС ОКО заново или выберите другой файл."
    )


def _check_not_zip(data: bytes, name: str, suffix: str) -> None:
    """Refuse the files that are no zip package: old Excel, a password, anything else."""
    if data.startswith(_OLE_MAGIC):
        raise UserError(
            f"Файл «{name}» сохранён в старом формате Excel (.xls) или защищён паролем. "
            f"Откройте его в Excel, снимите пароль, если он есть, и сохраните как "
            f"«Книга Excel (*.xlsx)», затем выберите новый файл."
        )
    if data.startswith(_ZIP_MAGIC):
        return
    if suffix == ".xls":
        raise UserError(
            f"Файл «{name}» — книга Excel старого формата (.xls), и прочитать её не удалось. "
            f"Откройте её в Excel и сохраните как «Книга Excel (*.xlsx)», затем выберите "
            f"новый файл."
        )
    raise _corrupt(name)


def _check_members(data: bytes, name: str) -> None:
    """Refuse a zip package that is no Excel workbook (.xlsb, .ods, anything else)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except Exception:  # noqa: BLE001 - BadZipFile, NotImplementedError (odd versions), EOFError, …
        raise _corrupt(name) from None
    if "xl/workbook.bin" in names:
        raise UserError(
            f"Файл «{name}» сохранён как двоичная книга Excel (.xlsb). Откройте его в Excel и "
            f"сохраните как «Книга Excel (*.xlsx)»."
        )
    if "content.xml" in names and "xl/workbook.xml" not in names:
        raise UserError(
            f"Файл «{name}» — таблица OpenDocument (.ods). Откройте его и сохраните как "
            f"«Книга Excel (*.xlsx)»."
        )
    if "xl/workbook.xml" not in names:
        raise _corrupt(name)


def _open_workbook(path: Path) -> tuple[Workbook, bytes]:
    data = _read_bytes(path)
    _check_not_zip(data, path.name, path.suffix.lower())
    check_package(data, path.name)              # before openpyxl (or we) unpack any part
    _check_members(data, path.name)
    try:
        with warnings.catch_warnings():
            # "Data Validation extension is not supported": we read those ourselves.
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), data_only=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file; none is our bug
        raise _corrupt(path.name) from None
    return wb, data


# --------------------------------------------------------------------------------------------
# Reading the form


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _col_name(col: int, header: str) -> str:
    return f"столбец {get_column_letter(col)} («{header}»)"


def read_template(path: Path | str) -> TemplateInfo:
    """Read the columns, validations and limits of a ФИС ОКО result form (.xlsx).

    Raises `UserError` (Russian message) for anything wrong with the file.
    """
    info, wb, _data = open_template(path)
    wb.close()
    return info


def open_template(path: Path | str) -> tuple[TemplateInfo, Workbook, bytes]:
    """`read_template()` that also hands over what it read: the workbook as openpyxl loaded it
    (formulas, not cached values; the caller closes it) and the file's bytes, for a writer that
    fills the form without loading it a second time."""
    path = Path(path)
    wb, data = _open_workbook(path)
    try:
        return _read(wb, data, path.name), wb, data
    except BaseException:
        wb.close()
        raise


def _protocol_sheet(wb: Workbook, name: str) -> tuple[Worksheet, int]:
    """The «Протокол» sheet and its header row (the row with «Код участника»)."""
    ws = find_sheet(wb, PROTOCOL_SHEET)
    if ws is None:
        sheets = ", ".join(f"«{s}»" for s in wb.sheetnames) or "нет"
        raise UserError(
            f"Это не форма сбора результатов ФИС ОКО: нет листа «{PROTOCOL_SHEET}» "
            f"(в файле «{name}» листы: {sheets}). Скачайте форму в личном кабинете ФИС ОКО."
        )
    for row_idx, row in enumerate(
        ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
    ):
        if any(is_code_header(header_key(v)) for v in row):
            return ws, row_idx
    raise UserError(
        f"На листе «{ws.title}» нет столбца «Код участника» (искали в первых "
        f"{HEADER_SEARCH_ROWS} строках). Это не форма сбора результатов ФИС ОКО или в ней "
        f"изменены заголовки; скачайте форму заново."
    )


@dataclass
class _Header:
    """The header row sorted out: the named columns, the variants, the tasks, the rest."""

    cells: tuple[Any, ...]
    named: dict[str, tuple[int, str]] = field(default_factory=dict)  # kind -> (column, header)
    unknown: list[str] = field(default_factory=list)
    variants: list[tuple[int, int, str]] = field(default_factory=list)  # (column, part, header)
    tasks: list[tuple[int, str, int, str]] = field(default_factory=list)  # (column, id, max, header)

    def column(self, kind: str) -> int | None:
        return self.named[kind][0] if kind in self.named else None

    def add(self, col: int, header: str) -> None:
        key = header_key(header)
        kind = classify(key)
        if kind == "variant":
            self.variants.append((col, variant_part(key), header))
        elif kind is not None:
            if kind in self.named:
                prev_col, prev_header = self.named[kind]
                raise UserError(
                    f"В форме два столбца «{KIND_NAMES[kind]}»: "
                    f"{_col_name(prev_col, prev_header)} и {_col_name(col, header)}. "
                    f"Скачайте форму из ФИС ОКО заново."
                )
            self.named[kind] = (col, header)
        else:
            parsed = task_header_at(header, where=_cap(_col_name(col, header)))
            if parsed is not None:
                self.tasks.append((col, parsed[0], parsed[1], header))
            else:
                self.unknown.append(_col_name(col, header))


def _header(ws: Worksheet, header_row: int) -> _Header:
    cells = next(ws.iter_rows(min_row=header_row, max_row=header_row, values_only=True), ())
    found = _Header(tuple(cells))
    for col, value in enumerate(cells, start=1):
        header = value_text(value)
        if header:
            found.add(col, header)
    if not found.tasks:
        raise UserError(
            f"На листе «{ws.title}» нет столбцов заданий (заголовки вида «1 (1б)», «9.2 (2б)»). "
            f"Это не форма сбора результатов ФИС ОКО или в ней изменены заголовки."
        )
    seen: dict[str, int] = {}
    for col, task_id, _max, _header_text in found.tasks:
        if task_id in seen:
            raise UserError(
                f"Задание «{task_id}» встречается в форме дважды: столбцы "
                f"{get_column_letter(seen[task_id])} и {get_column_letter(col)}. "
                f"Скачайте форму из ФИС ОКО заново."
            )
        seen[task_id] = col
    return found


def _tasks(found: _Header, variant_columns: dict[int, int]) -> list[TemplateTask]:
    """The task columns, each in the part of the nearest «Вариант» column on its left."""
    tasks = []
    for col, task_id, max_score, header in found.tasks:
        left = [(vcol, part) for vcol, part, _h in found.variants if vcol < col]
        part = max(left)[1] if left else min(variant_columns)
        tasks.append(TemplateTask(task_id, max_score, part, col, header))
    for part, vcol in variant_columns.items():
        if not any(t.part == part for t in tasks):
            header = value_text(found.cells[vcol - 1])
            raise UserError(
                f"В форме есть {_col_name(vcol, header)}, но нет ни одного задания этой части."
            )
    return tasks


def _allowed_values(wb: Workbook, ws: Worksheet, by_col: dict[int, Validation],
                    columns: set[int]) -> dict[int, list[str]]:
    """Column → the values of its list validation, for the form's columns that have one."""
    allowed: dict[int, list[str]] = {}
    for col in sorted(columns):
        v = by_col.get(col)
        if v is None or v.type != "list":
            continue
        values = resolve_list(v.formula1, wb, ws)
        if values is not None:
            allowed[col] = values
    return allowed


def _check_task_lists(tasks: list[TemplateTask], allowed: dict[int, list[str]]) -> None:
    """A task's list of values must reach exactly the maximum in its header."""
    for t in tasks:
        values = allowed.get(t.column)
        if values is None:
            continue
        numbers = [int(x) for x in values if x.isascii() and x.isdigit()]
        if not numbers:
            raise UserError(
                f"{_cap(_col_name(t.column, t.header))}: в списке допустимых значений нет "
                f"ни одного балла. Форма повреждена; скачайте её из ФИС ОКО заново."
            )
        if max(numbers) != t.max_score:
            raise UserError(
                f"{_cap(_col_name(t.column, t.header))}: в заголовке максимум "
                f"{points(t.max_score)}, а в списке допустимых значений — до "
                f"{points_genitive(max(numbers))}. Форма повреждена или изменена вручную; "
                f"скачайте её из ФИС ОКО заново."
            )


def _filled_rows(ws: Worksheet, code_column: int, first: int, last: int) -> int:
    """How many data rows already hold a participant code."""
    return sum(1 for (value,) in ws.iter_rows(min_row=first, max_row=last, min_col=code_column,
                                              max_col=code_column, values_only=True)
               if value_text(value))


def _read(wb: Workbook, data: bytes, name: str) -> TemplateInfo:
    ws, header_row = _protocol_sheet(wb, name)
    found = _header(ws, header_row)
    code_column = found.named["code"][0]
    variant_columns = _variant_columns(found.variants)
    tasks = _tasks(found, variant_columns)

    # Validations and the data area.
    by_col = validations_by_column(classic_validations(ws) + x14_validations(data, ws.title),
                                   header_row + 1)
    form_columns = {code_column, *variant_columns.values(), *(t.column for t in tasks)}
    form_columns |= {c for c, _h in found.named.values()}
    first_data_row, last_data_row = _data_area(ws, header_row, by_col, form_columns,
                                               found.named.get("total"))
    allowed_values = _allowed_values(wb, ws, by_col, form_columns)
    _check_task_lists(tasks, allowed_values)
    codes = code_range(by_col.get(code_column))
    classes_ws = find_sheet(wb, CLASSES_SHEET)
    return TemplateInfo(
        sheet=ws.title,
        header_row=header_row,
        first_data_row=first_data_row,
        last_data_row=last_data_row,
        parts=len(variant_columns),
        tasks=tasks,
        code_column=code_column,
        variant_columns=variant_columns,
        class_ordinal_column=found.column("class_ordinal"),
        gender_column=found.column("gender"),
        journal_mark_column=found.column("mark"),
        total_column=found.column("total"),
        has_classes_sheet=classes_ws is not None,
        allows_not_passed=any(is_not_passed(x) for t in tasks
                              for x in allowed_values.get(t.column, [])),
        code_range=codes,
        grade=grade_from_code(codes[0]) if codes else None,
        allowed_values=allowed_values,
        textbooks=_textbooks(wb, data, classes_ws) if classes_ws is not None else [],
        unknown_columns=found.unknown,
        filled_rows=_filled_rows(ws, code_column, first_data_row, last_data_row),
    )


def _variant_columns(variants: list[tuple[int, int, str]]) -> dict[int, int]:
    if not variants:
        raise UserError(
            "В форме нет столбца «Вариант» (или «Вариант (часть 1)»). Это не форма сбора "
            "результатов ФИС ОКО или в ней изменены заголовки; скачайте форму заново."
        )
    out: dict[int, int] = {}
    for col, part, header in variants:
        if part in out:
            raise UserError(
                f"В форме два столбца варианта для части {part}: столбцы "
                f"{get_column_letter(out[part])} и {get_column_letter(col)} («{header}»)."
            )
        out[part] = col
    if sorted(out) != list(range(1, len(out) + 1)):
        found = ", ".join(str(p) for p in sorted(out))
        raise UserError(
            f"Части работы в столбцах «Вариант» пронумерованы с пропуском ({found}); "
            f"ожидались части 1{', 2' if len(out) > 1 else ''}."
        )
    return dict(sorted(out.items()))


def _data_area(
    ws: Worksheet,
    header_row: int,
    by_col: dict[int, Validation],
    form_columns: set[int],
    total: tuple[int, str] | None,
) -> tuple[int, int]:
    """First and last data rows: from the validations' ranges, else the Итого formulas."""
    firsts, lasts = [], []
    for col in form_columns:
        v = by_col.get(col)
        if v is None:
            continue
        for min_col, min_row, max_col, max_row in v.ranges:
            if min_col <= col <= max_col and max_row > header_row and max_row < EXCEL_MAX_ROW:
                firsts.append(max(min_row, header_row + 1))
                lasts.append(max_row)
    formula_last = _last_formula_row(ws, header_row, total[0]) if total is not None else None
    first = min(firsts) if firsts else header_row + 1
    candidates = lasts + ([formula_last] if formula_last else [])
    last = max(candidates) if candidates else max(ws.max_row, header_row + 1)
    return first, last


def _last_formula_row(ws: Worksheet, header_row: int, col: int) -> int | None:
    """The last row below the header whose cell in `col` holds a formula."""
    for row in range(ws.max_row, header_row, -1):
        value = ws.cell(row=row, column=col).value
        if isinstance(value, str) and value.startswith("="):
            return row
    return None


def _textbooks(wb: Workbook, data: bytes, ws: Worksheet) -> list[str]:
    """The textbook list of the «Классы» sheet (its validation on «Основной учебник…»)."""
    validations = [
        v for v in classic_validations(ws) + x14_validations(data, ws.title) if v.type == "list"
    ]
    if not validations:
        return []
    textbook_col = None
    for row in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS):
        textbook_col = next((cell.column for cell in row
                             if header_key(cell.value).startswith("основной учебник")), None)
        if textbook_col is not None:
            break
    chosen = validations[0]
    if textbook_col is not None:
        chosen = next((v for v in validations
                       if any(c1 <= textbook_col <= c2 for c1, _r1, c2, _r2 in v.ranges)), chosen)
    return resolve_list(chosen.formula1, wb, ws) or []


def classes_layout(ws: Worksheet) -> tuple[int, int, int, int]:
    """(header row, ordinal column, textbook column, columns to clear) of the «Классы» sheet."""
    header_row, ordinal_col, book_col = 1, 1, 2
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 10)):
        keys = {cell.column: header_key(cell.value) for cell in row}
        book = [c for c, k in keys.items() if k.startswith("основной учебник")]
        if book:
            header_row, book_col = row[0].row, book[0]
            ordinal = [c for c, k in keys.items() if "номер класса" in k]
            ordinal_col = ordinal[0] if ordinal else 1
            break
    width = max(ws.max_column, book_col, ordinal_col, len(CLASSES_HEADER))
    return header_row, ordinal_col, book_col, width
