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
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import UserError
from ...words import counted
from ..cells import cell_text
from ..package_guard import check_package
from ...names import (
    class_display,
    name_key,
    normalize_class_name,
    normalize_gender,
    normalize_person_part,
    split_fio,
)

__all__ = ["HEADER_SEARCH_ROWS", "ParsedPupilList", "PupilRow", "parse_pupil_list"]

HEADER_SEARCH_ROWS = 30

# Header keys: the header text case-folded, ё→е, the "(...)" parts and filler words removed,
# then everything but letters and digits dropped ("Ф.И.О. ученика" -> "фио").
_HEADER_KEYS: dict[str, set[str]] = {
    "fio": {
        "фио", "фамилияимяотчество", "фамилияимяиотчество", "фамилияимя", "фамилияиимя",
        "обучающийся", "обучающиеся", "ученик", "ученики", "учащийся", "учащиеся", "ученица",
        "ученикученица", "фиоучащегосяученика",
    },
    "surname": {"фамилия"},
    "name": {"имя"},
    "patronymic": {"отчество"},
    "class": {"класс", "классы", "кл", "классбуква", "класслитера", "класслитер", "классгруппа"},
    "gender": {"пол", "полмж", "полжм"},
    "birth": {"датарождения", "датарожд", "др", "рождение", "деньрождения"},
}  # fmt: skip
_HEADER_FILLER_WORDS = {
    "ученика", "ученицы", "учащегося", "обучающегося", "ребенка", "учеников", "учащихся",
    "обучающихся", "полностью", "при", "наличии", "если", "есть", "n", "номер",
}  # fmt: skip

_EXPECTED_HEADERS = (
    "«ФИО» (или отдельные «Фамилия», «Имя», «Отчество»), а также «Класс» и «Пол», если они есть"
)

_XLS_MESSAGE = (
    "Файл .xls (старый формат Excel) не поддерживается. Откройте его в Excel или LibreOffice и "
    "сохраните как .xlsx (Книга Excel), затем импортируйте снова."
)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"

_TOTAL_RE = re.compile(
    r"^\s*(итого|всего|классный\s+руководитель|кл\.?\s*руководитель|директор|подпись)",
    re.IGNORECASE,
)
_TITLE_CLASS_RES = (
    # «Класс: 5А», «Класс 5 «А»», «класса: 10-б»
    re.compile(
        r"класс[а-яё]*\s*[:\-–—]?\s*(\d{1,2}\s*[-–—]?\s*[«\"'“]?\s*[A-Za-zА-Яа-яЁё]\s*[»\"'”]?)"
        r"(?![A-Za-zА-Яа-яЁё0-9])",
        re.IGNORECASE,
    ),
    # «5А класс», «учащихся 5 «А» класса»
    re.compile(
        r"(?<![0-9A-Za-zА-Яа-яЁё])(\d{1,2}\s*[-–—]?\s*[«\"'“]?\s*[A-Za-zА-Яа-яЁё]\s*[»\"'”]?)"
        r"\s*класс",
        re.IGNORECASE,
    ),
)
_DIGIT_RE = re.compile(r"\d")
_LETTER_RE = re.compile(r"[^\W\d_]")


# -- result types ---------------------------------------------------------------------------


@dataclass
class PupilRow:
    """One pupil as read from the file, normalised, with what is wrong with it."""

    row_number: int  # the row number the user sees in Excel / the line number in the CSV
    sheet: str | None
    surname: str
    name: str
    patronymic: str
    class_name: str | None  # normalised "4А" or None
    grade: int | None
    letter: str | None
    gender: str | None  # "м" / "ж" / None
    problems: list[str] = field(default_factory=list)  # Russian; any problem blocks the row
    birth_date: str | None = None  # ISO "2015-03-12", from «Дата рождения»
    warnings: list[str] = field(default_factory=list)  # Russian; shown, not blocking

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def fio(self) -> str:
        return " ".join(p for p in (self.surname, self.name, self.patronymic) if p)

    @property
    def key(self) -> str:
        """`name_key` of the pupil (for matching)."""
        return name_key(self.surname, self.name, self.patronymic)

    @property
    def place(self) -> str:
        """Where the row is, for messages: «строка 7» or «лист «5А», строка 7»."""
        if self.sheet:
            return f"лист «{self.sheet}», строка {self.row_number}"
        return f"строка {self.row_number}"


