"""Read the school's pupil lists (journal exports, hand-made lists) into clean rows.

Pure parsing, nothing is saved: `parse_pupil_list` returns every row with its problems (which
block the import of that row) and warnings (shown, not blocking), so the user sees them first.

Supported files
---------------
* ``.xlsx`` / ``.xlsm``: every sheet with a recognisable header row is read (some journals export
  one sheet per class); sheets without one are skipped.
* ``.csv`` / ``.txt``: UTF-8 (with or without BOM), UTF-16 with BOM or cp1251, detected
  automatically; delimiter ``;``, ``,`` or tab, detected automatically.

The header row is looked for within the first 30 rows: either one ФИО column («ФИО», «Ф.И.О.»,
«ФИО ученика», «Фамилия Имя Отчество», «Обучающийся», «Ученик») or separate «Фамилия», «Имя»,
«Отчество»; optionally «Класс» and «Пол». Other columns are ignored. Title rows above the header
(school name, «Список класса», «Класс: 5А», dates) are allowed.

The class of a row comes from the «Класс» column, else from a title row above the header
(«Класс: 5А», «5А класс»), else from the sheet name ("5А"), else from ``default_class``.

Modules: `files` reads the file into rows of cell texts, `header` finds the header row and a
class named above it, `rows` reads the pupils below the header; this module puts them together.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import UserError
from ...names import class_display, normalize_class_name
from .files import decode, detect_kind, read_bytes, read_csv, read_xlsx
from .header import HEADER_SEARCH_ROWS, Header, Rows, class_from_title, find_header
from .rows import ParsedPupilList, PupilRow, mark_duplicates, parse_rows

__all__ = ["HEADER_SEARCH_ROWS", "ParsedPupilList", "PupilRow", "parse_pupil_list"]

_EXPECTED_HEADERS = (
    "«ФИО» (или отдельные «Фамилия», «Имя», «Отчество»), а также «Класс» и «Пол», если они есть"
)


def _no_header_error(path: Path, sheets: int | None = None) -> UserError:
    where = f"Ни на одном листе файла «{path.name}»" if sheets and sheets > 1 else f"В файле «{path.name}»"
    return UserError(
        f"{where} не найдена строка с заголовками таблицы. Ожидаются столбцы "
        f"{_EXPECTED_HEADERS} — в одной строке среди первых {HEADER_SEARCH_ROWS} строк. "
        f"Добавьте такую строку над списком и импортируйте снова."
    )


def _no_class_error(path: Path, sheet: str | None) -> UserError:
    where = f"В файле «{path.name}» на листе «{sheet}»" if sheet else f"В файле «{path.name}»"
    return UserError(
        f"{where} нет столбца «Класс», и класс не указан ни над таблицей (например, «Класс: 5А»), "
        f"ни в названии листа. Добавьте столбец «Класс» или укажите класс при импорте."
    )


def _sheet_class(sheet: str | None) -> str | None:
    """The class a sheet's name names ("5А", "5-а"), or None."""
    if not sheet:
        return None
    try:
        grade, letter = normalize_class_name(sheet)
    except UserError:
        return None
    return class_display(grade, letter)


def _table_class(
    path: Path,
    sheet: str | None,
    rows: Rows,
    header: Header,
    default_class: str | None,
    file_warnings: list[str],
) -> str | None:
    """The class for rows without a class cell: title row, sheet name, default (in this order).
    Where there is no «Класс» column, a warning says where the class was taken from."""
    where = f"Лист «{sheet}»: " if sheet else ""
    has_column = "class" in header.columns
    title = class_from_title(rows[: header.index])
    if title:
        if not has_column:
            file_warnings.append(
                f"{where}столбца «Класс» нет, класс {title[0]} взят из строки «{title[1]}» над таблицей."
            )
        return title[0]
    from_sheet = _sheet_class(sheet)
    if from_sheet:
        if not has_column:
            file_warnings.append(f"{where}столбца «Класс» нет, класс {from_sheet} взят из названия листа.")
        return from_sheet
    if default_class:
        return default_class
    if not has_column:
        raise _no_class_error(path, sheet)
    return None


def _parse_csv(path: Path, data: bytes, default: str | None, result: ParsedPupilList) -> None:
    rows, header, encoding, delimiter = read_csv(path, data)
    result.encoding, result.delimiter = encoding, delimiter
    if header is None:
        raise _no_header_error(path)
    fallback = _table_class(path, None, rows, header, default, result.file_warnings)
    result.columns = dict(header.texts)
    result.rows = parse_rows(rows, header, None, fallback)
    if "\ufffd" in decode(data)[0]:
        result.file_warnings.append(
            "В файле есть символы, которые не удалось прочитать: проверьте написание ФИО."
        )


def _parse_xlsx(path: Path, data: bytes, default: str | None, result: ParsedPupilList) -> None:
    sheets = read_xlsx(path, data)
    found = False
    for title, rows in sheets:
        header = find_header(rows)
        if header is None:
            if any(any(v) for _, v in rows):
                result.file_warnings.append(
                    f"Лист «{title}» пропущен: на нём не найдена строка с заголовками "
                    f"(«ФИО» или «Фамилия», «Имя»)."
                )
            continue
        found = True
        fallback = _table_class(path, title, rows, header, default, result.file_warnings)
        for fld, text in header.texts.items():
            result.columns.setdefault(fld, text)
        result.rows.extend(parse_rows(rows, header, title, fallback))
    if not found:
        raise _no_header_error(path, len(sheets))


def parse_pupil_list(path: Path | str, default_class: str | None = None) -> ParsedPupilList:
    """Read a pupil list (.xlsx or .csv) into normalised rows with per-row problems.

    ``default_class`` ("5А", any spelling `normalize_class_name` accepts) is used for rows whose
    class is given neither in a «Класс» column nor above the table nor in the sheet name.
    Raises `UserError` (Russian) for a file that cannot be read at all.
    """
    path = Path(path)
    default: str | None = None
    if default_class is not None and str(default_class).strip():
        grade, letter = normalize_class_name(default_class)
        default = class_display(grade, letter)

    data = read_bytes(path)
    kind = detect_kind(path, data)
    result = ParsedPupilList(source=path, kind=kind, encoding=None, delimiter=None, columns={})
    if kind == "csv":
        _parse_csv(path, data, default, result)
    else:
        _parse_xlsx(path, data, default, result)
    mark_duplicates(result.rows)
    if not result.rows:
        result.file_warnings.append("В таблице под заголовками нет ни одного ученика.")
    return result
