"""The «Аналитика» reports ФИС ОКО returns after the upload (FISOKO_FILES.md §3–§6): which report
a workbook is, and its contents as plain values.

Recognised from the content, never from the file or sheet name: the header row («Код участника» with
«Первичный балл» is «Индивидуальные результаты»; «Группы участников» with the marks 2–5 is
«Статистика по отметкам»; with «Понизили …» it is «Сравнение отметок с отметками по журналу»), then
the title rows above it («ВПР 2026 Русский язык 4 класс», «Предмет:», «Максимальный первичный балл:»,
«Дата:»), wherever they sit. Columns are found by their header texts in any order; a group row
(«<школа>(eduNNNNNN) | Кол-во участников: N»), empty rows and a trailing summary are skipped. Every
problem is named by row and column; a report with one problem is not read at all.

Reports whose layout no real file has shown yet («Выполнение заданий», «Распределение первичных
баллов», «Достижение планируемых результатов») are recognised by their title and refused with a
message saying so: their columns are not guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from coordinator_app.errors import UserError
from coordinator_app.formats.cells import cell_text
from coordinator_app.formats.fisoko.headers import normalise_task_id
from coordinator_app.formats.fisoko.vocabulary import NO_MARK, X, is_code, is_not_passed, is_x

__all__ = [
    "INDIVIDUAL",
    "JOURNAL",
    "KIND_TITLES",
    "MARKS",
    "GroupRow",
    "IndividualReport",
    "IndividualRow",
    "GroupReport",
    "ReportHead",
    "read_report",
]

INDIVIDUAL, MARKS, JOURNAL = "individual", "marks", "journal"
#: How each report is called in ФИС ОКО and in the program's messages.
KIND_TITLES = {
    INDIVIDUAL: "Индивидуальные результаты",
    MARKS: "Статистика по отметкам",
    JOURNAL: "Сравнение отметок с отметками по журналу",
}
#: Reports recognised by title whose layout is not known from a real file: refused, not guessed.
_UNSUPPORTED = ("выполнение заданий", "распределение первичных баллов", "достижение планируемых результатов")
#: How far down the title and header rows are looked for.
_HEAD_ROWS = 30
_MAX_PROBLEMS = 30

_TITLE_RE = re.compile(r"^\s*ВПР\s+(?P<year>\d{4})\s+(?P<subject>.+?)\s+(?P<grade>\d{1,2})\s*(?:класс|кл\.?)\s*$",
                       re.IGNORECASE)
_TASK_RE = re.compile(r"^(?P<id>.+?)\s*\(\s*(?P<max>\d+)\s*б(?:алл(?:а|ов)?)?\.?\s*\)\s*$", re.IGNORECASE)
_IDENT_RE = re.compile(r"\((?P<ident>(?:edu|reg|sch)[0-9A-Za-z_]+)\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReportHead:
    """The title rows: what work the report is of."""

    kind: str
    title: str = ""                    # «ВПР 2026 Русский язык 4 класс»
    year: int | None = None
    subject: str = ""
    grade: int | None = None
    max_score: int | None = None
    date: dt.date | None = None
    sheet: str = ""

    @property
    def kind_title(self) -> str:
        return KIND_TITLES[self.kind]

    @property
    def work_text(self) -> str:
        parts = [self.subject or "предмет не указан", f"{self.grade} класс" if self.grade else ""]
        if self.date:
            parts.append(self.date.strftime("%d.%m.%Y"))
        elif self.year:
            parts.append(f"{self.year} год")
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class IndividualRow:
    row: int                           # the sheet's row number, for messages
    code: str
    class_ordinal: int | None
    variant: str | None
    scores: dict[str, str]             # task → "2", "0", "X", "не пройд."
    primary_score: int | None
    mark: str | None                   # "2"…"5"
    journal_mark: str | None


@dataclass(frozen=True)
class IndividualReport:
    head: ReportHead
    tasks: list[tuple[str, int]]       # (task id, max score) in the report's order
    levels: dict[str, str]             # task → Б / П / В (the row above the header)
    school_group: str                  # «<школа>(edu…) | Кол-во участников: N»
    declared_count: int | None         # N of the group row
    rows: list[IndividualRow]


@dataclass(frozen=True)
class GroupRow:
    """A row of «Статистика по отметкам» or «Сравнение отметок…»: one group of participants."""

    row: int
    name: str
    scope: str                         # russia, region, municipality, school
    ident: str | None                  # reg99_m001, edu999001
    participants: int | None
    schools: int | None = None
    marks_pct: dict[str, float] = field(default_factory=dict)        # MARKS: {"2": 8.41, …}
    journal_pct: dict[str, float] = field(default_factory=dict)      # JOURNAL: lowered/confirmed/raised
    journal_count: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupReport:
    head: ReportHead
    groups: list[GroupRow]

    def scope(self, scope: str) -> GroupRow | None:
        return next((g for g in self.groups if g.scope == scope), None)


class _Problems:
    def __init__(self, head: str) -> None:
        self.head = head
        self.items: list[str] = []

    def add(self, row: int, col: int | None, text: str) -> None:
        where = f"строка {row}" + (f", столбец {get_column_letter(col)}" if col else "")
        self.items.append(f"{where}: {text}")

    def raise_if_any(self) -> None:
        if self.items:
            shown = self.items[:_MAX_PROBLEMS]
            if len(self.items) > _MAX_PROBLEMS:
                shown.append(f"… и ещё {len(self.items) - _MAX_PROBLEMS}")
            raise UserError(self.head, details=shown)


def _key(value: Any) -> str:
    return cell_text(value).casefold().replace("ё", "е")


def _load(path: Path) -> tuple[str, list[tuple[Any, ...]]]:
    from openpyxl import load_workbook  # start-up: openpyxl only when a report is read

    path = Path(path)
    if path.is_dir():
        raise UserError(f"«{path.name}» — это папка, а нужен файл отчёта ФИС ОКО (.xlsx).")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UserError(f"«{path.name}»: отчёты ФИС ОКО читаются из файлов Excel .xlsx. "
                        "Если отчёт сохранён как .xls или .csv, откройте его в Excel и сохраните как .xlsx.")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise UserError(f"Файл «{path.name}» не найден.") from None
    except PermissionError:
        raise UserError(f"Нет доступа к файлу «{path.name}»: закройте его в Excel и повторите.") from None
    except Exception as err:  # noqa: BLE001 - any unreadable workbook is the user's file, not a crash
        raise UserError(f"«{path.name}» не читается как файл Excel ({type(err).__name__}). "
                        "Скачайте отчёт из ФИС ОКО заново.") from None
    try:
        for ws in wb.worksheets:             # the report's sheet: the first with a recognised header
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            if _find_header(rows)[0] is not None:
                return ws.title, rows
        first = wb.worksheets[0]
        return first.title, [tuple(r) for r in first.iter_rows(values_only=True, max_row=_HEAD_ROWS)]
    finally:
        wb.close()


def _find_header(rows: list[tuple[Any, ...]]) -> tuple[str | None, int]:
    """(kind, 0-based row index) of the report's header row, or (None, -1)."""
    for i, row in enumerate(rows[:_HEAD_ROWS]):
        keys = [_key(v) for v in row]
        if "код участника" in keys and any(k.startswith("первичный балл") for k in keys):
            return INDIVIDUAL, i
        if keys and keys[0] == "группы участников":
            if any(k.startswith("понизили") for k in keys):
                return JOURNAL, i
            if {"2", "3", "4", "5"} <= set(keys):
                return MARKS, i
    return None, -1


