"""The data validations of a ФИС ОКО form: what each column may hold, by the form's own rules.

Validations come from two places: the classic `<dataValidations>` element (read by openpyxl) and
Excel 2010+'s `<extLst>/<x14:dataValidations>` (used by Excel for lists that point to another
sheet; openpyxl drops those with a warning), which are read from the sheet's XML here. A list
validation's values are resolved (inline, a range on another sheet, a defined name); a decimal
one on the code column gives the form's code range.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from coordinator_app.formats.cells import value_text
from coordinator_app.formats.fisoko.ooxml import sheet_paths

# Validations spanning whole columns (A:A) end at Excel's last row; they say nothing about the
# form's data area.
EXCEL_MAX_ROW = 1_048_576

_NS_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
_NS_XM = "http://schemas.microsoft.com/office/excel/2006/main"


def sheet_key(text: Any) -> str:
    """A sheet title or header text for comparison: cleaned, lower case, ё → е."""
    return value_text(text).lower().replace("ё", "е")


def find_sheet(wb: Workbook, title: str) -> Worksheet | None:
    """The workbook's sheet titled `title` (compared as `sheet_key`), or None."""
    wanted = sheet_key(title)
    for ws in wb.worksheets:
        if sheet_key(ws.title) == wanted:
            return ws
    return None


@dataclass
class Validation:
    """One data validation: its kind, operator, formulas and the cell ranges it covers."""

    type: str | None
    operator: str | None
    formula1: str | None
    formula2: str | None
    ranges: list[tuple[int, int, int, int]]  # (min_col, min_row, max_col, max_row)


def sqref_ranges(sqref: str) -> list[tuple[int, int, int, int]]:
    out = []
    for part in str(sqref).split():
        try:
            min_col, min_row, max_col, max_row = range_boundaries(part.replace("$", ""))
        except (ValueError, TypeError):
            continue
        if min_col is None or max_col is None:
            continue  # whole rows: nothing per column
        out.append((min_col, min_row or 1, max_col, max_row or EXCEL_MAX_ROW))
    return out


def classic_validations(ws: Worksheet) -> list[Validation]:
    out = []
    for dv in ws.data_validations.dataValidation:
        ranges = sqref_ranges(str(dv.sqref))
        if ranges:
            out.append(Validation(dv.type, dv.operator, dv.formula1, dv.formula2, ranges))
    return out


def _sheet_xml_path(zf: zipfile.ZipFile, sheet_title: str) -> str | None:
    for title, path in sheet_paths(zf).items():
        if sheet_key(title) == sheet_key(sheet_title):
            return path
    return None


def x14_validations(data: bytes, sheet_title: str) -> list[Validation]:
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
    except Exception:  # noqa: BLE001 - best effort: the classic validations were read already
        return []
    out = []
    for dv in root.iter(f"{{{_NS_X14}}}dataValidation"):
        f1 = dv.find(f"{{{_NS_X14}}}formula1/{{{_NS_XM}}}f")
        f2 = dv.find(f"{{{_NS_X14}}}formula2/{{{_NS_XM}}}f")
        sqref = dv.find(f"{{{_NS_XM}}}sqref")
        if sqref is None or not sqref.text:
            continue
        ranges = sqref_ranges(sqref.text)
        if ranges:
            out.append(
                Validation(
                    dv.get("type"),
                    dv.get("operator"),
                    f1.text if f1 is not None else None,
                    f2.text if f2 is not None else None,
                    ranges,
                )
            )
    return out


def validations_by_column(
    validations: list[Validation], first_row: int
) -> dict[int, Validation]:
    """For each column, the validation covering most of its rows from `first_row` down."""
    best: dict[int, tuple[int, Validation]] = {}
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


def resolve_list(
    formula: str | None, wb: Workbook, own: Worksheet, depth: int = 0
) -> list[str] | None:
    """Values of a list validation: an inline list or a reference (range or defined name)."""
    if not formula:
        return None
    f = formula.strip()
    if f.startswith("="):
        f = f[1:].strip()
    if f.startswith('"') and f.endswith('"') and len(f) >= 2:
        return _inline_list(f)
    if "!" not in f and depth < 3:
        # A defined name, e.g. =Варианты
        defined = _defined_name(wb, own, f)
        if defined is not None:
            return resolve_list(defined, wb, own, depth + 1)
    return _range_values(f, wb, own)


def _inline_list(quoted: str) -> list[str]:
    """`"1,2,отсутствовал"` → its non-empty items."""
    items = [value_text(x) for x in quoted[1:-1].replace('""', '"').split(",")]
    return [x for x in items if x]


def _range_values(ref_text: str, wb: Workbook, own: Worksheet) -> list[str] | None:
    """The non-empty values of a range reference (`'Служебный'!$B$1:$B$4`, `A1:A9`)."""
    m = _REF_RE.match(ref_text)
    if m is None:
        return None
    sheet_name = m.group("q")
    if sheet_name is not None:
        sheet_name = sheet_name.replace("''", "'")
    else:
        sheet_name = m.group("u")
    ws = own if sheet_name is None else find_sheet(wb, sheet_name)
    if ws is None:
        return None
    try:
        min_col, min_row, max_col, max_row = range_boundaries(m.group("range").replace("$", ""))
    except (ValueError, TypeError):
        return None
    if min_col is None or max_col is None:
        return None
    rows = ws.iter_rows(min_row=min_row or 1, max_row=min(max_row or ws.max_row, ws.max_row),
                        min_col=min_col, max_col=max_col, values_only=True)
    values = (_value_text(value) for row in rows for value in row)
    return [text for text in values if text is not None]


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
        except Exception:  # noqa: BLE001 - openpyxl's name lists differ by version: no name then
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


def code_range(v: Validation | None) -> tuple[int, int] | None:
    if v is None or v.type not in ("decimal", "whole"):
        return None
    if v.operator not in (None, "between"):
        return None
    lo, hi = _number(v.formula1), _number(v.formula2)
    if lo is None or hi is None or lo > hi:
        return None
    return int(lo), int(hi)


def grade_from_code(low: int) -> int | None:
    """Codes are five digits, the first is the grade; «1» could be 10 or 11 (or 1): unknown."""
    digits = str(low)
    if len(digits) != 5 or digits[0] in "01":
        return None
    return int(digits[0])

