"""A list of participant codes with pupils' names: the paper protocol from ФИС ОКО (.docx), or a
code list as .xlsx or .csv. Pure reading: which rows hold a code and whose; matching the rows to
the school's pupils is `codes.preview_code_import`'s job.

The layouts seen: the paper protocol is a Word table «№ | Код участника | ФИО | …» (the
class sometimes in its own column, sometimes in a heading above the table); code lists have a
code column and either one ФИО column or Фамилия / Имя / Отчество, optionally a class column.
The header row is found by its words among the first rows of each table or sheet; rows without a
code (a class heading, an empty row, a signature line) are skipped.

Reading uses well-kept libraries: python-docx for .docx, openpyxl for .xlsx, the csv module
(delimiter sniffed; UTF-8 with or without BOM, else cp1251) for .csv.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError
from .cells import cell_text
from .package_guard import check_package

#: Header rows are looked for among this many first rows of a table or sheet.
HEADER_SEARCH_ROWS = 15
MAX_FILE_BYTES = 20 << 20

_CODE_HEADERS = ("код участника", "код")
_FULL_NAME_HEADERS = ("фио", "ф.и.о.", "ф. и. о.", "фамилия имя отчество", "фамилия, имя, отчество",
                      "фио участника", "фио обучающегося", "фамилия и имя")
_CLASS_HEADERS = ("класс", "класс (буква)", "литер")
_CLASS_IN_TEXT = re.compile(r"\b(\d{1,2})\s*[-–«\"]?\s*([А-ЯЁа-яё])\b")


@dataclass
class CodeRow:
    row: int                 # 1-based row number in its table or sheet (as the user counts)
    where: str               # «таблица 1», «лист Коды», «файл»
    code: str
    surname: str
    name: str
    patronymic: str
    class_name: str | None   # as written («7Б», «7-б»), or None

    def place(self) -> str:
        return f"{self.where}, строка {self.row}"

    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.name, self.patronymic) if p)


def _key(value: Any) -> str:
    return " ".join(cell_text(value).lower().replace("ё", "е").split())


def _split_full_name(text: str) -> tuple[str, str, str]:
    parts = text.split()
    if not parts:
        return "", "", ""
    return parts[0], parts[1] if len(parts) > 1 else "", " ".join(parts[2:])


_NAME_PART_HEADERS = {"фамилия": "surname", "имя": "name", "отчество": "patronymic"}
#: Of these the first column found counts; a repeated «Фамилия» / «Имя» / «Отчество», the last.
_FIRST_ONE_COUNTS = ("code", "full", "class")


def _header_field(plain: str) -> str | None:
    """The column a header text names: "code", "full" (ФИО), "surname", "name", "patronymic",
    "class"; None for any other text."""
    if plain in _CODE_HEADERS or plain.startswith("код участ"):
        return "code"
    if plain in _FULL_NAME_HEADERS or plain.startswith(("фио", "ф.и.о")):
        return "full"
    if plain in _CLASS_HEADERS:
        return "class"
    return _NAME_PART_HEADERS.get(plain)


def _header(row: list[Any]) -> dict[str, int] | None:
    """Column positions of a header row: code, and full name or surname/name(/patronymic);
    None if the row is no header."""
    found: dict[str, int] = {}
    for i, value in enumerate(row):
        kind = _header_field(_key(value).rstrip(":").strip())
        if kind is not None and not (kind in _FIRST_ONE_COUNTS and kind in found):
            found[kind] = i
    if "code" in found and ("full" in found or ("surname" in found and "name" in found)):
        return found
    return None


def _find_columns(table: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    """(index of the header row, its columns) among the first rows of `table`, or None."""
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        columns = _header(row)
        if columns is not None:
            return index, columns
    return None


def _cell(row: list[Any], columns: dict[str, int], kind: str) -> str:
    i = columns.get(kind)
    return cell_text(row[i]) if i is not None and i < len(row) else ""


def _code_of(row: list[Any], columns: dict[str, int]) -> str:
    code = re.sub(r"\s+", "", _cell(row, columns, "code"))
    if code.endswith(".0") and code[:-2].isdigit():
        code = code[:-2]                          # a number cell of Excel read as a float
    return code


def _class_named_in(text: str) -> str | None:
    """The class a heading names («Класс: 7Б», «7 «Б» класс») as «7Б», or None."""
    found = _CLASS_IN_TEXT.search(text) if "класс" in text.lower() else None
    return found.group(1) + found.group(2).upper() if found else None


def _rows_of(table: list[list[Any]], where: str, default_class: str | None) -> list[CodeRow]:
    """The code rows of one table (a Word table, a sheet, a CSV file)."""
    found = _find_columns(table)
    if found is None:
        return []
    index, columns = found
    result = []
    current_class = default_class
    for number, row in enumerate(table[index + 1:], start=index + 2):
        code = _code_of(row, columns)
        if not code:
            # «7 «Б» класс» between the rows of classes
            current_class = _class_named_in(" ".join(cell_text(v) for v in row)) or current_class
            continue
        if "full" in columns:
            surname, name, patronymic = _split_full_name(_cell(row, columns, "full"))
        else:
            surname, name, patronymic = (_cell(row, columns, kind) for kind in ("surname", "name", "patronymic"))
        klass = _cell(row, columns, "class") or current_class
        result.append(CodeRow(number, where, code, surname, name, patronymic, klass or None))
    return result


def _docx_rows(table) -> list[list[Any]]:
    """The cell texts of a Word table, row by row; a merged cell once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for c in row.cells:          # merged cells repeat: keep each once
            if id(c._tc) in seen:
                continue
            seen.add(id(c._tc))
            cells.append(c.text.strip())
        rows.append(cells)
    return rows