@dataclass
class ParsedPupilList:
    """The whole file: rows in file order plus what was detected."""

    source: Path
    kind: str  # "xlsx" or "csv"
    encoding: str | None  # CSV only
    delimiter: str | None  # CSV only
    columns: dict[str, str]  # field -> header text found (first sheet where the field was found)
    rows: list[PupilRow] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)

    @property
    def ok_rows(self) -> list[PupilRow]:
        return [r for r in self.rows if r.ok]

    @property
    def problem_rows(self) -> list[PupilRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def warning_rows(self) -> list[PupilRow]:
        return [r for r in self.rows if r.warnings]

    def summary(self) -> str:
        """«Строк: 30, готовы к импорту: 28, с ошибками: 2»."""
        ok = len(self.ok_rows)
        return f"Строк: {len(self.rows)}, готовы к импорту: {ok}, с ошибками: {len(self.rows) - ok}"


# -- cell and header helpers ----------------------------------------------------------------


_cell_text = cell_text


def _header_key(text: str) -> str:
    low = text.casefold().replace("ё", "е")
    low = re.sub(r"\([^)]*\)", " ", low)
    words = [w for w in re.split(r"[^0-9a-zа-я]+", low) if w]
    words = [w for w in words if w not in _HEADER_FILLER_WORDS]
    return "".join(words)


def _header_field(text: str) -> str | None:
    if not text:
        return None
    key = _header_key(text)
    if not key:
        return None
    for fld, keys in _HEADER_KEYS.items():
        if key in keys:
            return fld
    return None


@dataclass
class _Header:
    index: int  # index of the header row in the row list
    columns: dict[str, int]  # field -> column index
    texts: dict[str, str]  # field -> header text

    @property
    def fio_mode(self) -> bool:
        return not ("surname" in self.columns and "name" in self.columns)

    def needed_width(self) -> int:
        return max(self.columns.values()) + 1


def _match_header(values: list[str]) -> tuple[dict[str, int], dict[str, str]] | None:
    columns: dict[str, int] = {}
    texts: dict[str, str] = {}
    for i, text in enumerate(values):
        fld = _header_field(text)
        if fld and fld not in columns:
            columns[fld] = i
            texts[fld] = text
    if "fio" in columns or ("surname" in columns and "name" in columns):
        if "surname" in columns and "name" in columns:
            columns.pop("fio", None)
            texts.pop("fio", None)
        return columns, texts
    return None


def _find_header(rows: list[tuple[int, list[str]]]) -> _Header | None:
    for idx, (_, values) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = _match_header(values)
        if found:
            return _Header(idx, *found)
    return None


def _class_from_title(rows: list[tuple[int, list[str]]]) -> tuple[str, str] | None:
    """(class, the title text it was found in) from the rows above the header."""
    for _, values in rows:
        cells = [v for v in values if v]
        for i, text in enumerate(cells):
            # «Класс:» in one cell and «5А» in the next one.
            if _header_key(text) in ("класс", "кл") and i + 1 < len(cells):
                try:
                    grade, letter = normalize_class_name(cells[i + 1])
                except UserError:
                    pass
                else:
                    return class_display(grade, letter), f"{text} {cells[i + 1]}"
            for regex in _TITLE_CLASS_RES:
                for match in regex.finditer(text):
                    try:
                        grade, letter = normalize_class_name(match.group(1))
                    except UserError:
                        continue
                    return class_display(grade, letter), text
    return None


# -- rows -----------------------------------------------------------------------------------


def _is_header_repeat(values: list[str], header: _Header) -> bool:
    return all(
        _header_field(values[i] if i < len(values) else "") == fld
        for fld, i in header.columns.items()
    )


_PART_FORMS = {  # part -> (genitive, prepositional)
    "surname": ("фамилии", "фамилии"),
    "name": ("имени", "имени"),
    "patronymic": ("отчества", "отчестве"),
}


def _name_problems(part: str, value: str) -> list[str]:
    genitive, prepositional = _PART_FORMS[part]
    if _DIGIT_RE.search(value):
        return [f"В {prepositional} есть цифры: «{value}»"]
    if "." in value:
        return [f"Вместо {genitive} инициалы: «{value}» — нужно полностью"]
    return []


def _parse_rows(
    rows: list[tuple[int, list[str]]],
    header: _Header,
    sheet: str | None,
    fallback_class: str | None,
) -> list[PupilRow]:
    cols = header.columns
    name_cols = [cols[f] for f in ("fio", "surname", "name", "patronymic") if f in cols]
    relevant = name_cols + [cols[f] for f in ("class", "gender", "birth") if f in cols]
    class_cache: dict[str, tuple[int, str] | str] = {}
    result: list[PupilRow] = []

    def get(values: list[str], fld: str) -> str:
        i = cols.get(fld)
        if i is None or i >= len(values):
            return ""
        return values[i]

    for row_number, values in rows[header.index + 1 :]:
        if not any(values[i] for i in relevant if i < len(values)):
            continue  # empty row (or only «№» / birth date filled)
        if any(_TOTAL_RE.match(v) for v in values if v):
            names = [values[i] for i in name_cols if i < len(values) and _LETTER_RE.search(values[i])]
            if not names or any(_TOTAL_RE.match(v) for v in names):
                continue  # «Итого: 25», «Всего учеников», signatures below the table
        if _is_header_repeat(values, header):
            continue  # the header repeated on every printed page
        problems: list[str] = []

        # -- name
        if header.fio_mode:
            fio_text = get(values, "fio")
            surname = name = patronymic = ""
            if not fio_text:
                problems.append("Не указаны фамилия и имя")
            else:
                try:
                    surname, name, patronymic = split_fio(fio_text)
                except UserError as err:
                    problems.append(err.message.rstrip("."))
        else:
            surname, name, patronymic = get(values, "surname"), get(values, "name"), get(values, "patronymic")
            if not surname.strip():
                problems.append("Не указана фамилия")
            if not name.strip():
                problems.append("Не указано имя")
        surname = normalize_person_part(surname)
        name = normalize_person_part(name)
        patronymic = normalize_person_part(patronymic)
        problems += _name_problems("surname", surname)
        problems += _name_problems("name", name)
        problems += _name_problems("patronymic", patronymic)

        # -- class
        class_text = get(values, "class") or (fallback_class or "")
        grade: int | None = None
        letter: str | None = None
        class_name: str | None = None
        if not class_text:
            problems.append("Не указан класс")
        else:
            parsed = class_cache.get(class_text)
            if parsed is None:
                try:
                    parsed = normalize_class_name(class_text)
                except UserError as err:
                    parsed = err.message.rstrip(".")
                class_cache[class_text] = parsed
            if isinstance(parsed, str):
                problems.append(parsed)
            else:
                grade, letter = parsed
                class_name = class_display(grade, letter)

        # -- gender
        gender: str | None = None
        try:
            gender = normalize_gender(get(values, "gender"))
        except UserError as err:
            problems.append(err.message.rstrip("."))

        # -- date of birth (optional: it tells namesakes apart; a wrong one is only a warning)
        birth_text = get(values, "birth").strip()
        birth_date = parse_birth_date(birth_text)
        row_warnings = [] if birth_date or not birth_text else [
            f"дата рождения «{birth_text}» не распознана (нужно ДД.ММ.ГГГГ): не сохранена"]

        result.append(
            PupilRow(
                row_number=row_number,
                sheet=sheet,
                surname=surname,
                name=name,
                patronymic=patronymic,
                class_name=class_name,
                grade=grade,
                letter=letter,
                gender=gender,
                problems=problems,
                warnings=row_warnings,
                birth_date=birth_date,
            )
        )
    return result


def parse_birth_date(text: str) -> str | None:
    """ISO date from «12.03.2015», «12/03/2015», «2015-03-12» (also with a time, as Excel dates
    come); None if it is no plausible date of birth."""
    import datetime as dt

    text = text.strip()
    m = re.match(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$", text)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$", text)
        if not m:
            return None
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    return date.isoformat() if 1990 <= year <= dt.date.today().year else None


_COUNT_WORDS = {2: "Два ученика", 3: "Три ученика", 4: "Четыре ученика"}


def _join_numbers(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " и " + items[-1]


def _mark_duplicates(rows: list[PupilRow]) -> None:
    groups: dict[tuple[str, str], list[PupilRow]] = defaultdict(list)
    for row in rows:
        if row.class_name and row.surname and row.name:
            groups[(row.class_name, row.key)].append(row)
    for (class_name, _), same in groups.items():
        if len(same) < 2:
            continue
        count = _COUNT_WORDS.get(len(same), counted(len(same), "ученик", "ученика", "учеников"))
        sheets = {r.sheet for r in same}
        if len(sheets) == 1:
            where = "строки " + _join_numbers([str(r.row_number) for r in same])
        else:
            where = _join_numbers([r.place for r in same])
        text = (
            f"{count} с одинаковым ФИО в классе {class_name} ({where}): "
            f"проверьте, что строка не повторена"
        )
        for row in same:
            row.warnings.append(text)


# -- file readers ---------------------------------------------------------------------------


#: A school's pupil list is well under 1 MB; a file this large is something else.
MAX_FILE_BYTES = 64 << 20


def _read_bytes(path: Path) -> bytes:
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


def _detect_kind(path: Path, data: bytes) -> str:
    """"xlsx" or "csv", or a `UserError` that says what to do with the file."""
    ext = path.suffix.casefold()
    if not data.strip(b" \t\r\n\x00"):
        raise UserError(
            f"Файл «{path.name}» пустой. Проверьте, что выбран нужный файл и что список в нём "
            f"сохранён."
        )
    if data.startswith(_ZIP_MAGIC):
        check_package(data, path.name)          # before any part is unpacked, even to sniff
    zip_kind = _zip_kind(data) if data.startswith(_ZIP_MAGIC) else None
    if zip_kind == "xlsx":
        return "xlsx"  # whatever the extension says
    if ext == ".xls":
        raise UserError(_XLS_MESSAGE)
    if ext in (".ods", ".fods") or zip_kind == "ods":
        raise _ods_error()
    if ext in (".doc", ".docx", ".odt", ".rtf") or zip_kind == "docx":
        raise _document_error(path)
    if ext == ".pdf" or data.startswith(b"%PDF"):
        raise UserError(
            f"Из PDF-файла «{path.name}» список загрузить нельзя. Нужна таблица Excel (.xlsx) "
            f"или CSV (.csv)."
        )
    if ext in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        if data.startswith(_OLE_MAGIC):
            raise UserError(
                f"Файл «{path.name}» защищён паролем или на самом деле сохранён в старом формате "
                f".xls. Откройте его в Excel, снимите пароль и сохраните как .xlsx (Книга Excel), "
                f"затем импортируйте снова."
            )
        raise _corrupt_xlsx(path)
    if data.startswith(_OLE_MAGIC):
        raise UserError(_XLS_MESSAGE)
    if ext in (".csv", ".txt", ".tsv"):
        if data.startswith(_ZIP_MAGIC):
            raise _corrupt_xlsx(path)
        return "csv"
    raise _unsupported_error(path)


def _read_xlsx(path: Path, data: bytes) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    """Every sheet as (title, [(row number, cell texts)]); raises `UserError` on a bad file."""
    import openpyxl  # local: only needed here

    sheets: list[tuple[str, list[tuple[int, list[str]]]]] = []
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open user's file is a message, not a crash
        raise _corrupt_xlsx(path) from None
    try:
        for ws in wb.worksheets:
            if not hasattr(ws, "iter_rows"):
                continue  # chart sheets
            try:
                ws.reset_dimensions()  # some exporters write a wrong "A1" dimension
            except AttributeError:
                pass
            rows: list[tuple[int, list[str]]] = []
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                texts = [_cell_text(v) for v in values]
                while texts and not texts[-1]:
                    texts.pop()
                rows.append((number, texts))
            sheets.append((ws.title, rows))
    except Exception:  # noqa: BLE001 - a truncated member shows up only while reading
        raise _corrupt_xlsx(path) from None
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001
            pass
    return sheets


def _decode(data: bytes) -> tuple[str, str]:
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


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    previous_line = 0
    for record in reader:
        start = previous_line + 1
        previous_line = reader.line_num
        texts = [_cell_text(v) for v in record]
        while texts and not texts[-1]:
            texts.pop()
        rows.append((start, texts))
    return rows


def _read_csv(path: Path, data: bytes) -> tuple[list[tuple[int, list[str]]], _Header | None, str, str]:
    text, encoding = _decode(data)
    if "\x00" in text:
        raise UserError(
            f"Файл «{path.name}» не похож на текстовый CSV-файл. Откройте список в Excel и "
            f"сохраните как «CSV (разделители — точка с запятой)» или как .xlsx."
        )
    best: tuple[tuple[int, int, int], str, list[tuple[int, list[str]]], _Header | None] | None = None
    for rank, delimiter in enumerate(_DELIMITERS):
        try:
            rows = _csv_rows(text, delimiter)
        except csv.Error:
            continue
        header = _find_header(rows)
        if header is None:
            score = (0, 0, -rank)
        else:
            width = header.needed_width()
            following = [v for _, v in rows[header.index + 1 : header.index + 21] if any(v)]
            fitting = sum(1 for v in following if len(v) >= width or len(header.columns) == 1)
            score = (1 + fitting, len(header.columns), -rank)
        if best is None or score > best[0]:
            best = (score, delimiter, rows, header)
    if best is None:
        raise UserError(
            f"Файл «{path.name}» не удалось прочитать как CSV. Откройте список в Excel и сохраните "
            f"как .xlsx."
        )
    _, delimiter, rows, header = best
    return rows, header, encoding, delimiter


# -- main entry -----------------------------------------------------------------------------


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


def _table_class(
    path: Path,
    sheet: str | None,
    rows: list[tuple[int, list[str]]],
    header: _Header,
    default_class: str | None,
    file_warnings: list[str],
) -> str | None:
    """The class for rows without a class cell: title row, sheet name, default (in this order)."""
    where = f"Лист «{sheet}»: " if sheet else ""
    title = _class_from_title(rows[: header.index])
    if title:
        if "class" not in header.columns:
            file_warnings.append(
                f"{where}столбца «Класс» нет, класс {title[0]} взят из строки «{title[1]}» над таблицей."
            )
        return title[0]
    if sheet:
        try:
            grade, letter = normalize_class_name(sheet)
        except UserError:
            pass
        else:
            if "class" not in header.columns:
                file_warnings.append(
                    f"{where}столбца «Класс» нет, класс {class_display(grade, letter)} взят из "
                    f"названия листа."
                )
            return class_display(grade, letter)
    if default_class:
        return default_class
    if "class" not in header.columns:
        raise _no_class_error(path, sheet)
    return None


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

    data = _read_bytes(path)
    kind = _detect_kind(path, data)
    result = ParsedPupilList(source=path, kind=kind, encoding=None, delimiter=None, columns={})

    if kind == "csv":
        rows, header, encoding, delimiter = _read_csv(path, data)
        result.encoding, result.delimiter = encoding, delimiter
        if header is None:
            raise _no_header_error(path)
        fallback = _table_class(path, None, rows, header, default, result.file_warnings)
        result.columns = dict(header.texts)
        result.rows = _parse_rows(rows, header, None, fallback)
        if "\ufffd" in _decode(data)[0]:
            result.file_warnings.append(
                "В файле есть символы, которые не удалось прочитать: проверьте написание ФИО."
            )
    else:
        sheets = _read_xlsx(path, data)
        found = False
        for title, rows in sheets:
            header = _find_header(rows)
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
            result.rows.extend(_parse_rows(rows, header, title, fallback))
        if not found:
            raise _no_header_error(path, len(sheets))

    _mark_duplicates(result.rows)
    if not result.rows:
        result.file_warnings.append("В таблице под заголовками нет ни одного ученика.")
    return result
