"""School years: the current one, the closed ones, and «Новый учебный год».

A school runs ВПР every spring and keeps every year in one store: last year's works, scores and
analysis are what «Динамика» compares with. A work belongs to the school year of its date (September
to August). The current year is the school's `academic_year`; starting a new one closes it: its
works, participants and scores become read-only — checked here first (`require_open`, a Russian
message), and by the store's triggers as the last line (migration 12); their scans keep following
their own retention. The pupils stay (a pupil keeps their identity across years: the new year's
lists are imported as re-imports, moving pupils up a grade); their year codes are cleared, since
the new year's codes are given afresh; those who are not in the new lists are marked as left.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from . import audit
from .changes import Changes, Topic
from .errors import UserError
from .storage import Store, now_iso
from .students import NeedsConfirmation

_YEAR_RE = re.compile(r"^\s*(\d{4})\s*[/\-–—]\s*(\d{4})\s*$")
#: The month a school year starts in (1 September).
FIRST_MONTH = 9


def academic_year_of(date: dt.date) -> str:
    """«2025/2026» for any date from 1 September 2025 to 31 August 2026."""
    start = date.year if date.month >= FIRST_MONTH else date.year - 1
    return f"{start}/{start + 1}"


def parse_year(text: str) -> str:
    """«2026/2027», «2026-2027», «2026» (the year it starts) → «2026/2027»."""
    text = str(text).strip()
    m = _YEAR_RE.match(text)
    if m and int(m[2]) == int(m[1]) + 1:
        return f"{m[1]}/{m[2]}"
    if text.isdigit() and len(text) == 4:
        return f"{text}/{int(text) + 1}"
    raise UserError(f"Учебный год «{text}» не распознан: укажите его как 2026/2027.")


def next_year(year: str) -> str:
    start = int(parse_year(year)[:4]) + 1
    return f"{start}/{start + 1}"


@dataclass(frozen=True)
class SchoolYear:
    year: str
    current: bool
    closed: bool
    closed_at: str | None
    works: int

    @property
    def text(self) -> str:
        state = "текущий" if self.current else ("закрыт" if self.closed else "")
        return f"{self.year} ({state})" if state else self.year

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "current": self.current, "closed": self.closed, "closed_at": self.closed_at,
                "works": self.works}


def current_year(store: Store) -> str | None:
    return store.scalar("SELECT academic_year FROM school WHERE id = 1")


def closed_years(store: Store) -> set[str]:
    return {r["year"] for r in store.query("SELECT year FROM school_years WHERE closed_at IS NOT NULL")}


def list_years(store: Store) -> list[SchoolYear]:
    """Every school year the store knows — the current one, the closed ones, those of its works —
    newest first."""
    counts: dict[str, int] = {}
    for r in store.query("SELECT work_date FROM works"):
        year = academic_year_of(dt.date.fromisoformat(r["work_date"]))
        counts[year] = counts.get(year, 0) + 1
    closed = {r["year"]: r["closed_at"] for r in store.query("SELECT * FROM school_years")}
    current = current_year(store)
    years = set(counts) | set(closed) | ({current} if current else set())
    return [SchoolYear(y, y == current, closed.get(y) is not None, closed.get(y), counts.get(y, 0))
            for y in sorted(years, reverse=True)]


def is_closed(store: Store, year: str) -> bool:
    return bool(store.scalar("SELECT 1 FROM school_years WHERE year = ? AND closed_at IS NOT NULL", [year]))


def work_is_closed(store: Store, work_date: dt.date) -> bool:
    """Whether a work of `work_date` belongs to a closed school year (only to be looked at)."""
    return is_closed(store, academic_year_of(work_date))


def closed_message(year: str) -> str:
    return (f"Учебный год {year} закрыт: его работы только для просмотра. Изменять можно работы "
            "текущего учебного года.")


def closed_work_ids(store: Store) -> list[int]:
    """The works of closed years (their participants keep the codes they had)."""
    closed = closed_years(store)
    if not closed:
        return []
    return [r["id"] for r in store.query("SELECT id, work_date FROM works")
            if academic_year_of(dt.date.fromisoformat(r["work_date"])) in closed]


#: A participants query's condition leaving out the closed years' works (its parameter:
#: `json.dumps(closed_work_ids(store))`).
OPEN_WORKS_SQL = "work_id NOT IN (SELECT value FROM json_each(?))"


def require_open(store: Store, work_id: int) -> None:
    """Refuse a change to a work of a closed school year."""
    row = store.one("SELECT work_date FROM works WHERE id = ?", [work_id])
    if row is None:
        return
    year = academic_year_of(dt.date.fromisoformat(row["work_date"]))
    if is_closed(store, year):
        raise UserError(closed_message(year))


def require_open_date(store: Store, date: dt.date) -> None:
    """Refuse a new work (or a date) in a closed school year."""
    year = academic_year_of(date)
    if is_closed(store, year):
        raise UserError(closed_message(year))


@dataclass
class NewYearResult:
    closed: str
    current: str
    codes_cleared: int
    unfinished: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def summary(self) -> str:
        text = (f"Начат учебный год {self.current}. Год {self.closed} закрыт: его работы, баллы и анализ "
                f"сохранены только для просмотра. Коды учеников сброшены: {self.codes_cleared}. "
                "Импортируйте новые списки классов — ученики перейдут в следующий класс, а тех, кого в списках "
                "нет, программа предложит отметить выбывшими; затем выдайте коды нового года.")
        if self.unfinished:
            text += f" Остались непроверенными работы: {', '.join(self.unfinished)}."
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"closed": self.closed, "current": self.current, "codes_cleared": self.codes_cleared,
                "unfinished": self.unfinished}


def _unfinished_works(store: Store, year: str) -> list[str]:
    """Works of `year` with a present participant not fully scored."""
    from .works import get_work

    titles = []
    for r in store.query("SELECT id, work_date FROM works ORDER BY work_date, id"):
        if academic_year_of(dt.date.fromisoformat(r["work_date"])) != year:
            continue
        work = get_work(store, r["id"])
        tasks = len(work.tasks)
        missing = store.scalar(
            "SELECT COUNT(*) FROM participants p WHERE p.work_id = ? AND p.absent = 0 AND "
            "(SELECT COUNT(*) FROM scores s WHERE s.participant_id = p.id AND s.round = 1) < ?", [work.id, tasks])
        if missing:
            titles.append(work.title)
    return titles


def start_new_year(store: Store, new_year: str | None = None, *, force: bool = False) -> NewYearResult:
    """«Новый учебный год»: close the current year, make `new_year` (the next one by default)
    current, clear the pupils' year codes. Works of the current year left unscored ask first
    (`NeedsConfirmation`; `force` goes on)."""
    current = current_year(store)
    if current is None:
        raise UserError("Сначала укажите сведения о школе (мастер первого запуска или команда init).")
    target = parse_year(new_year) if new_year else next_year(current)
    if target != next_year(current):
        raise UserError(f"Следующий учебный год после {current} — {next_year(current)}, а указан {target}. "
                        "Годы идут по порядку: начните следующий.")
    unfinished = _unfinished_works(store, current)
    if unfinished and not force:
        raise NeedsConfirmation(
            f"В учебном году {current} остались непроверенные работы: {', '.join(unfinished)}. После начала "
            f"нового года они станут только для просмотра. Всё равно начать {target}?")
    stamp = now_iso()
    with store.atomic() as db:
        db.execute("INSERT INTO school_years (year, closed_at) VALUES (?, ?) "
                   "ON CONFLICT(year) DO UPDATE SET closed_at = excluded.closed_at WHERE closed_at IS NULL",
                   [current, stamp])
        db.execute("INSERT OR IGNORE INTO school_years (year) VALUES (?)", [target])
        db.execute("UPDATE school SET academic_year = ?, updated_at = ? WHERE id = 1", [target, stamp])
        cleared = db.execute("UPDATE students SET code = NULL WHERE code IS NOT NULL").rowcount
        # The new year's codes start again at the beginning of each grade's range.
        db.execute("DELETE FROM settings WHERE key GLOB 'code_counter.[0-9]*'")
        audit.record(store, "year.start", "school", 1, closed=current, current=target, codes_cleared=cleared,
                     unfinished=unfinished)
    return NewYearResult(current, target, cleared, unfinished,
                         Changes.of(Topic.SCHOOL, Topic.WORKS, Topic.STUDENTS, Topic.PARTICIPANTS))


def year_started_at(store: Store) -> str | None:
    """When the current year was started with «Новый учебный год» (the previous one's closing), or
    None for a store that has never closed a year."""
    return store.scalar("SELECT MAX(closed_at) FROM school_years WHERE closed_at IS NOT NULL")


def carried_over(store: Store) -> set[int]:
    """Pupils from before the current year was started whom no list of the new year has named yet:
    the leavers, once every new list is imported. Empty while no year has been closed."""
    if year_started_at(store) is None:
        return set()
    return {r["id"] for r in store.query(
        "SELECT id FROM students WHERE left_at IS NULL AND listed_year IS NOT "
        "(SELECT academic_year FROM school WHERE id = 1)")}


def not_in_new_lists(store: Store) -> list[Any]:
    """`carried_over` as pupils, for the list the coordinator confirms."""
    from .students import list_students

    ids = carried_over(store)
    if not ids:
        return []                       # the common case: nothing to list, nothing to read
    return [s for s in list_students(store) if s.id in ids]


def mark_left(store: Store, student_ids: list[int]) -> Changes:
    """Pupils not in the new year's lists: kept (past works refer to them), no longer listed."""
    if not student_ids:
        return Changes()
    stamp = now_iso()
    with store.atomic() as db:
        for sid in student_ids:
            db.execute("UPDATE students SET left_at = ?, code = NULL, updated_at = ? WHERE id = ? AND left_at IS NULL",
                       [stamp, stamp, sid])
        audit.record(store, "students.left", "students", None, ids=sorted(student_ids))
    return Changes.of(Topic.STUDENTS, Topic.PARTICIPANTS)
