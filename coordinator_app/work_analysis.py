"""«Анализ» from the store: a work's (or the year's) results handed to the pure statistics of
`coordinator_app.analysis`, with the thresholds and reference rows the coordinator set.

Reads only. A participant counts when present and scored in every task (the final scores: the
commission's round over the school's). «X» and «не пройд.» count 0 points. A journal mark 2–5 is
compared, «нет отметки» is not. A work without a scale has no marks, so it cannot be analysed,
and the message says where to set one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import references, task_info, thresholds
from .analysis.agreement import Agreement, agreement, bland_altman
from .analysis.model import Reference, Result, Scale, TaskInfo, Thresholds, WorkData
from .analysis.report import WorkAnalysis, YearAnalysis, analyse_work, analyse_year
from .codes import list_participants
from .errors import UserError
from .school import default_academic_year, require_school
from .scoring import ScoreRow, points, score_sheet
from .second_check import STRATA, sample_strata
from .storage import Store
from .works import Work, get_work

NO_SCALE = ("У работы «{title}» не задана шкала перевода баллов в отметку: без неё нет отметок и анализа. "
            "Задайте шкалу в карточке работы («Работы» → «Изменить»).")


@dataclass(frozen=True)
class WorkInputs:
    """What the statistics take for one work."""

    work: Work
    results: tuple[Result, ...]
    tasks: tuple[TaskInfo, ...]
    scale: Scale
    thresholds: Thresholds
    reference: Reference


def scale_of(work: Work) -> Scale:
    if not work.scale or len(work.scale) != 3:
        raise UserError(NO_SCALE.format(title=work.title))
    min3, min4, min5 = work.scale
    return Scale(min3, min4, min5, work.max_total)


def _mark(text: str | None) -> int | None:
    return int(text) if text in ("2", "3", "4", "5") else None


def result_of(row: ScoreRow, task_ids: list[str]) -> Result:
    """One row of the score sheet as the statistics take it."""
    scores = {t: (None if row.scores.get(t) is None else points(row.scores.get(t))) for t in task_ids}
    complete = row.status == "scored"
    return Result(code=row.code, class_name=row.class_name, total=row.total if complete else None,
                  mark=_mark(row.mark), journal=_mark(row.journal_mark), scores=scores, complete=complete,
                  absent=row.absent)


def work_inputs(store: Store, work_id: int, *, round: int | None = None) -> WorkInputs:
    """The work's results (final scores, or one `round`'s), tasks, scale, thresholds and references."""
    work = get_work(store, work_id)
    scale = scale_of(work)
    task_ids = [t.task_id for t in work.tasks]
    sheet = score_sheet(store, work_id, round or 1, final=round is None, experts=False)
    results = tuple(result_of(row, task_ids) for row in sheet)
    if not sheet and round is None:
        results = official_results_of(store, work)
    return WorkInputs(work, results, task_info.analysis_tasks(work.tasks),
                      scale, thresholds.model(store), references.model(store, work_id, thresholds.corridor(store)))


def official_results_of(store: Store, work: Work) -> tuple[Result, ...]:
    """A past work imported from ФИС ОКО (no participants, no scans): its results as ФИС ОКО returned
    them («Индивидуальные результаты»), each class by its number («класс № 1»)."""
    import json

    task_ids = [t.task_id for t in work.tasks]
    found = []
    for r in store.query("SELECT * FROM official_results WHERE work_id = ? ORDER BY code", [work.id]):
        cells = json.loads(r["scores"])
        scores = {t: points(cells[t]) if cells.get(t) is not None else None for t in task_ids}
        complete = all(v is not None for v in scores.values())
        found.append(Result(code=r["code"], class_name=f"класс № {r['class_ordinal']}" if r["class_ordinal"] else "—",
                            total=r["primary_score"] if complete else None, mark=_mark(r["mark"]),
                            journal=_mark(r["journal_mark"]), scores=scores, complete=complete))
    return tuple(found)


def analyse(store: Store, work_id: int, class_name: str | None = None) -> WorkAnalysis:
    """Every indicator of the work, or of one of its classes."""
    given = work_inputs(store, work_id)
    if class_name is not None and class_name not in {r.class_name for r in given.results}:
        raise UserError(f"В работе «{given.work.title}» нет класса «{class_name}».")
    return analyse_work(given.results, given.tasks, given.scale, given.thresholds, given.reference,
                        class_name=class_name, label=given.work.title)


def analysable_works(store: Store, year: str | None = None) -> list[Work]:
    """Works of the store (of the school year `year`) with a scale (the others have no marks to analyse)."""
    from .works import works_for_view

    return [w for w in works_for_view(store, year) if w.scale and len(w.scale) == 3]


def analyse_all(store: Store, year: str | None = None) -> YearAnalysis:
    """The year: every work with a scale (of the school year `year`, or all), the boundaries pooled over them."""
    works = analysable_works(store, year)
    if not works:
        raise UserError("Нет работ со шкалой перевода баллов в отметку: анализировать нечего.")
    data = []
    for work in works:
        given = work_inputs(store, work.id)
        data.append(WorkData(work.title, given.results, given.tasks, given.scale))
    return analyse_year(data, thresholds.model(store))


@dataclass(frozen=True)
class CheckAgreement:
    """The second check's agreement: `main` over the random part of the sample (all re-checked works
    when it has none), and each part of the sample on its own (`parts`: part → its agreement)."""

    main: Agreement
    over: str                       # "random" or "all"
    parts: dict[str, Agreement]
    thresholds: Thresholds


def targeted_codes(store: Store, work_id: int) -> dict[str, list[str]]:
    """The works «Анализ» singles out for a targeted re-check (codes only): at a flagged mark
    boundary, with a journal gap of 2 marks or more, with an unlikely answer pattern."""
    found = analyse(store, work_id).second_look
    return {"boundary": list(found.get("boundary", [])), "journal_gap": list(found.get("journal_gap", [])),
            "guttman": list(found.get("guttman", []))}


def second_check_agreement(store: Store, work_id: int) -> CheckAgreement:
    """The school's scoring (round 1) against the second check (round 2) of the same works, on the
    sample's random part, and each part apart."""
    school = work_inputs(store, work_id, round=1)
    second = work_inputs(store, work_id, round=2)
    checked = [r for r in second.results if r.counted]
    if not checked:
        raise UserError(f"Во второй проверке работы «{school.work.title}» ещё нет ни одной полностью проверенной "
                        "работы: согласованность считать не по чему.")
    strata = sample_strata(store, work_id)

    def over(part: list[Result]) -> Agreement:
        return agreement(school.results, part, school.tasks, school.scale, school.thresholds)

    parts = {name: over([r for r in checked if strata.get(r.code) == name]) for name in STRATA
             if any(strata.get(r.code) == name for r in checked)}
    if "random" in parts:
        return CheckAgreement(parts["random"], "random", parts, school.thresholds)
    return CheckAgreement(over(checked), "all", parts, school.thresholds)