def _title_kind(rows: list[tuple[Any, ...]]) -> str:
    for row in rows[:_HEAD_ROWS]:
        for value in row:
            key = _key(value)
            if key:
                return key
    return ""


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _head(kind: str, sheet: str, rows: list[tuple[Any, ...]], header_at: int) -> ReportHead:
    title, year, subject, grade, max_score, date = "", None, "", None, None, None
    for row in rows[:header_at]:
        cells = [cell_text(v) for v in row]
        label = next((c for c in cells if c), "")
        value = next((c for c in cells[cells.index(label) + 1:] if c), "") if label else ""
        m = _TITLE_RE.match(label)
        if m:
            title, year, grade = label, int(m["year"]), int(m["grade"])
            subject = subject or " ".join(m["subject"].split())
        lk = label.casefold()
        if lk.startswith("предмет"):
            subject = " ".join(value.split()) or subject
        elif lk.startswith("максимальный первичный балл"):
            max_score = int(value) if value.isdigit() else None
        elif lk.startswith("дата"):
            raw = next((v for v in row[1:] if v not in (None, "")), None)
            date = _parse_date(raw)
    return ReportHead(kind, title, year, subject, grade, max_score, date, sheet)


def read_report(path: Path | str) -> IndividualReport | GroupReport:
    """The report in `path`, recognised by its content. `UserError` naming the report and what is
    wrong (row and column) when it is not a report of the three kinds read or has a bad cell."""
    path = Path(path)
    sheet, rows = _load(path)
    kind, at = _find_header(rows)
    if kind is None:
        first = _title_kind(rows)
        for name in _UNSUPPORTED:
            if name in first:
                raise UserError(
                    f"«{path.name}» — отчёт «{first.capitalize()}». Программа пока читает только "
                    "«Индивидуальные результаты», «Статистику по отметкам» и «Сравнение отметок с отметками "
                    "по журналу»: этот отчёт не импортирован (его разметка не проверена на настоящем файле).")
        raise UserError(
            f"«{path.name}» не похож на отчёт ФИС ОКО: не найдена строка заголовков таблицы («Код участника» … "
            "«Первичный балл» или «Группы участников» … «2 3 4 5» / «Понизили …»). Откройте в ФИС ОКО раздел "
            "«Аналитика» и скачайте отчёт заново, не меняя его таблицу.")
    head = _head(kind, sheet, rows, at)
    if kind == INDIVIDUAL:
        return _individual(path, head, rows, at)
    return _groups(path, head, rows, at)


