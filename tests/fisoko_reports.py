"""The project's own «Аналитика» reports of ФИС ОКО, written in the layouts FISOKO_FILES.md §3–§6
records (title rows 1–6, Ф1's difficulty row 7, the header in row 8, the school's group row): the
importers are tested on these, and on the shared reconstructions when they are at hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

SCHOOL = "МБОУ «СОШ № 7»(edu999007)"
MUNICIPALITY = "г. Тестовск(reg99_m007)"


@dataclass
class Row:
    code: str
    class_ordinal: int
    variant: int
    scores: Sequence[Any]
    primary: int
    mark: int
    journal: int | None


@dataclass
class Head:
    subject: str = "Русский язык"
    grade: int = 4
    year: int = 2026
    date: str = "22.04.2026"
    tasks: Sequence[tuple[str, int, str]] = field(default_factory=list)     # id, max, level

    @property
    def max_score(self) -> int:
        return sum(m for _t, m, _l in self.tasks)


def _title(ws, title: str, head: Head, skip: int = 0) -> None:
    ws.append([title])
    ws.append([])
    ws.append([f"ВПР {head.year} {head.subject} {head.grade} класс"])
    ws.append(["Предмет:", head.subject])
    ws.append(["Максимальный первичный балл:", head.max_score])
    ws.append(["Дата:", head.date])
    for _ in range(skip):
        ws.append([])


def write_individual(path: Path, head: Head, rows: Sequence[Row], *, shuffle_columns: bool = False,
                     sheet: str = "РУ 4 Индивидуальные результаты", summary: bool = False, extra_title_rows: int = 0) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    _title(ws, "Индивидуальные результаты", head, skip=extra_title_rows)
    first = ["ОО", "Муниципалитет", "Название ОО", "Код участника", "Класс", "Вариант"]
    tasks = [f"{t} ({m}б)" for t, m, _l in head.tasks]
    last = ["Первичный балл", "Отметка", "Отметка по журналу"]
    header = first + tasks + last
    order = list(range(len(header)))
    if shuffle_columns:          # the marks before the tasks, the code last of the first group
        order = [0, 1, 2, 4, 5, 3] + list(range(len(header) - 3, len(header))) + list(range(6, len(header) - 3))
    ws.append([None, None, "Уровень сложности задания" if not shuffle_columns else None] + [None] * (len(header) - 3))
    levels = {6 + i: lv for i, (_t, _m, lv) in enumerate(head.tasks)}
    for new, old in enumerate(order):
        if old in levels:
            ws.cell(row=7 + extra_title_rows, column=new + 1, value=levels[old])
    ws.append([header[i] for i in order])
    ws.append([f"{SCHOOL} | Кол-во участников: {len(rows)}"])
    for r in rows:
        values = ["edu999007", "г. Тестовск", SCHOOL, int(r.code), r.class_ordinal, r.variant, *r.scores,
                  r.primary, r.mark, r.journal]
        ws.append([values[i] for i in order])
    if summary:
        ws.append([])
        ws.append(["Итого", None, None, None, None, None, None])
    wb.save(path)
    return path


def write_marks(path: Path, head: Head, school: tuple[int, Sequence[float]],
                region: Sequence[float] = (8.41, 40.22, 39.87, 11.5)) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "РУ 4 Статистика по отметкам"
    _title(ws, "Статистика по отметкам", head)
    ws.append([])
    ws.append(["Группы участников", "Кол-во ОО", "Кол-во участников", 2, 3, 4, 5])
    ws.append(["Вся выборка", 35210, 1698450, 5.12, 33.05, 44.1, 17.73])
    ws.append(["Тестовская область", 512, 27840, *region])
    ws.append([MUNICIPALITY, 38, 2415, 9.03, 41.57, 38.43, 10.97])
    ws.append([SCHOOL, None, school[0], *school[1]])
    wb.save(path)
    return path


def write_journal(path: Path, head: Head, school: tuple[int, int, int]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "РУ 4 Сравнение отметок с отметк"
    _title(ws, "Сравнение отметок с отметками по журналу", head)
    ws.append([])
    ws.append(["Группы участников", "Кол-во участников(всего)",
               "Понизили (Отметка < Отметка по журналу) %", "Понизили (Отметка < Отметка по журналу) Кол-во участников",
               "Подтвердили (Отметка = Отметке по журналу) %",
               "Подтвердили (Отметка = Отметке по журналу) Кол-во участников",
               "Повысили (Отметка > Отметка по журналу) %", "Повысили (Отметка > Отметка по журналу) Кол-во участников"])
    ws.append(["Тестовская область", 27790, 35.7, 9921, 62.12, 17263, 2.18, 606])
    ws.append([MUNICIPALITY, 2409, 37.44, 902, 60.07, 1447, 2.49, 60])
    total = sum(school)
    pct = [round(100 * n / total, 2) if total else 0 for n in school]
    ws.append([SCHOOL, total, pct[0], school[0], pct[1], school[1], pct[2], school[2]])
    wb.save(path)
    return path
