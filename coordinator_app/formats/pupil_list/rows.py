"""The rows of a pupil list: what one row says (name, class, gender, date of birth), what is wrong
with it, and the file as a whole (`ParsedPupilList`). Each field is read by a small step that
returns its value and its problems; `parse_rows` puts them together in file order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import UserError
from ...names import (
    class_display,
    name_key,
    normalize_class_name,
    normalize_gender,
    normalize_person_part,
    split_fio,
)
from ...words import counted
from .header import Header, Rows, is_header_repeat

_TOTAL_RE = re.compile(
    r"^\s*(итого|всего|классный\s+руководитель|кл\.?\s*руководитель|директор|подпись)",
    re.IGNORECASE,
)
_DIGIT_RE = re.compile(r"\d")
_LETTER_RE = re.compile(r"[^\W\d_]")
_NAME_FIELDS = ("fio", "surname", "name", "patronymic")
_OTHER_FIELDS = ("class", "gender", "birth")


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


# -- one table ------------------------------------------------------------------------------


@dataclass
class _Table:
    """One table of the file: its header, where it is, and the class of rows that name none."""

    header: Header
    sheet: str | None
    fallback_class: str | None
    #: class text -> (grade, letter), or the problem it has: a list repeats one class many times.
    class_cache: dict[str, tuple[int, str] | str] = field(default_factory=dict)

    def cell(self, values: list[str], fld: str) -> str:
        i = self.header.columns.get(fld)
        if i is None or i >= len(values):
            return ""
        return values[i]

    def columns_of(self, fields: tuple[str, ...]) -> list[int]:
        return [self.header.columns[f] for f in fields if f in self.header.columns]


def _is_not_a_pupil(values: list[str], table: _Table) -> bool:
    """Rows to pass over: empty ones, totals and signatures below the table, a repeated header."""
    name_cols = table.columns_of(_NAME_FIELDS)
    relevant = name_cols + table.columns_of(_OTHER_FIELDS)
    if not any(values[i] for i in relevant if i < len(values)):
        return True  # empty row (or only «№» / birth date filled)
    if any(_TOTAL_RE.match(v) for v in values if v):
        names = [values[i] for i in name_cols if i < len(values) and _LETTER_RE.search(values[i])]
        if not names or any(_TOTAL_RE.match(v) for v in names):
            return True  # «Итого: 25», «Всего учеников», signatures below the table
    return is_header_repeat(values, table.header)  # the header repeated on every printed page


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


def _name_from_fio(fio_text: str) -> tuple[tuple[str, str, str], list[str]]:
    if not fio_text:
        return ("", "", ""), ["Не указаны фамилия и имя"]
    try:
        return split_fio(fio_text), []
    except UserError as err:
        return ("", "", ""), [err.message.rstrip(".")]


def _name_from_columns(surname: str, name: str, patronymic: str) -> tuple[tuple[str, str, str], list[str]]:
    problems = []
    if not surname.strip():
        problems.append("Не указана фамилия")
    if not name.strip():
        problems.append("Не указано имя")
    return (surname, name, patronymic), problems


def _read_name(values: list[str], table: _Table) -> tuple[tuple[str, str, str], list[str]]:
    """(surname, name, patronymic) normalised, and what is wrong with them."""
    if table.header.fio_mode:
        parts, problems = _name_from_fio(table.cell(values, "fio"))
    else:
        parts, problems = _name_from_columns(*(table.cell(values, f) for f in ("surname", "name", "patronymic")))
    parts = tuple(normalize_person_part(p) for p in parts)
    for part, value in zip(("surname", "name", "patronymic"), parts):
        problems += _name_problems(part, value)
    return parts, problems  # type: ignore[return-value]


def _read_class(values: list[str], table: _Table) -> tuple[tuple[int, str] | None, list[str]]:
    """(grade, letter) of the row's class, from its cell or else the table's class."""
    class_text = table.cell(values, "class") or (table.fallback_class or "")
    if not class_text:
        return None, ["Не указан класс"]
    parsed = table.class_cache.get(class_text)
    if parsed is None:
        try:
            parsed = normalize_class_name(class_text)
        except UserError as err:
            parsed = err.message.rstrip(".")
        table.class_cache[class_text] = parsed
    if isinstance(parsed, str):
        return None, [parsed]
    return parsed, []


def _read_gender(values: list[str], table: _Table) -> tuple[str | None, list[str]]:
    try:
        return normalize_gender(table.cell(values, "gender")), []
    except UserError as err:
        return None, [err.message.rstrip(".")]


def _read_birth(values: list[str], table: _Table) -> tuple[str | None, list[str]]:
    """The date of birth (optional: it tells namesakes apart), and a warning for one not
    understood: a wrong date only warns, it does not block the row."""
    birth_text = table.cell(values, "birth").strip()
    birth_date = parse_birth_date(birth_text)
    if birth_date or not birth_text:
        return birth_date, []
    return None, [f"дата рождения «{birth_text}» не распознана (нужно ДД.ММ.ГГГГ): не сохранена"]


def _read_row(row_number: int, values: list[str], table: _Table) -> PupilRow:
    (surname, name, patronymic), problems = _read_name(values, table)
    klass, class_problems = _read_class(values, table)
    gender, gender_problems = _read_gender(values, table)
    birth_date, warnings = _read_birth(values, table)
    grade, letter = klass if klass else (None, None)
    return PupilRow(
        row_number=row_number,
        sheet=table.sheet,
        surname=surname,
        name=name,
        patronymic=patronymic,
        class_name=class_display(grade, letter) if klass else None,
        grade=grade,
        letter=letter,
        gender=gender,
        problems=problems + class_problems + gender_problems,
        warnings=warnings,
        birth_date=birth_date,
    )


def parse_rows(rows: Rows, header: Header, sheet: str | None, fallback_class: str | None) -> list[PupilRow]:
    """The pupils below `header`, each with its problems and warnings, in file order."""
    table = _Table(header, sheet, fallback_class)
    return [
        _read_row(row_number, values, table)
        for row_number, values in rows[header.index + 1 :]
        if not _is_not_a_pupil(values, table)
    ]


def parse_birth_date(text: str) -> str | None:
    """ISO date from «12.03.2015», «12/03/2015», «2015-03-12» (also with a time, as Excel dates
    come); None if it is no plausible date of birth."""
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


# -- the whole file -------------------------------------------------------------------------


_COUNT_WORDS = {2: "Два ученика", 3: "Три ученика", 4: "Четыре ученика"}


def _join_numbers(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " и " + items[-1]


def _duplicate_warning(class_name: str, same: list[PupilRow]) -> str:
    count = _COUNT_WORDS.get(len(same), counted(len(same), "ученик", "ученика", "учеников"))
    if len({r.sheet for r in same}) == 1:
        where = "строки " + _join_numbers([str(r.row_number) for r in same])
    else:
        where = _join_numbers([r.place for r in same])
    return f"{count} с одинаковым ФИО в классе {class_name} ({where}): проверьте, что строка не повторена"


def mark_duplicates(rows: list[PupilRow]) -> None:
    """Warn on every row whose pupil (same class, same name) is in the list more than once."""
    groups: dict[tuple[str, str], list[PupilRow]] = defaultdict(list)
    for row in rows:
        if row.class_name and row.surname and row.name:
            groups[(row.class_name, row.key)].append(row)
    for (class_name, _), same in groups.items():
        if len(same) < 2:
            continue
        text = _duplicate_warning(class_name, same)
        for row in same:
            row.warnings.append(text)
