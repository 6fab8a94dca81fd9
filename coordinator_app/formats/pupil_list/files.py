"""Reading a pupil-list file into rows of cell texts: the bytes, what kind of file they are (an
Office package, an old binary Excel, a PDF, text), every sheet of an .xlsx, and a CSV in whatever
encoding and delimiter it came. Each file that cannot be a pupil list gets a `UserError` saying
what to do with it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from ...errors import UserError
from ..cells import cell_text
from ..package_guard import check_package
from .header import Header, Rows, find_header

#: A school's pupil list is well under 1 MB; a file this large is something else.
MAX_FILE_BYTES = 64 << 20

_XLS_MESSAGE = (
    "Файл .xls (старый формат Excel) не поддерживается. Откройте его в Excel или LibreOffice и "
    "сохраните как .xlsx (Книга Excel), затем импортируйте снова."
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_XLSX_EXTENSIONS = (".xlsx", ".xlsm", ".xltx", ".xltm")
_TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
_DOCUMENT_EXTENSIONS = (".doc", ".docx", ".odt", ".rtf")


def read_bytes(path: Path) -> bytes:
    if path.is_dir():       # asked first: Windows reports reading a folder as «access denied»
        raise UserError(f"«{path}» — это папка, а не файл. Выберите файл со списком учеников.")
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"Файл «{path.name}» слишком большой ({path.stat().st_size >> 20} МБ) для списка "
                            "учеников. Проверьте, тот ли файл выбран.")
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"Файл «{path}» не найден. Проверьте путь и выберите файл снова.") from None
    except IsADirectoryError:
        raise UserError(f"«{path}» — это папка, а не файл. Выберите файл со списком учеников.") from None
    except PermissionError:
        raise UserError(
            f"Нет доступа к файлу «{path.name}». Если он открыт в другой программе, закройте её "
            f"и попробуйте снова."
        ) from None
    except OSError as err:
        raise UserError(f"Не удалось прочитать файл «{path.name}»: {err.strerror or err}.") from None


# -- what kind of file ----------------------------------------------------------------------


def _corrupt_xlsx(path: Path) -> UserError:
    return UserError(
        f"Файл «{path.name}» повреждён или не является книгой Excel, открыть его не удалось. "
        f"Откройте его в Excel или LibreOffice и сохраните заново как .xlsx (Книга Excel), "
        f"затем импортируйте снова."
    )


def _zip_kind(data: bytes) -> str | None:
    """"xlsx", "ods", "docx", "zip" for a readable zip; None when the zip is broken."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names:
                mime = zf.read("mimetype").decode("ascii", "replace")
                if "spreadsheet" in mime:
                    return "ods"
                if "text" in mime:
                    return "docx"
            if "word/document.xml" in names:
                return "docx"
            return "zip"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError):
        return None


def _ods_error() -> UserError:
    return UserError(
        "Файл .ods (LibreOffice / OpenOffice Calc) не поддерживается. Откройте его в LibreOffice "
        "и сохраните как .xlsx (Книга Excel 2007-365), затем импортируйте снова."
    )


def _document_error(path: Path) -> UserError:
    return UserError(
        f"Файл «{path.name}» — текстовый документ, а не таблица. Скопируйте список учеников в "
        f"Excel, сохраните как .xlsx и импортируйте его."
    )


def _unsupported_error(path: Path) -> UserError:
    return UserError(
        f"Формат файла «{path.name}» не поддерживается. Нужен список учеников в виде таблицы "
        f"Excel (.xlsx) или CSV (.csv): в Excel выберите «Файл → Сохранить как» и один из этих "
        f"форматов."
    )


def _refuse_other_formats(path: Path, data: bytes, zip_kind: str | None) -> None:
    """A `UserError` for the files people pick by mistake: old Excel, Calc, text documents, PDF."""
    ext = path.suffix.casefold()
    if ext == ".xls":
        raise UserError(_XLS_MESSAGE)
    if ext in (".ods", ".fods") or zip_kind == "ods":
        raise _ods_error()
    if ext in _DOCUMENT_EXTENSIONS or zip_kind == "docx":
        raise _document_error(path)
    if ext == ".pdf" or data.startswith(b"%PDF"):
        raise UserError(
            f"Из PDF-файла «{path.name}» список загрузить нельзя. Нужна таблица Excel (.xlsx) "
            f"или CSV (.csv)."
        )


def _broken_xlsx(path: Path, data: bytes) -> UserError:
    """An .xlsx by its name that no workbook could be read from."""
    if data.startswith(_OLE_MAGIC):
        return UserError(
            f"Файл «{path.name}» защищён паролем или на самом деле сохранён в старом формате "
            f".xls. Откройте его в Excel, снимите пароль и сохраните как .xlsx (Книга Excel), "
            f"затем импортируйте снова."
        )
    return _corrupt_xlsx(path)