def _scorer(row: ScoreRow) -> str:
    """Who scored a work in the school's round: the expert who entered most of its cells."""
    entered = [e for e in row.experts.values() if e]
    return max(sorted(set(entered)), key=entered.count) if entered else "—"


def agreement_by_expert(store: Store, work_id: int) -> dict[str, Agreement]:
    """The second check's agreement per school expert (who scored each re-checked work). For the
    coordinator only and only when asked: results are not for rating teachers (seed 004 §1.3)."""
    found = second_check_agreement(store, work_id)
    school = work_inputs(store, work_id, round=1)
    second = [r for r in work_inputs(store, work_id, round=2).results if r.counted]
    scorer = {row.code: _scorer(row) for row in score_sheet(store, work_id, 1)}
    experts = sorted({scorer.get(r.code, "—") for r in second})
    return {expert: agreement(school.results, [r for r in second if scorer.get(r.code, "—") == expert],
                              school.tasks, school.scale, found.thresholds) for expert in experts}


def write_report(store: Store, out: Path | str, *, work_id: int | None = None, class_name: str | None = None,
                 progress: Callable[[int, int], None] | None = None, year: str | None = None) -> Path:
    """The «Справка по результатам ВПР» of one work (or class), or of the school year `year` (the
    current one by default) without `work_id`, as PDF (or its tables as XLSX, by the file's
    extension): no names, no codes — what the school may publish."""
    from .formats.pdf.analysis_report import ReportHeader, analysis_report_pdf  # start-up: reportlab
    from .formats.pdf.common import write_pdf

    out = Path(out)
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise UserError(f"Справка сохраняется в PDF или XLSX: укажите файл .pdf или .xlsx (а не «{out.name}»).")
    school = require_school(store)
    school_year = year or school.academic_year or default_academic_year()
    if work_id is not None:
        from .school_years import academic_year_of

        school_year = academic_year_of(get_work(store, work_id).work_date)
    year = analyse_all(store, school_year) if work_id is None else None
    analyses = year.works if year is not None else [analyse(store, work_id, class_name)]
    header = ReportHeader(school.name, school_year, dt.date.today().strftime("%d.%m.%Y"))
    if progress:
        progress(1, 2)
    if out.suffix.lower() == ".xlsx":
        from .formats.analysis_xlsx import write_analysis_xlsx

        write_analysis_xlsx(out, school.name, analyses, year)
    else:
        titles = {t.key: t.definition.title for t in thresholds.list_thresholds(store)}
        ids = [work_id] if work_id is not None else [w.id for w in analysable_works(store, school_year)]
        seconds = {}
        for wid, analysis in zip(ids, analyses):
            points = second_check_points(store, wid)
            if points is not None:
                seconds[analysis.label] = (second_check_agreement(store, wid).main, points)
        write_pdf(out, analysis_report_pdf(header, analyses, year=year, threshold_titles=titles,
                                           second_checks=seconds))
    if progress:
        progress(2, 2)
    return out