def _docx_tables(path: Path) -> list[tuple[str, list[list[Any]], str | None]]:
    import docx  # start-up: python-docx is loaded only to read a .docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as err:
        raise UserError(f"Файл «{path.name}» не читается как документ Word (.docx): {err}. "
                        "Сохраните его в Word как «Документ Word (*.docx)» и выберите снова.") from None
    # A class named in a paragraph right before a table («Класс: 7Б», «7 «Б» класс») is that
    # table's class when it has no class column.
    tables = []
    last_class: str | None = None
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
            last_class = _class_named_in(text) or last_class
        elif tag == "tbl":
            rows = _docx_rows(docx.table.Table(child, document))
            tables.append((f"таблица {len(tables) + 1}", rows, last_class))
    return tables


def _xlsx_tables(path: Path) -> list[tuple[str, list[list[Any]], str | None]]:
    import openpyxl  # start-up: loaded only to read a workbook

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise UserError(f"Файл «{path.name}» не читается как книга Excel (.xlsx): {err}.") from None
    try:
        return [(f"лист «{ws.title}»", [list(r) for r in ws.iter_rows(values_only=True)], None)
                for ws in book.worksheets]
    finally:
        book.close()


def _csv_table(path: Path, data: bytes) -> list[tuple[str, list[list[Any]], str | None]]:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UserError(f"Файл «{path.name}»: не удалось определить кодировку (нужна UTF-8 или Windows-1251).")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";"                                   # type: ignore[misc]
    return [("файл", [row for row in csv.reader(io.StringIO(text), dialect)], None)]


def _read_file(path: Path) -> bytes:
    if not path.is_file():
        raise UserError(f"Файл «{path}» не найден." if not path.exists() else
                        f"«{path}» — это папка, а нужен файл со списком кодов.")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UserError(f"Не удалось прочитать файл «{path.name}»: {err.strerror or err}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise UserError(f"Файл «{path.name}» слишком большой для списка кодов.")
    return data


def _tables_of(path: Path, data: bytes) -> list[tuple[str, list[list[Any]], str | None]]:
    """Every table of the file: (where, rows, the class named above it or None)."""
    docx_file = path.suffix.lower() == ".docx"
    if data.startswith(b"PK"):              # before python-docx or openpyxl unpack any part
        check_package(data, path.name, "docx" if docx_file else "xlsx")
        return _docx_tables(path) if docx_file else _xlsx_tables(path)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UserError(f"Файл «{path.name}» в старом формате (.doc/.xls). Откройте его в Word или Excel и "
                        "сохраните как .docx или .xlsx.")
    return _csv_table(path, data)


def read_code_list(path: Path | str) -> list[CodeRow]:
    """Every row with a code in the file, in order. Raises `UserError` (Russian) for a file that
    cannot be read or holds no table with a code column and names."""
    path = Path(path)
    rows: list[CodeRow] = []
    for where, table, default_class in _tables_of(path, _read_file(path)):
        rows += _rows_of(table, where, default_class)
    if not rows:
        raise UserError(f"В файле «{path.name}» не найдена таблица кодов: нужны столбцы «Код участника» и «ФИО» "
                        "(или «Фамилия», «Имя»), строка заголовков — среди первых строк таблицы.")
    return rows