def detect_kind(path: Path, data: bytes) -> str:
    """"xlsx" or "csv", or a `UserError` that says what to do with the file."""
    if not data.strip(b" \t\r\n\x00"):
        raise UserError(
            f"Файл «{path.name}» пустой. Проверьте, что выбран нужный файл и что список в нём "
            f"сохранён."
        )
    zip_kind = None
    if data.startswith(_ZIP_MAGIC):
        check_package(data, path.name)          # before any part is unpacked, even to sniff
        zip_kind = _zip_kind(data)
    if zip_kind == "xlsx":
        return "xlsx"  # whatever the extension says
    _refuse_other_formats(path, data, zip_kind)
    ext = path.suffix.casefold()
    if ext in _XLSX_EXTENSIONS:
        raise _broken_xlsx(path, data)
    if data.startswith(_OLE_MAGIC):
        raise UserError(_XLS_MESSAGE)
    if ext not in _TEXT_EXTENSIONS:
        raise _unsupported_error(path)
    if data.startswith(_ZIP_MAGIC):
        raise _corrupt_xlsx(path)
    return "csv"


# -- .xlsx ----------------------------------------------------------------------------------


def _trimmed(values) -> list[str]:
    """Cell texts of a row without its empty cells at the end."""
    texts = [cell_text(v) for v in values]
    while texts and not texts[-1]:
        texts.pop()
    return texts


def _sheet_rows(ws) -> Rows:
    try:
        ws.reset_dimensions()  # some exporters write a wrong "A1" dimension
    except AttributeError:
        pass
    return [(number, _trimmed(values)) for number, values in enumerate(ws.iter_rows(values_only=True), start=1)]


def read_xlsx(path: Path, data: bytes) -> list[tuple[str, Rows]]:
    """Every sheet as (title, [(row number, cell texts)]); raises `UserError` on a bad file."""
    import openpyxl  # start-up: only needed here

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open user's file is a message, not a crash
        raise _corrupt_xlsx(path) from None
    try:
        # Chart sheets have no rows.
        return [(ws.title, _sheet_rows(ws)) for ws in wb.worksheets if hasattr(ws, "iter_rows")]
    except Exception:  # noqa: BLE001 - a truncated member shows up only while reading
        raise _corrupt_xlsx(path) from None
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001
            pass


# -- .csv -----------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, UTF-16 with BOM, else cp1251."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return data.decode("cp1251", errors="replace"), "cp1251"


_DELIMITERS = (";", "\t", ",")  # order = preference on a tie


def _csv_rows(text: str, delimiter: str) -> Rows:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Rows = []
    previous_line = 0
    for record in reader:
        start = previous_line + 1
        previous_line = reader.line_num
        rows.append((start, _trimmed(record)))
    return rows


def _delimiter_score(rows: Rows, header: Header | None, rank: int) -> tuple[int, int, int]:
    """How well a delimiter splits the file: a header found, rows below it as wide as it, more
    header columns, then the preferred delimiter."""
    if header is None:
        return 0, 0, -rank
    width = header.needed_width()
    following = [v for _, v in rows[header.index + 1 : header.index + 21] if any(v)]
    fitting = sum(1 for v in following if len(v) >= width or len(header.columns) == 1)
    return 1 + fitting, len(header.columns), -rank


def read_csv(path: Path, data: bytes) -> tuple[Rows, Header | None, str, str]:
    """(rows, header or None, encoding, delimiter) of a CSV file, the delimiter that reads best."""
    text, encoding = decode(data)
    if "\x00" in text:
        raise UserError(
            f"Файл «{path.name}» не похож на текстовый CSV-файл. Откройте список в Excel и "
            f"сохраните как «CSV (разделители — точка с запятой)» или как .xlsx."
        )
    best: tuple[tuple[int, int, int], str, Rows, Header | None] | None = None
    for rank, delimiter in enumerate(_DELIMITERS):
        try:
            rows = _csv_rows(text, delimiter)
        except csv.Error:
            continue
        header = find_header(rows)
        score = _delimiter_score(rows, header, rank)
        if best is None or score > best[0]:
            best = (score, delimiter, rows, header)
    if best is None:
        raise UserError(
            f"Файл «{path.name}» не удалось прочитать как CSV. Откройте список в Excel и сохраните "
            f"как .xlsx."
        )
    _, delimiter, rows, header = best
    return rows, header, encoding, delimiter
