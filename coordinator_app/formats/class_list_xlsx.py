"""The class teacher's list WITH names as XLSX (the same table as `pdf/class_list.py`): one sheet per
class, a task's requirement as a comment on its header, and a sheet «Задания» with what each task
checks. It holds minors' personal data and says so in its first row: it stays at school."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..fsutil import atomic_writer, safe_file_name
from .pdf.class_list import PERSONAL_DATA, ClassRow, TaskLegend

_HEAD = ["Обучающийся", "Код", "Первичный балл", "Отметка ВПР", "Отметка по журналу", "Разница"]


def _number(text: str | None) -> int | str | None:
    return int(text) if text is not None and text.isdigit() else text


def write_class_list_xlsx(out: Path | str, work_title: str, classes: Sequence[tuple[str, Sequence[ClassRow]]],
                          tasks: Sequence[TaskLegend]) -> Path:
    from openpyxl import Workbook  # start-up: openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    book.remove(book.active)
    shade = PatternFill("solid", fgColor="FFE6D9")
    for class_name, rows in classes:
        sheet = book.create_sheet(safe_file_name(class_name)[:31])
        sheet.append([PERSONAL_DATA])
        sheet["A1"].font = Font(bold=True)
        sheet.append([f"{work_title}, класс {class_name}"])
        sheet.append(_HEAD + [f"Задание {t.task_id} ({t.max_score} б.)" for t in tasks])
        for cell, task in zip(sheet[3][len(_HEAD):], tasks):
            if task.requirement:
                cell.comment = Comment(task.requirement, "ВПР-Координатор")
        for r in rows:
            if r.absent:
                values = [r.pupil, r.code, "отсутствовал", None, r.journal, None] + [None] * len(tasks)
            else:
                values = [r.pupil, r.code, r.total, r.mark, r.journal, r.gap,
                          *(_number(r.scores.get(t.task_id)) for t in tasks)]
            sheet.append(values)
            if r.gap is not None and abs(r.gap) >= 2:
                for cell in sheet[sheet.max_row][:len(_HEAD)]:
                    cell.fill = shade
        sheet.freeze_panes = "C4"
        sheet.column_dimensions["A"].width = 36
        for letter in ("C", "D", "E"):
            sheet.column_dimensions[letter].width = 14
    legend = book.create_sheet("Задания")
    legend.append(["Задание", "Максимальный балл", "Уровень", "Что проверяет"])
    for t in tasks:
        legend.append([t.task_id, t.max_score, t.level or "", t.requirement or ""])
    legend.column_dimensions["D"].width = 100
    out = Path(out)
    with atomic_writer(out) as stream:
        book.save(stream)
    return out
