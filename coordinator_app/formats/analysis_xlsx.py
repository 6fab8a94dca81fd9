"""«Справка по результатам ВПР» as XLSX (issue 14): the справка's tables, one sheet per indicator,
for a school that edits or publishes them itself. No names and no codes, as in the PDF."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..analysis.report import WorkAnalysis, YearAnalysis, summary_sentences
from ..fsutil import atomic_writer

_MARKS_HEAD = ["Работа", "Группа", "N", "Надёжность", "«2», %", "«3», %", "«4», %", "«5», %", "Успеваемость, %",
               "Качество, %", "Средний балл"]
_JOURNAL_HEAD = ["Работа", "Сравнено", "Понизили (Отметка < Отметка по журналу)",
                 "Подтвердили (Отметка = Отметке по журналу)", "Повысили (Отметка > Отметка по журналу)",
                 "Понизили, %", "Подтвердили, %", "Повысили, %", "Не подтвердили, %"]
_BOUNDARY_HEAD = ["Работа", "Отметка", "Балл границы", "Работ на границе", "Работ на балл ниже", "p (пик)",
                  "p (провал)", "Признак"]
_TASK_HEAD = ["Работа", "Задание", "Максимум", "Уровень", "Выполнение, %", "Оценка", "Проверяемое умение"]
_STATUS = {"green": "достаточно", "yellow": "зона неопределённости", "red": "недостаточно", None: ""}
_FLAG = {"peak": "пик", "valley": "провал", None: ""}


def _marks(a: WorkAnalysis) -> list[list]:
    groups = [*a.classes, ("Всего", a.marks)] if a.class_name is None else [(a.class_name, a.marks)]
    return [[a.label, name, m.n, m.reliability, *(m.pct.get(k) for k in (2, 3, 4, 5)), m.success_pct, m.quality_pct,
             m.mean_score] for name, m in groups]


def _journal(a: WorkAnalysis) -> list[list]:
    j = a.journal
    return [[a.label, j.compared, j.lower, j.equal, j.higher, j.lower_pct, j.equal_pct, j.higher_pct,
             j.not_confirmed_pct]]


def _boundaries(a: WorkAnalysis) -> list[list]:
    return [[a.label, b.mark, b.score, b.at, b.below, b.p_peak, b.p_valley, _FLAG.get(b.flag, "")]
            for b in a.boundaries]


def _tasks(a: WorkAnalysis) -> list[list]:
    return [[a.label, t.id, t.max, t.level or "", t.pct, _STATUS.get(t.status, ""), t.requirement or ""]
            for t in a.tasks]


def _sheet(book, title: str, head: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(head)
    for row in rows:
        sheet.append(row)
    for column, text in zip(sheet.columns, head):
        sheet.column_dimensions[column[0].column_letter].width = max(10, min(48, len(text) + 2))
    sheet.freeze_panes = "A2"


def write_analysis_xlsx(out: Path | str, school: str, analyses: Sequence[WorkAnalysis],
                        year: YearAnalysis | None = None) -> Path:
    """The справка's tables into `out` (written atomically)."""
    from openpyxl import Workbook  # start-up: openpyxl

    book = Workbook()
    summary = book.active
    summary.title = "Справка"
    summary.append([f"Справка по результатам ВПР. {school}"])
    summary.append(["Показатели — признаки, требующие анализа, а не выводы о классе или учителе."])
    for a in ([year] if year is not None else []) + list(analyses):
        summary.append([])
        summary.append([a.label if isinstance(a, WorkAnalysis) else "Все работы года"])
        for sign in summary_sentences(a):
            summary.append([sign.text])
    summary.column_dimensions["A"].width = 120
    _sheet(book, "Отметки", _MARKS_HEAD, [r for a in analyses for r in _marks(a)])
    _sheet(book, "Журнал", _JOURNAL_HEAD, [r for a in analyses for r in _journal(a)])
    _sheet(book, "Границы", _BOUNDARY_HEAD, [r for a in analyses for r in _boundaries(a)])
    _sheet(book, "Задания", _TASK_HEAD, [r for a in analyses for r in _tasks(a)])
    out = Path(out)
    with atomic_writer(out) as stream:
        book.save(stream)
    return out
