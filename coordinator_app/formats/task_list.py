"""A work's task descriptions as a table: task number, checked requirement («проверяемое умение»),
optionally the level (Б/П/В) and whether the answer is «развёрнутый». Pure reading of an .xlsx
or .csv into rows of cell texts; checking them against a work is `task_info.import_tasks`'s job.

Two layouts are read: a header row naming the columns (among the first rows: «Задание» / «№
задания», «Проверяемое умение» / «Проверяемые требования» / «Описание», «Уровень», «Развёрнутый
ответ» / «Тип ответа»), or no header at all — then the columns are, in order, task, requirement,
level, open answer (the two-column file a coordinator makes by copying the description's table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .cells import cell_text
from .package_guard import check_package

#: A description of a work's tasks is a few kB; a file over this is something else.
MAX_FILE_BYTES = 8 << 20
HEADER_SEARCH_ROWS = 10

_TASK_HEADERS = ("задание", "№ задания", "номер задания", "№", "задания", "номер", "№ п/п задания")
_REQUIREMENT_PREFIXES = ("проверяем", "умени", "требовани", "описание", "планируем", "блоки пооп", "содержание")
_LEVEL_PREFIXES = ("уровень",)
_OPEN_PREFIXES = ("развёрнут", "развернут", "тип ответа", "тип задания", "экспертн")
_TASK_ID_RE = re.compile(r"^\d{1,2}(?:[.,(]\d{1,2}\)?|[КK]\d)?$")


@dataclass(frozen=True)
class TaskRow:
    row: int                 # 1-based, as the user counts in Excel
    task: str
    requirement: str
    level: str               # as written («Б», «базовый»), "" when the file has no such cell
    open_answer: str         # as written («да», «нет»), ""


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split()).rstrip(":")


def _column_of(text: str) -> str | None:
    key = _key(text)
    if not key:
        return None
    if key in _TASK_HEADERS:
        return "task"
    if key.startswith(tuple(p.replace("ё", "е") for p in _OPEN_PREFIXES)):
        return "open"
    if key.startswith(_LEVEL_PREFIXES):
        return "level"
    if key.startswith(_REQUIREMENT_PREFIXES):
        return "requirement"
    return None


def _header(cells: list[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for i, text in enumerate(cells):
        column = _column_of(text)
        if column is not None and column not in found:
            found[column] = i
    return found if "task" in found and len(found) >= 2 else None


def looks_like_task(text: str) -> bool:
    """«1», «9.1», «8(1)», «4К1»: what a task number looks like."""
    return bool(_TASK_ID_RE.match(re.sub(r"\s+", "", text)))  # «9,1» too: a number cell shown as text


def _columns(table: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    """(index of the first data row, columns) of a table, or None if it holds no tasks."""
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        header = _header(cells)
        if header is not None:
            return index + 1, header
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        if cells and looks_like_task(cells[0]) and len(cells) >= 2:
            return index, {"task": 0, "requirement": 1, "level": 2, "open": 3}
    return None


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    i = columns.get(name)
    return cells[i] if i is not None and i < len(cells) else ""


def _rows_of(table: list[list[str]]) -> list[TaskRow]:
    found = _columns(table)
    if found is None:
        return []
    start, columns = found
    rows = []
    for index in range(start, len(table)):
        cells = table[index]
        # «9,1»: a number cell 9.1 as Excel shows it in a Russian locale (cell_text) is task 9.1
        task = re.sub(r"^(\d+),(\d+)$", r"\1.\2", _cell(cells, columns, "task").strip())
        if not any(cells):
            continue
        rows.append(TaskRow(index + 1, task, _cell(cells, columns, "requirement"),
                            _cell(cells, columns, "level"), _cell(cells, columns, "open")))
    return rows


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise UserError(f"Файл «{path}» не найден." if not path.exists() else
                        f"«{path}» — это папка, а нужен файл с описанием заданий.")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"Файл «{path.name}» слишком большой для описания заданий. Проверьте, тот ли файл выбран.")
        return path.read_bytes()
    except OSError as err:
        raise UserError(f"Не удалось прочитать файл «{path.name}»: {err.strerror or err}.") from None


def _xlsx_tables(path: Path, data: bytes) -> list[list[list[str]]]:
    import io

    import openpyxl  # start-up: loaded only to read a workbook

    check_package(data, path.name)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open a user's file is a message
        raise UserError(f"Файл «{path.name}» не читается как книга Excel (.xlsx). Откройте его в Excel и "
                        "сохраните заново как «Книга Excel», затем выберите снова.") from None
    try:
        return [[[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
                for ws in book.worksheets if hasattr(ws, "iter_rows")]
    except Exception:  # noqa: BLE001 - a truncated part shows only while reading
        raise UserError(f"Файл «{path.name}» повреждён: прочитать его до конца не удалось.") from None
    finally:
        book.close()


def _csv_table(path: Path, data: bytes) -> list[list[str]]:
    import csv
    import io

    from .pupil_list.files import decode

    text, _ = decode(data)
    if "\x00" in text:
        raise UserError(f"Файл «{path.name}» не похож на текстовый CSV-файл. Сохраните таблицу в Excel как .xlsx "
                        "или «CSV (разделители — точка с запятой)».")
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", "\t", ","), key=first_line.count)
    return [[cell_text(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def read_task_list(path: Path | str) -> list[TaskRow]:
    """The task rows of the file's first table that holds tasks. Raises `UserError` (Russian) for a
    file that cannot be read or holds no such table."""
    path = Path(path)
    data = _read_bytes(path)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UserError(f"Файл «{path.name}» в старом формате .xls. Откройте его в Excel и сохраните как .xlsx.")
    if path.suffix.casefold() in (".ods", ".docx", ".doc", ".pdf") or data.startswith(b"%PDF"):
        raise UserError(f"Формат файла «{path.name}» не поддерживается: нужна таблица Excel (.xlsx) или CSV (.csv).")
    tables = _xlsx_tables(path, data) if data.startswith(b"PK") else [_csv_table(path, data)]
    for table in tables:
        rows = _rows_of(table)
        if rows:
            return rows
    raise UserError(f"В файле «{path.name}» не найдена таблица заданий: нужны столбцы «Задание» и «Проверяемое "
                    "умение» (строка заголовков — среди первых строк) или два столбца без заголовка: номер "
                    "задания и проверяемое умение.")
