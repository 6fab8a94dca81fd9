"""Read the structure of a ФИС ОКО «форма сбора результатов» (.xlsx) the school downloaded.

The form changes by subject and year (one or two parts, task ids like `1`, `9.1`, `8(1)`, `4К1`,
the `Пол` column present or not, `не пройд.` allowed or not), so nothing here is hard-coded: the
columns are found by their header text on the sheet «Протокол», the allowed values by the form's
own Excel data validations (lists on the hidden sheet «Служебный», a decimal range for the code).

`read_template()` returns a `TemplateInfo` that the export (filling the form) and the import
(reading a filled form back) both rely on. Every problem with the file the user chose becomes a `UserError`
with a Russian message; a traceback here would be a bug.

Data validations come from two places: the classic `<dataValidations>` element (read by openpyxl)
and Excel 2010+'s `<extLst>/<x14:dataValidations>` (used by Excel for lists that point to another
sheet; openpyxl drops those with a warning), which we read from the sheet's XML ourselves.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from coordinator_app.errors import UserError
from coordinator_app.formats.cells import value_text
from coordinator_app.formats.package_guard import check_package

__all__ = [
    "TemplateTask",
    "TemplateInfo",
    "parse_task_header",
    "read_template",
    "open_template",
    "PROTOCOL_SHEET",
    "SERVICE_SHEET",
    "CLASSES_SHEET",
    "NOT_PASSED",
    "ABSENT",
]

PROTOCOL_SHEET = "Протокол"
SERVICE_SHEET = "Служебный"
CLASSES_SHEET = "Классы"
#: The «topic not taught yet» value of a task cell, as ФИС ОКО spells it.
NOT_PASSED = "не пройд."
#: The variant value of an absent pupil.
ABSENT = "отсутствовал"

# Header search: ФИС ОКО puts it in row 1; look a little further in case a row was inserted.
_HEADER_SEARCH_ROWS = 10
# Validations spanning whole columns (A:A) end at Excel's last row; they say nothing about the
# form's data area.
_EXCEL_MAX_ROW = 1_048_576
_MAX_FILE_BYTES = 100 * 1024 * 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK"

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
_NS_XM = "http://schemas.microsoft.com/office/excel/2006/main"


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
        wanted = _normalise_task_id(task_id)
        for t in self.tasks:
            if t.task_id == wanted:
                return t
        raise KeyError(task_id)

    def tasks_of_part(self, part: int) -> list[TemplateTask]:
        return [t for t in self.tasks if t.part == part]


# --------------------------------------------------------------------------------------------
# Header text


def _key(text: Any) -> str:
    """Header text for comparison: cleaned, lower case, ё → е."""
    return value_text(text).lower().replace("ё", "е")


# "(2б)", "(2 б.)", "(2 балла)", "(1 балл)", "(3 баллов)"; a fraction is caught to refuse it.
_MAX_RE = re.compile(
    r"\(\s*(?P<max>\d+(?:[.,]\d+)?)\s*(?:б|балл(?:а|ов)?)\s*\.?\s*\)\s*$", re.IGNORECASE
)
# What a task id looks like once spaces are gone: starts with a digit; digits, letters, dots,
# parentheses, hyphens. Permissive on purpose: the styles change with the years.
_TASK_ID_RE = re.compile(r"^\d[0-9A-Za-zА-Яа-яЁё.()\-]*$")
_TASK_PREFIX_RE = re.compile(r"^(?:задание|зад\.|№)\s*", re.IGNORECASE)


def _normalise_task_id(raw: str) -> str:
    s = _TASK_PREFIX_RE.sub("", value_text(raw))
    s = re.sub(r"\s+", "", s).replace(",", ".")
    # Criteria of one task: «4К1». People (and some generators) type a Latin K or a lower case к.
    s = re.sub(r"[KkКк]", "К", s)
    return s.rstrip(".")


def _plural_points(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} балл"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} балла"
    return f"{n} баллов"


def _points_genitive(n: int) -> str:
    """«до 1 балла», «до 3 баллов»."""
    return f"{n} балла" if n % 10 == 1 and n % 100 != 11 else f"{n} баллов"


def parse_task_header(text: str) -> tuple[str, int] | None:
    """`"9.1 (1б)"` → `("9.1", 1)`; `"4K1(3 б.)"` → `("4К1", 3)`; `"Код участника"` → None.

    Raises `UserError` for a header that is clearly a task but is unusable: no maximum
    (`"5"`, `"5 (1)"`), a zero maximum (`"5 (0б)"`), a fractional one, or no task number.
    """
    return _parse_task_header(text, where=f"Заголовок «{value_text(text)}»")


def _parse_task_header(text: Any, *, where: str) -> tuple[str, int] | None:
    cleaned = value_text(text)
    if not cleaned:
        return None
    m = _MAX_RE.search(cleaned)
    if m is None:
        if _TASK_ID_RE.match(_normalise_task_id(cleaned)):
            raise UserError(
                f"{where}: похоже на столбец задания, но не указан максимальный балл "
                f"(ожидается вид «5 (2б)»). Скачайте форму из ФИС ОКО заново."
            )
        return None
    task_id = _normalise_task_id(cleaned[: m.start()])
    if not task_id:
        raise UserError(f"{where}: указан максимальный балл, но нет номера задания.")
    if not _TASK_ID_RE.match(task_id):
        return None
    max_text = m.group("max").replace(",", ".")
    if not max_text.isdigit():
        raise UserError(
            f"{where}: максимальный балл должен быть целым числом, а указано {max_text}."
        )
    max_score = int(max_text)
    if max_score <= 0:
        raise UserError(
            f"{where}: максимальный балл за задание должен быть больше нуля, а указан 0. "
            f"Скачайте форму из ФИС ОКО заново."
        )
    return task_id, max_score


_VARIANT_RE = re.compile(r"^вариант(?:\s*\(?\s*(?:часть|ч\.?)\s*(?P<part>\d+)\s*\)?)?$")


#: Headers of the participant code column as forms of different years spell it.
_CODE_HEADERS = {"код участника", "код"}


def _is_code_header(header_key: str) -> bool:
    return header_key in _CODE_HEADERS


def _classify(header_key: str) -> str | None:
    """Kind of a non-task column from its header key, or None if unknown. Spellings seen in
    real forms: «Код» for «Код участника», «Класс № (список формируется из листа "Классы")»
    for «Порядковый номер класса», «Пол (м/ж)», «Отметка за предыдущий год»."""
    if _is_code_header(header_key):
        return "code"
    if _VARIANT_RE.match(header_key):
        return "variant"
    if "номер класса" in header_key or re.match(r"^класс\s*№", header_key):
        return "class_ordinal"
    if header_key == "пол" or re.match(r"^пол\s*[(\[]", header_key):
        return "gender"
    if header_key.startswith("отметка"):
        return "mark"
    if header_key.startswith("итого"):
        return "total"
    return None


_KIND_NAMES = {
    "code": "Код участника",
    "class_ordinal": "Порядковый номер класса",
    "gender": "Пол",
    "mark": "Отметка за предыдущий триместр/четверть/полугодие",
    "total": "Итого баллов",
}


# --------------------------------------------------------------------------------------------
# Opening the file


def _open_workbook(path: Path) -> tuple[Workbook, bytes]:
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
        data = path.read_bytes()
    except PermissionError:
        raise UserError(
            f"Нет доступа к файлу «{name}». Если он открыт в Excel, закройте его "
            f"и попробуйте снова."
        ) from None
    except OSError as exc:
        raise UserError(f"Не удалось прочитать файл «{name}»: {exc.strerror or exc}.") from None

    suffix = path.suffix.lower()
    if data.startswith(_OLE_MAGIC):
        raise UserError(
            f"Файл «{name}» сохранён в старом формате Excel (.xls) или защищён паролем. "
            f"Откройте его в Excel, снимите пароль, если он есть, и сохраните как "
            f"«Книга Excel (*.xlsx)», затем выберите новый файл."
        )
    corrupt = UserError(
        f"Не удалось открыть «{name}»: файл повреждён или это не книга Excel (.xlsx). "
        f"Скачайте форму сбора результатов из ФИС ОКО заново или выберите другой файл."
    )
    if not data.startswith(_ZIP_MAGIC):
        if suffix == ".xls":
            raise UserError(
                f"Файл «{name}» — книга Excel старого формата (.xls), и прочитать её не удалось. "
                f"Откройте её в Excel и сохраните как «Книга Excel (*.xlsx)», затем выберите "
                f"новый файл."
            )
        raise corrupt
    check_package(data, name)                   # before openpyxl (or we) unpack any part
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except Exception:  # BadZipFile, NotImplementedError (odd versions), EOFError, …
        raise corrupt from None
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
        raise corrupt
    try:
        with warnings.catch_warnings():
            # "Data Validation extension is not supported": we read those ourselves.
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged file; none of them is our bug
        raise corrupt from None
    return wb, data


def _find_sheet(wb: Workbook, title: str) -> Worksheet | None:
    wanted = _key(title)
    for ws in wb.worksheets:
        if _key(ws.title) == wanted:
            return ws
    return None


# --------------------------------------------------------------------------------------------
# Data validations


@dataclass
class _Validation:
    type: str | None
    operator: str | None
    formula1: str | None
    formula2: str | None
    ranges: list[tuple[int, int, int, int]]  # (min_col, min_row, max_col, max_row)


def _sqref_ranges(sqref: str) -> list[tuple[int, int, int, int]]:
    out = []
    for part in str(sqref).split():
        try:
            min_col, min_row, max_col, max_row = range_boundaries(part.replace("$", ""))
        except (ValueError, TypeError):
            continue
        if min_col is None or max_col is None:
            continue  # whole rows: nothing per column
        out.append((min_col, min_row or 1, max_col, max_row or _EXCEL_MAX_ROW))
    return out


def _classic_validations(ws: Worksheet) -> list[_Validation]:
    out = []
    for dv in ws.data_validations.dataValidation:
        ranges = _sqref_ranges(str(dv.sqref))
        if ranges:
            out.append(_Validation(dv.type, dv.operator, dv.formula1, dv.formula2, ranges))
    return out


def sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → its XML member in the package."""
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {
        rel.get("Id"): rel.get("Target") or ""
        for rel in rels.iter(f"{{{_NS_PKG_REL}}}Relationship")
    }
    out: dict[str, str] = {}
    for sheet in workbook.iter(f"{{{_NS_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{_NS_REL}}}id"))
        if not target:
            continue
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            parts: list[str] = []
            for piece in PurePosixPath("xl", target).parts:
                if piece == "..":
                    if parts:
                        parts.pop()
                elif piece != ".":
                    parts.append(piece)
            path = "/".join(parts)
        out[value_text(sheet.get("name"))] = path
    return out