# «Индивидуальные результаты» -----------------------------------------------------------------

def _individual_columns(header: tuple[Any, ...]) -> tuple[dict[str, int], list[tuple[str, int, int]]]:
    """The named columns and the tasks (id, max, column) of Ф1's header row."""
    cols: dict[str, int] = {}
    tasks: list[tuple[str, int, int]] = []
    named = (("code", lambda k: k == "код участника"),
             ("class", lambda k: k in ("класс", "порядковый номер класса") or k.startswith("класс №")),
             ("variant", lambda k: k.startswith("вариант")),
             ("primary", lambda k: k.startswith("первичный балл")),
             ("mark", lambda k: k == "отметка"),
             ("journal", lambda k: k.startswith(("отметка по журналу", "отметка за предыдущий"))))
    for c, value in enumerate(header):
        key = _key(value)
        if not key:
            continue
        name = next((n for n, test in named if test(key)), None)
        if name is not None:
            cols.setdefault(name, c)
            continue
        m = _TASK_RE.match(cell_text(value))
        if m and m["id"][:1].isdigit():
            tasks.append((normalise_task_id(m["id"]), int(m["max"]), c))
    return cols, tasks


def _individual(path: Path, head: ReportHead, rows: list[tuple[Any, ...]], at: int) -> IndividualReport:
    problems = _Problems(f"«{path.name}» («{KIND_TITLES[INDIVIDUAL]}») не импортирован: в нём есть ошибки.")
    cols, tasks = _individual_columns(rows[at])
    for need, title in (("code", "Код участника"), ("primary", "Первичный балл"), ("mark", "Отметка")):
        if need not in cols:
            problems.add(at + 1, None, f"нет столбца «{title}»")
    if not tasks:
        problems.add(at + 1, None, "нет ни одного столбца задания (вида «1 (2б)»)")
    ids = [t for t, _m, _c in tasks]
    for t in sorted({t for t in ids if ids.count(t) > 1}):
        problems.add(at + 1, None, f"задание «{t}» встречается в заголовке дважды")
    problems.raise_if_any()

    levels: dict[str, str] = {}
    above = rows[at - 1] if at > 0 else ()
    for task_id, _max, c in tasks:
        level = cell_text(above[c] if c < len(above) else None).upper()
        if level in ("Б", "П", "В"):
            levels[task_id] = level

    school_group, declared, result, seen = "", None, [], {}
    for i in range(at + 1, len(rows)):
        row, n = rows[i], i + 1
        filled = [cell_text(v) for v in row if cell_text(v)]
        if not filled:
            continue
        code_text = cell_text(_at(row, cols["code"]))
        if not any(ch.isdigit() for ch in code_text):
            if "кол-во участников" in filled[0].casefold() and not school_group:
                school_group = filled[0]
                m = re.search(r"кол-во участников:\s*(\d+)", filled[0], re.IGNORECASE)
                declared = int(m[1]) if m else None
            continue                     # a group row, a summary or a note under the table
        if not is_code(code_text):
            problems.add(n, cols["code"] + 1, f"код участника «{code_text}» — не пять цифр")
        elif code_text in seen:
            problems.add(n, cols["code"] + 1, f"код {code_text} уже был в строке {seen[code_text]}")
        else:
            seen[code_text] = n
            result.append(_individual_row(row, n, code_text, cols, tasks, problems))
    if not result and not problems.items:
        problems.add(at + 2, None, "под заголовком нет ни одной строки участника")
    problems.raise_if_any()
    return IndividualReport(head, [(t, m) for t, m, _c in tasks], levels, school_group, declared, result)


