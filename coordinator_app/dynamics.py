"""«Динамика» from the store: each work's marks by school year, the same grade and subject compared
over the years, and the same pupils a year later (`analysis.dynamics` computes).

A work's marks are the school's own final scores; a past work imported from ФИС ОКО (no
participants) gives ФИС ОКО's marks, or — known from «Статистика по отметкам» alone — the counts
its school row's % give. Works are grouped by subject (case, «ё» and spaces ignored)
and grade; a year with two works of the same subject and grade takes the later one. A cohort is a
work of grade g and the same subject's work of grade g + 1 in the next school year, its pupils
matched by who they are (a pupil keeps their identity across years and classes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import thresholds
from .analysis.dynamics import Cohort, PupilPair, SubjectDynamics, YearMarks, cohort, subject_dynamics
from .school_years import academic_year_of
from .storage import Store
from .works import Work, get_work, list_works


def _subject_key(text: str) -> str:
    return " ".join(str(text).replace("ё", "е").split()).casefold()


def _year_start(year: str) -> int:
    return int(year[:4])


def work_marks(store: Store, work: Work) -> list[int] | None:
    """The marks of the work's counted participants; None when it has none to give (no scale for
    its own scores)."""
    from .work_analysis import work_inputs

    has_own = store.scalar("SELECT COUNT(*) FROM participants WHERE work_id = ?", [work.id])
    if has_own:
        if not work.scale or len(work.scale) != 3:
            return None
        return [r.mark for r in work_inputs(store, work.id).results if r.counted and r.mark is not None]
    rows = store.query("SELECT mark FROM official_results WHERE work_id = ? AND mark IS NOT NULL", [work.id])
    return [int(r["mark"]) for r in rows] or marks_from_shares(store, work.id)


def marks_from_shares(store: Store, work_id: int) -> list[int] | None:
    """The marks «Статистика по отметкам» gives the school (its % and N, as ФИС ОКО rounds them back
    to counts: round(% · N / 100)); None without that report."""
    row = store.one("SELECT school_row FROM result_imports WHERE work_id = ? AND kind = 'marks'", [work_id])
    school = json.loads(row["school_row"]) if row and row["school_row"] else None
    if not school or not school.get("participants"):
        return None
    n = int(school["participants"])
    marks = []
    for mark in (2, 3, 4, 5):
        pct = school["marks_pct"].get(str(mark))          # JSON keys: the marks as text
        marks += [mark] * round((pct or 0) * n / 100)
    return marks or None


def _groups(store: Store) -> dict[tuple[str, int], dict[str, Work]]:
    """(subject key, grade) → school year → the work (the later one of a year)."""
    groups: dict[tuple[str, int], dict[str, Work]] = {}
    for work in list_works(store):
        groups.setdefault((_subject_key(work.subject), work.grade), {})[academic_year_of(work.work_date)] = work
    return groups


def subject_over_years(store: Store, subject: str, grade: int) -> SubjectDynamics:
    """The grade and subject over every school year the store has."""
    works = _groups(store).get((_subject_key(subject), grade), {})
    years = []
    for year, work in sorted(works.items()):
        marks = work_marks(store, work)
        if marks is not None:
            years.append(YearMarks(year, work.title, marks))
    name = next(iter(works.values())).subject if works else subject
    return subject_dynamics(name, grade, years, thresholds.model(store))


def _pct(total: int | None, max_total: int) -> float | None:
    return None if total is None or not max_total else 100.0 * total / max_total


def cohort_between(store: Store, before: Work, after: Work) -> Cohort:
    """The pupils who wrote both works, matched by pupil."""
    from .work_analysis import work_inputs

    def by_pupil(work: Work) -> dict[int, Any]:
        codes = {r["code"]: r["student_id"] for r in store.query(
            "SELECT code, student_id FROM participants WHERE work_id = ?", [work.id])}
        results = work_inputs(store, work.id).results if work.scale and len(work.scale) == 3 else ()
        return {codes[r.code]: r for r in results if r.counted and r.mark is not None and r.code in codes}

    a, b = by_pupil(before), by_pupil(after)
    pairs = [PupilPair(a[s].mark, b[s].mark, _pct(a[s].total, before.max_total) or 0.0,
                       _pct(b[s].total, after.max_total) or 0.0) for s in a if s in b]
    return cohort(before.title, after.title, pairs, len(set(a) - set(b)), len(set(b) - set(a)))


def cohort_pairs(store: Store) -> list[tuple[Work, Work]]:
    """Every (grade g, year Y) → (grade g + 1, year Y + 1) pair of one subject, both with pupils."""
    groups = _groups(store)
    found = []
    for (subject, grade), works in sorted(groups.items()):
        nxt = groups.get((subject, grade + 1), {})
        for year, work in sorted(works.items()):
            later = next((w for y, w in nxt.items() if _year_start(y) == _year_start(year) + 1), None)
            if later is not None and all(store.scalar("SELECT 1 FROM participants WHERE work_id = ? LIMIT 1", [w.id])
                                         for w in (work, later)):
                found.append((work, later))
    return found


@dataclass(frozen=True)
class WorkDynamics:
    """What «Динамика» shows for one work: its grade and subject over the years, and its pupils'
    previous year (the cohort whose later work it is)."""

    subject: SubjectDynamics
    cohort: Cohort | None

    def as_dict(self) -> dict[str, Any]:
        return {**self.subject.as_dict(), "cohort": self.cohort.as_dict() if self.cohort else None}


def work_dynamics(store: Store, work_id: int) -> WorkDynamics:
    work = get_work(store, work_id)
    subject = subject_over_years(store, work.subject, work.grade)
    earlier = next((a for a, b in cohort_pairs(store) if b.id == work.id), None)
    return WorkDynamics(subject, cohort_between(store, earlier, work) if earlier is not None else None)


def overview(store: Store) -> dict[str, Any]:
    """Every grade and subject with two years or more, and every cohort pair."""
    subjects = []
    for (_key, grade), works in sorted(_groups(store).items()):
        if len(works) >= 2:
            subjects.append(subject_over_years(store, next(iter(works.values())).subject, grade))
    return {"subjects": [s for s in subjects if len(s.years) >= 2],
            "cohorts": [cohort_between(store, a, b) for a, b in cohort_pairs(store)]}