def _sheet_xml_path(zf: zipfile.ZipFile, sheet_title: str) -> str | None:
    for title, path in sheet_paths(zf).items():
        if _key(title) == _key(sheet_title):
            return path
    return None


def _x14_validations(data: bytes, sheet_title: str) -> list[_Validation]:
    """Excel 2010+ validations kept in the sheet's extLst (openpyxl drops them)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            sheet_path = _sheet_xml_path(zf, sheet_title)
            if sheet_path is None:
                return []
            xml = zf.read(sheet_path)
        if b"x14:dataValidation" not in xml and _NS_X14.encode() not in xml:
            return []
        root = ElementTree.fromstring(xml)
    except Exception:  # best effort: the classic validations were read already
        return []
    out = []
    for dv in root.iter(f"{{{_NS_X14}}}dataValidation"):
        f1 = dv.find(f"{{{_NS_X14}}}formula1/{{{_NS_XM}}}f")
        f2 = dv.find(f"{{{_NS_X14}}}formula2/{{{_NS_XM}}}f")
        sqref = dv.find(f"{{{_NS_XM}}}sqref")
        if sqref is None or not sqref.text:
            continue
        ranges = _sqref_ranges(sqref.text)
        if ranges:
            out.append(
                _Validation(
                    dv.get("type"),
                    dv.get("operator"),
                    f1.text if f1 is not None else None,
                    f2.text if f2 is not None else None,
                    ranges,
                )
            )
    return out


def _validations_by_column(
    validations: list[_Validation], first_row: int
) -> dict[int, _Validation]:
    """For each column, the validation covering most of its rows from `first_row` down."""
    best: dict[int, tuple[int, _Validation]] = {}
    for v in validations:
        for min_col, min_row, max_col, max_row in v.ranges:
            covered = max_row - max(min_row, first_row) + 1
            if covered <= 0:
                continue
            for col in range(min_col, max_col + 1):
                if col not in best or covered > best[col][0]:
                    best[col] = (covered, v)
    return {col: v for col, (_, v) in best.items()}


def _value_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = value_text(value)
    return text or None


_REF_RE = re.compile(r"^(?:(?:'(?P<q>(?:[^']|'')+)'|(?P<u>[^'!]+))!)?(?P<range>[$A-Za-z0-9:]+)$")


def _resolve_list(
    formula: str | None, wb: Workbook, own: Worksheet, depth: int = 0
) -> list[str] | None:
    """Values of a list validation: an inline list or a reference (range or defined name)."""
    if not formula:
        return None
    f = formula.strip()
    if f.startswith("="):
        f = f[1:].strip()
    if f.startswith('"') and f.endswith('"') and len(f) >= 2:
        items = [value_text(x) for x in f[1:-1].replace('""', '"').split(",")]
        return [x for x in items if x]
    if "!" not in f and depth < 3:
        # A defined name, e.g. =Варианты
        defined = _defined_name(wb, own, f)
        if defined is not None:
            return _resolve_list(defined, wb, own, depth + 1)
    m = _REF_RE.match(f)
    if m is None:
        return None
    sheet_name = m.group("q")
    if sheet_name is not None:
        sheet_name = sheet_name.replace("''", "'")
    else:
        sheet_name = m.group("u")
    ref = m.group("range").replace("$", "")
    ws = own if sheet_name is None else _find_sheet(wb, sheet_name)
    if ws is None:
        return None
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if min_col is None or max_col is None:
        return None
    min_row = min_row or 1
    max_row = min(max_row or ws.max_row, ws.max_row)
    values = []
    for row in ws.iter_rows(
        min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col, values_only=True
    ):
        for value in row:
            text = _value_text(value)
            if text is not None:
                values.append(text)
    return values


def _defined_name(wb: Workbook, ws: Worksheet, name: str) -> str | None:
    for names in (getattr(ws, "defined_names", None), getattr(wb, "defined_names", None)):
        if not names:
            continue
        try:
            dn = names.get(name)
            if dn is None:
                for key in list(names.keys()):
                    if key.lower() == name.lower():
                        dn = names[key]
                        break
        except Exception:
            dn = None
        if dn is not None and getattr(dn, "attr_text", None):
            return str(dn.attr_text)
    return None


def _number(formula: str | None) -> float | None:
    if formula is None:
        return None
    text = str(formula).strip().lstrip("=").strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _code_range(v: _Validation | None) -> tuple[int, int] | None:
    if v is None or v.type not in ("decimal", "whole"):
        return None
    if v.operator not in (None, "between"):
        return None
    lo, hi = _number(v.formula1), _number(v.formula2)
    if lo is None or hi is None or lo > hi:
        return None
    return int(lo), int(hi)


def _grade_from_code(low: int) -> int | None:
    """Codes are five digits, the first is the grade; «1» could be 10 or 11 (or 1): unknown."""
    digits = str(low)
    if len(digits) != 5 or digits[0] in "01":
        return None
    return int(digits[0])


# --------------------------------------------------------------------------------------------
# Reading the form


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _col_name(col: int, header: str) -> str:
    return f"столбец {get_column_letter(col)} («{header}»)"


def _find_header_row(ws: Worksheet) -> int | None:
    for row_idx, row in enumerate(
        ws.iter_rows(min_row=1, max_row=_HEADER_SEARCH_ROWS, values_only=True), start=1
    ):
        if any(_is_code_header(_key(v)) for v in row):
            return row_idx
    return None


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


def _read(wb: Workbook, data: bytes, name: str) -> TemplateInfo:
    ws = _find_sheet(wb, PROTOCOL_SHEET)
    if ws is None:
        sheets = ", ".join(f"«{s}»" for s in wb.sheetnames) or "нет"
        raise UserError(
            f"Это не форма сбора результатов ФИС ОКО: нет листа «{PROTOCOL_SHEET}» "
            f"(в файле «{name}» листы: {sheets}). Скачайте форму в личном кабинете ФИС ОКО."
        )
    header_row = _find_header_row(ws)
    if header_row is None:
        raise UserError(
            f"На листе «{ws.title}» нет столбца «Код участника» (искали в первых "
            f"{_HEADER_SEARCH_ROWS} строках). Это не форма сбора результатов ФИС ОКО или в ней "
            f"изменены заголовки; скачайте форму заново."
        )

    header_cells = next(
        ws.iter_rows(min_row=header_row, max_row=header_row, values_only=True), ()
    )
    named: dict[str, tuple[int, str]] = {}
    unknown: list[str] = []
    variants: list[tuple[int, int, str]] = []  # (column, part, header)
    raw_tasks: list[tuple[int, str, int, str]] = []  # (column, id, max, header)
    for col, value in enumerate(header_cells, start=1):
        header = value_text(value)
        if not header:
            continue
        key = _key(header)
        kind = _classify(key)
        if kind == "variant":
            m = _VARIANT_RE.match(key)
            part = int(m.group("part")) if m and m.group("part") else 1
            variants.append((col, part, header))
            continue
        if kind is not None:
            if kind in named:
                prev_col, prev_header = named[kind]
                raise UserError(
                    f"В форме два столбца «{_KIND_NAMES[kind]}»: "
                    f"{_col_name(prev_col, prev_header)} и {_col_name(col, header)}. "
                    f"Скачайте форму из ФИС ОКО заново."
                )
            named[kind] = (col, header)
            continue
        parsed = _parse_task_header(header, where=_cap(_col_name(col, header)))
        if parsed is not None:
            raw_tasks.append((col, parsed[0], parsed[1], header))
        else:
            unknown.append(_col_name(col, header))

    code_column = named["code"][0]
    if not raw_tasks:
        raise UserError(
            f"На листе «{ws.title}» нет столбцов заданий (заголовки вида «1 (1б)», «9.2 (2б)»). "
            f"Это не форма сбора результатов ФИС ОКО или в ней изменены заголовки."
        )
    seen: dict[str, int] = {}
    for col, task_id, _max, _header in raw_tasks:
        if task_id in seen:
            raise UserError(
                f"Задание «{task_id}» встречается в форме дважды: столбцы "
                f"{get_column_letter(seen[task_id])} и {get_column_letter(col)}. "
                f"Скачайте форму из ФИС ОКО заново."
            )
        seen[task_id] = col

    variant_columns = _variant_columns(variants)
    tasks = []
    for col, task_id, max_score, header in raw_tasks:
        left = [(vcol, part) for vcol, part, _h in variants if vcol < col]
        part = max(left)[1] if left else min(variant_columns)
        tasks.append(TemplateTask(task_id, max_score, part, col, header))
    for part, vcol in variant_columns.items():
        if not any(t.part == part for t in tasks):
            header = value_text(header_cells[vcol - 1])
            raise UserError(
                f"В форме есть {_col_name(vcol, header)}, но нет ни одного задания этой части."
            )

    # Validations and the data area.
    validations = _classic_validations(ws) + _x14_validations(data, ws.title)
    by_col = _validations_by_column(validations, header_row + 1)
    form_columns = {code_column, *variant_columns.values(), *(t.column for t in tasks)}
    form_columns |= {c for c, _h in named.values()}
    first_data_row, last_data_row = _data_area(
        ws, header_row, by_col, form_columns, named.get("total")
    )

    allowed_values: dict[int, list[str]] = {}
    for col in sorted(form_columns):
        v = by_col.get(col)
        if v is None or v.type != "list":
            continue
        values = _resolve_list(v.formula1, wb, ws)
        if values is not None:
            allowed_values[col] = values

    for t in tasks:
        values = allowed_values.get(t.column)
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
                f"{_plural_points(t.max_score)}, а в списке допустимых значений — до "
                f"{_points_genitive(max(numbers))}. Форма повреждена или изменена вручную; "
                f"скачайте её из ФИС ОКО заново."
            )

    allows_not_passed = any(
        _is_not_passed(x) for t in tasks for x in allowed_values.get(t.column, [])
    )
    code_range = _code_range(by_col.get(code_column))
    grade = _grade_from_code(code_range[0]) if code_range else None

    classes_ws = _find_sheet(wb, CLASSES_SHEET)
    textbooks = _textbooks(wb, data, classes_ws) if classes_ws is not None else []

    def col_of(kind: str) -> int | None:
        return named[kind][0] if kind in named else None

    return TemplateInfo(
        sheet=ws.title,
        header_row=header_row,
        first_data_row=first_data_row,
        last_data_row=last_data_row,
        parts=len(variant_columns),
        tasks=tasks,
        code_column=code_column,
        variant_columns=variant_columns,
        class_ordinal_column=col_of("class_ordinal"),
        gender_column=col_of("gender"),
        journal_mark_column=col_of("mark"),
        total_column=col_of("total"),
        has_classes_sheet=classes_ws is not None,
        allows_not_passed=allows_not_passed,
        code_range=code_range,
        grade=grade,
        allowed_values=allowed_values,
        textbooks=textbooks,
        unknown_columns=unknown,
        filled_rows=sum(1 for (value,) in ws.iter_rows(
            min_row=first_data_row, max_row=last_data_row, min_col=code_column, max_col=code_column,
            values_only=True) if value_text(value)),
    )


def _is_not_passed(value: str) -> bool:
    return _key(value).rstrip(". ").startswith("не пройд")


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
    by_col: dict[int, _Validation],
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
            if min_col <= col <= max_col and max_row > header_row and max_row < _EXCEL_MAX_ROW:
                firsts.append(max(min_row, header_row + 1))
                lasts.append(max_row)
    formula_last = None
    if total is not None:
        col = total[0]
        for row in range(ws.max_row, header_row, -1):
            value = ws.cell(row=row, column=col).value
            if isinstance(value, str) and value.startswith("="):
                formula_last = row
                break
    first = min(firsts) if firsts else header_row + 1
    candidates = lasts + ([formula_last] if formula_last else [])
    last = max(candidates) if candidates else max(ws.max_row, header_row + 1)
    return first, last


def _textbooks(wb: Workbook, data: bytes, ws: Worksheet) -> list[str]:
    """The textbook list of the «Классы» sheet (its validation on «Основной учебник…»)."""
    validations = [
        v for v in _classic_validations(ws) + _x14_validations(data, ws.title) if v.type == "list"
    ]
    if not validations:
        return []
    textbook_col = None
    for row in ws.iter_rows(min_row=1, max_row=_HEADER_SEARCH_ROWS):
        for cell in row:
            if _key(cell.value).startswith("основной учебник"):
                textbook_col = cell.column
                break
        if textbook_col is not None:
            break
    chosen = validations[0]
    if textbook_col is not None:
        for v in validations:
            if any(c1 <= textbook_col <= c2 for c1, _r1, c2, _r2 in v.ranges):
                chosen = v
                break
    return _resolve_list(chosen.formula1, wb, ws) or []