def _legend(work: Work) -> list[Any]:
    from .formats.pdf.class_list import TaskLegend

    return [TaskLegend(t.task_id, t.max_score, t.level, t.requirement) for t in work.tasks]


def class_rows(store: Store, work_id: int, class_name: str | None = None) -> tuple[Work, list[tuple[str, list[Any]]]]:
    """The work's results by class, with the pupils' names (for the school's own lists)."""
    from .formats.pdf.class_list import ClassRow

    work = get_work(store, work_id)
    task_ids = [t.task_id for t in work.tasks]
    sheet = {row.code: row for row in score_sheet(store, work_id, final=True, experts=False)}
    by_class: dict[str, list[Any]] = {}
    for p in list_participants(store, work_id):
        if class_name is not None and p.class_name != class_name:
            continue
        row = sheet.get(p.code)
        r = result_of(row, task_ids) if row else None
        by_class.setdefault(p.class_name, []).append(ClassRow(
            p.who, p.code, r.total if r else None, r.mark if r else None, r.journal if r else None, p.absent,
            {t: row.scores.get(t) for t in task_ids} if row else {}))
    if not by_class:
        raise UserError(f"В работе «{work.title}» нет класса «{class_name}»." if class_name else
                        f"В работе «{work.title}» ещё нет участников.")
    return work, sorted(by_class.items())


def write_class_list(store: Store, work_id: int, out: Path | str, class_name: str | None = None) -> Path:
    """The class teacher's list of the work's results with the pupils' names and every task's score
    (one class to a page or sheet), as PDF or XLSX by the file's extension, for the school's own use."""
    out = Path(out)
    if out.suffix.lower() not in (".pdf", ".xlsx"):
        raise UserError(f"Список сохраняется в PDF или XLSX: укажите файл .pdf или .xlsx (а не «{out.name}»).")
    work, classes = class_rows(store, work_id, class_name)
    if out.suffix.lower() == ".xlsx":
        from .formats.class_list_xlsx import write_class_list_xlsx  # start-up: openpyxl

        return write_class_list_xlsx(out, work.title, classes, _legend(work))
    from .formats.pdf.class_list import class_list_pdf  # start-up: reportlab
    from .formats.pdf.common import write_pdf

    write_pdf(out, class_list_pdf(work.title, classes, _legend(work)))
    return out


def write_parent_slips(store: Store, work_id: int, out: Path | str, class_name: str | None = None) -> Path:
    """A slip for the family of every pupil who wrote the work (scored in full), several to a page."""
    from .formats.pdf.common import write_pdf
    from .formats.pdf.parent_slips import ParentSlip, parent_slips_pdf  # start-up: reportlab

    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise UserError(f"Листки сохраняются в PDF: укажите файл .pdf (а не «{out.name}»).")
    work, classes = class_rows(store, work_id, class_name)
    slips = [ParentSlip(r.pupil, name, r.scores, r.total, r.mark) for name, rows in classes for r in rows
             if not r.absent and r.total is not None]
    if not slips:
        raise UserError(f"В работе «{work.title}»{' (класс ' + class_name + ')' if class_name else ''} нет ни одного "
                        "ученика с полностью проверенной работой: листкам нечего показать.")
    school = require_school(store)
    write_pdf(out, parent_slips_pdf(school.name, work.title, slips, _legend(work), work.scale, work.max_total))
    return out


def second_check_points(store: Store, work_id: int) -> dict[str, Any] | None:
    """The Bland–Altman chart of the second check (every re-checked work), None before one exists."""
    school = work_inputs(store, work_id, round=1)
    second = [r for r in work_inputs(store, work_id, round=2).results if r.counted]
    return bland_altman(school.results, second) if second else None
