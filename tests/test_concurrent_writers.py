"""Several processes writing at once (the GUI and command-line runs) never fail with «база данных
занята»: a writer waits its turn, every write lands (issue 10)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from coordinator_app.codes import assign_codes
from coordinator_app.scoring import score_sheet
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils

ROOT = Path(__file__).resolve().parent.parent
WRITERS, PUPILS, TASKS = 4, 20, 10

WRITER = """
import sys
sys.path.insert(0, {root!r})
from coordinator_app.storage import open_store
from coordinator_app.scoring import set_score
store = open_store({data!r}, actor="процесс {n}")
codes = {codes!r}
for round_ in range(2):
    for code in codes[{n}::{writers}]:
        for task in range(1, {tasks} + 1):
            set_score(store, 1, code, str(task), str((task + round_) % 2))
store.close()
print("done")
"""


def test_four_processes_writing_hundreds_of_scores_at_once_all_land(school_store, data_dir: Path) -> None:
    add_pupils(school_store, [(f"Ученик{i:02d}", "Имя", "", "4А") for i in range(PUPILS)])
    work_id, _ = create_work(school_store, WorkDef("Математика", 4, dt.date(2026, 4, 21),
                                                   [TaskDef(str(t), 1) for t in range(1, TASKS + 1)], classes=["4А"]))
    assign_codes(school_store, work_id)
    codes = [r.code for r in score_sheet(school_store, work_id)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), data=str(data_dir), n=n,
                                                                     writers=WRITERS, codes=codes, tasks=TASKS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(WRITERS)]
    results = [p.communicate(timeout=600) for p in procs]
    failed = [(p.returncode, err[-600:]) for p, (_, err) in zip(procs, results) if p.returncode != 0]
    assert failed == []
    assert all(out.strip() == "done" for out, _ in results)
    sheet = score_sheet(school_store, work_id)
    # every cell holds the second round's value: 2 × 200 writes, none lost
    assert all(row.scores[str(t)] == str((t + 1) % 2) for row in sheet for t in range(1, TASKS + 1))
    writes = school_store.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'score.set'")
    assert writes == 2 * PUPILS * TASKS