def _at(row: tuple[Any, ...], c: int | None) -> Any:
    return row[c] if c is not None and c < len(row) else None


def _individual_row(row: tuple[Any, ...], n: int, code: str, cols: dict[str, int],
                    tasks: list[tuple[str, int, int]], problems: _Problems) -> IndividualRow:
    scores: dict[str, str] = {}
    for task_id, max_score, c in tasks:
        raw = cell_text(_at(row, c))
        if raw == "":
            continue
        if is_x(raw):
            scores[task_id] = X
        elif is_not_passed(raw):
            scores[task_id] = "не пройд."
        elif raw.isdigit() and int(raw) <= max_score:
            scores[task_id] = raw
        else:
            problems.add(n, c + 1, f"балл за задание {task_id} «{raw}» — не от 0 до {max_score}")
    numbers: dict[str, int | None] = {}
    for name, what in (("primary", "первичный балл"), ("class", "номер класса")):
        raw = _at(row, cols.get(name))
        numbers[name] = _whole(raw)
        if cell_text(raw) and numbers[name] is None:
            problems.add(n, cols[name] + 1, f"{what} «{cell_text(raw)}» — не число")
    mark = _mark(_at(row, cols["mark"]), n, cols["mark"], problems)
    journal = _mark(_at(row, cols.get("journal")), n, cols.get("journal"), problems)
    variant = cell_text(_at(row, cols.get("variant"))) or None
    return IndividualRow(n, code, numbers["class"], variant, scores, numbers["primary"], mark, journal)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = cell_text(value)
    return int(text) if text.isdigit() else None


def _mark(value: Any, row: int, col: int | None, problems: _Problems) -> str | None:
    text = cell_text(value)
    if text == "" or text.casefold() in (NO_MARK, "-", "—"):
        return None
    if text in ("2", "3", "4", "5"):
        return text
    problems.add(row, (col or 0) + 1, f"отметка «{text}» — не 2, 3, 4 или 5")
    return None


# «Статистика по отметкам», «Сравнение отметок с отметками по журналу» ---------------------------

