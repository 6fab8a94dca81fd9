"""The import of «Индивидуальные результаты» for a 1500-participant work and its reconciliation with
the school's data (issue 15: under 3 s). The baseline, measured in the same run, is openpyxl alone
reading the same file's values (`load_workbook(read_only=True)` and every row): the ratio says what
recognising, checking, storing and reconciling add to reading the file.

Builds its own store: 1500 pupils in 15 classes of grade 4, one work of 15 tasks with every score,
and a report of that work with 20 planted differences.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import Report

from coordinator_app.classes import list_classes, set_ordinal
from coordinator_app.codes import assign_codes
from coordinator_app.results_import import import_results, reconcile
from coordinator_app.school import School, save_school
from coordinator_app.scoring import score_sheet, set_journal_mark, set_scores
from coordinator_app.storage import open_store
from coordinator_app.students import add_student
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.fisoko_reports import Head, Row, write_individual

PUPILS = 1500
LETTERS = "АБВГДЕЖЗИКЛМНОП"
TASKS = [("1", 2, "Б"), ("2", 1, "Б"), ("3", 2, "Б"), ("4", 3, "Б"), ("5", 2, "Б"), ("6", 1, "Б"), ("7", 1, "Б"),
         ("8", 2, "Б"), ("9.1", 1, "П"), ("9.2", 2, "П"), ("10.1", 1, "П"), ("10.2", 2, "П"), ("11", 1, "Б"),
         ("12.1", 2, "Б"), ("12.2", 1, "Б")]


def _build(folder: Path) -> tuple[Path, int, Path]:
    store = open_store(folder / "data")
    save_school(store, School(name="МБОУ СОШ № 7", login="sch123456", municipality="г. Тестовск",
                              academic_year="2025/2026"))
    for i in range(PUPILS):
        add_student(store, f"Фамилия{i:04d}", "Имя", "", f"4{LETTERS[i % len(LETTERS)]}")
    for n, c in enumerate(sorted(list_classes(store, grade=4), key=lambda c: c.name), start=1):
        set_ordinal(store, c.id, n)
    work_id, _ = create_work(store, WorkDef("Русский язык", 4, dt.date(2026, 4, 22),
                                            [TaskDef(t, m) for t, m, _l in TASKS], scale=[10, 16, 21],
                                            classes=[f"4{x}" for x in LETTERS]))
    assign_codes(store, work_id)
    sheet = score_sheet(store, work_id)
    cells = [(r.code, t, (hash((r.code, t)) % (m + 1))) for r in sheet for t, m, _l in TASKS]
    set_scores(store, work_id, cells)
    for r in sheet:
        set_journal_mark(store, work_id, r.code, "4")
    ordinals = {c.id: c.ordinal for c in list_classes(store)}
    rows = [Row(r.code, ordinals[r.class_id], None, [int(r.scores[t]) for t, _m, _l in TASKS], r.total,
                int(r.mark), 4) for r in score_sheet(store, work_id, final=True)]
    for k in range(20):                                   # planted differences
        rows[k * 70] = dataclasses.replace(rows[k * 70], journal=3)
    report = write_individual(folder / "f1.xlsx", Head(tasks=TASKS), rows)
    store.close()
    return folder / "data", work_id, report


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    report = Report("results_import")
    with tempfile.TemporaryDirectory() as tmp:
        data, work_id, path = _build(Path(tmp))
        store = open_store(data)

        def baseline() -> None:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            for ws in wb.worksheets:
                for _row in ws.iter_rows(values_only=True):
                    pass
            wb.close()

        found: list = []
        base = _median(baseline, 5)
        whole = _median(lambda: found.append(import_results(store, path)), 5)
        alone = _median(lambda: reconcile(store, work_id), 5)
        differences = len(found[-1].reconciliation.differences)
        store.close()
    report.figure("rows", PUPILS)
    report.figure("differences_found", differences)
    report.figure("openpyxl_read_s", round(base, 3), "s")
    report.figure("import_and_reconcile_s", round(whole, 3), "s")
    report.figure("reconcile_alone_s", round(alone, 3), "s")
    report.figure("import_vs_openpyxl_read", round(whole / base, 2), "×")
    report.figure("under_3_s", whole < 3.0)
    report.finish()
    return 0 if differences == 20 else 1


if __name__ == "__main__":
    sys.exit(main())
