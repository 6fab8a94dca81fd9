"""A store of three school years for the year-switch benchmark (issue 15): 1500 pupils of grades
4–8 in 15 classes; the current year's 30 works (6 subjects × grades 4–8) with every participant
scored; the two years before it as past works imported from «Индивидуальные результаты» (300 rows
each, as a school that started using the program this year would have them).

    python bench/_three_years.py FOLDER      # builds FOLDER/data (a few minutes)
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordinator_app.codes import assign_codes  # noqa: E402
from coordinator_app.results_import import import_results  # noqa: E402
from coordinator_app.school import School, save_school  # noqa: E402
from coordinator_app.scoring import score_sheet, set_journal_mark, set_scores  # noqa: E402
from coordinator_app.storage import open_store  # noqa: E402
from coordinator_app.students import add_student  # noqa: E402
from coordinator_app.works import TaskDef, WorkDef, create_work, mark_for  # noqa: E402
from tests.fisoko_reports import Head, Row, write_individual  # noqa: E402

SUBJECTS = ["Русский язык", "Математика", "Окружающий мир", "История", "Биология", "География"]
GRADES = range(4, 9)
LETTERS = "АБВ"
PER_CLASS = 100
TASKS = [(str(i), 1 + i % 3, "Б" if i % 4 else "П") for i in range(1, 13)]     # max 24
SCALE = [7, 13, 19]


def _score(code: str, task: str, max_score: int) -> int:
    return (hash((code, task)) & 0xFFFF) % (max_score + 1)


def build(folder: Path) -> Path:
    data = folder / "data"
    store = open_store(data)
    save_school(store, School(name="МБОУ СОШ № 7", login="sch123456", municipality="г. Тестовск",
                              academic_year="2025/2026"))
    n = 0
    for grade in GRADES:
        for letter in LETTERS:
            for _ in range(PER_CLASS):
                add_student(store, f"Ученик{n:04d}", "Имя", "", f"{grade}{letter}")
                n += 1
    for s, subject in enumerate(SUBJECTS):
        for grade in GRADES:
            work_id, _ = create_work(store, WorkDef(subject, grade, dt.date(2026, 4, 6 + s), [TaskDef(t, m, level=lv)
                                                    for t, m, lv in TASKS], scale=SCALE,
                                                    classes=[f"{grade}{x}" for x in LETTERS]))
            assign_codes(store, work_id)
            sheet = score_sheet(store, work_id)
            set_scores(store, work_id, [(r.code, t, _score(r.code, t, m)) for r in sheet for t, m, _l in TASKS])
            for r in sheet[::3]:
                set_journal_mark(store, work_id, r.code, "4")
    for year in (2024, 2025):
        for s, subject in enumerate(SUBJECTS):
            for grade in GRADES:
                rows = []
                for i in range(len(LETTERS) * PER_CLASS):
                    code = f"{grade}{i + 1:04d}"
                    scores = [_score(f"{year}{code}", t, m) for t, m, _l in TASKS]
                    total = sum(scores)
                    rows.append(Row(code, 1 + i // PER_CLASS, 1 + i % 2, scores, total,
                                    int(mark_for(SCALE, total)), 4))
                path = write_individual(folder / f"f1_{year}_{s}_{grade}.xlsx",
                                        Head(subject, grade, year, f"{6 + s:02d}.04.{year}", TASKS), rows)
                import_results(store, path, create_work=True)
    store.close()
    return data


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