_JOURNAL_GROUPS = {"понизили": "lowered", "подтвердили": "confirmed", "повысили": "raised"}


def _scope_of(name: str, ident: str | None, seen: set[str]) -> str:
    key = name.casefold()
    if key.startswith("вся выборка") or key in ("россия", "российская федерация", "рф"):
        return "russia"
    if ident and ident.lower().startswith(("edu", "sch")):
        return "school"
    if ident and ident.lower().startswith("reg") and "_m" in ident.lower():
        return "municipality"
    if "region" not in seen:
        return "region"
    return "municipality" if "municipality" not in seen else "school"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = cell_text(value).replace(",", ".").rstrip("%").strip()
    try:
        return float(text)
    except ValueError:
        return None


def _group_columns(head: ReportHead, header: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for c, key in enumerate(header):
        if key.startswith("кол-во оо"):
            cols["schools"] = c
        elif key.startswith("кол-во участников"):
            cols.setdefault("count", c)
        elif head.kind == MARKS and key in ("2", "3", "4", "5"):
            cols[key] = c
        elif head.kind == JOURNAL:
            word = next((w for w in _JOURNAL_GROUPS if key.startswith(w)), None)
            if word is not None:
                cols[f"{_JOURNAL_GROUPS[word]}_{'pct' if key.endswith('%') else 'count'}"] = c
    return cols


def _groups(path: Path, head: ReportHead, rows: list[tuple[Any, ...]], at: int) -> GroupReport:
    problems = _Problems(f"«{path.name}» («{KIND_TITLES[head.kind]}») не импортирован: в нём есть ошибки.")
    cols = _group_columns(head, [_key(v) for v in rows[at]])
    wanted = ["2", "3", "4", "5"] if head.kind == MARKS else [f"{g}_pct" for g in _JOURNAL_GROUPS.values()]
    for need in wanted:
        if need not in cols:
            problems.add(at + 1, None, f"нет столбца «{need.replace('_pct', ' %')}»")
    problems.raise_if_any()

    groups: list[GroupRow] = []
    seen: set[str] = set()
    for i in range(at + 1, len(rows)):
        name = cell_text(rows[i][0] if rows[i] else None)
        if not name or name.casefold().startswith(("итого", "всего")):
            continue
        m = _IDENT_RE.search(name)
        ident = m["ident"] if m else None
        scope = _scope_of(name, ident, seen)
        if scope not in seen:          # a further school or municipality: only the first of each is taken
            seen.add(scope)
            groups.append(_group_row(head, rows[i], i + 1, name, scope, ident, cols, wanted, problems))
    if not groups and not problems.items:
        problems.add(at + 2, None, "под заголовком нет ни одной строки с группой участников")
    problems.raise_if_any()
    return GroupReport(head, groups)


def _group_row(head: ReportHead, row: tuple[Any, ...], n: int, name: str, scope: str, ident: str | None,
               cols: dict[str, int], wanted: list[str], problems: _Problems) -> GroupRow:
    pct: dict[str, float] = {}
    for key in wanted:
        raw = _at(row, cols[key])
        number = _number(raw)
        if number is None or not 0 <= number <= 100:
            problems.add(n, cols[key] + 1, f"«{cell_text(raw)}» — не процент от 0 до 100")
        else:
            pct[key.removesuffix("_pct")] = number
    counts: dict[str, int] = {}
    if head.kind == JOURNAL:
        for g in _JOURNAL_GROUPS.values():
            number = _number(_at(row, cols.get(f"{g}_count")))
            if number is not None:
                counts[g] = int(number)
    count, schools = _number(_at(row, cols.get("count"))), _number(_at(row, cols.get("schools")))
    return GroupRow(n, name, scope, ident, int(count) if count is not None else None,
                    int(schools) if schools is not None else None,
                    marks_pct=pct if head.kind == MARKS else {},
                    journal_pct=pct if head.kind == JOURNAL else {}, journal_count=counts)
