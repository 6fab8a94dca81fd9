"""Scoring: value rules, totals and marks, per-cell commits with audit, progress, experts, PIN,
second check with discrepancies and settlement, and the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from coordinator_app import access, audit, settings
from coordinator_app.codes import assign_codes, set_absent, set_variant
from coordinator_app.errors import UserError
from coordinator_app.experts import assign_expert, save_expert, work_experts
from coordinator_app.scoring import (
    normalize_value,
    row_outcome,
    score_sheet,
    set_gender,
    set_journal_mark,
    set_score,
    set_scores,
    work_progress,
)
from coordinator_app.second_check import create_check, discrepancies, settle
from coordinator_app.students import NeedsConfirmation
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils

TASKS = [TaskDef("1", 2), TaskDef("9.1", 1), TaskDef("4К1", 3)]


@pytest.fixture
def work_id(school_store) -> int:
    add_pupils(school_store, [("Абрамов", "Кирилл", "", "4А"), ("Борисова", "Мария", "", "4А"),
                              ("Васильев", "Глеб", "", "4Б")])
    wid, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date(2026, 4, 21), TASKS, scale=[2, 4, 6],
                                               classes=["4А", "4Б"], allows_not_passed=True))
    assign_codes(school_store, wid)
    return wid


def test_one_rule_for_a_rows_total_status_and_mark() -> None:
    """`row_outcome` is what both `score_sheet` and the scoring page's sheet use: X and «не пройд.»
    count as filled and as 0 points; the mark only once every task is filled."""
    tasks = ["1", "2", "3"]
    scale = [2, 4, 6]
    assert row_outcome({}, tasks, False, scale) == (0, "not_started", None)
    assert row_outcome({"1": "2", "2": "X"}, tasks, False, scale) == (2, "partial", None)
    assert row_outcome({"1": "2", "2": "X", "3": "не пройд."}, tasks, False, scale) == (2, "scored", "3")
    assert row_outcome({"1": "2", "2": "1", "3": "3"}, tasks, False, scale) == (6, "scored", "5")
    assert row_outcome({"1": "2"}, tasks, True, scale) == (2, "absent", None)
    assert row_outcome({"1": "2", "2": "1", "3": "3"}, tasks, False, None) == (6, "scored", None)


def test_values_digits_x_and_not_passed() -> None:
    task = TaskDef("9.1", 2)
    assert [normalize_value(v, task, True) for v in ("0", 2, 1.0, " x ", "Х", "х", "не пройд", "", None)] == [
        "0", "2", "1", "X", "X", "X", "не пройд.", None, None]
    with pytest.raises(UserError, match="больше максимума 2"):
        normalize_value("3", task, True)
    with pytest.raises(UserError, match="не допускается"):
        normalize_value("не пройд.", task, False)
    with pytest.raises(UserError, match="не балл"):
        normalize_value("1.5", task, True)


def test_each_score_is_saved_at_once_with_its_audit_and_totals_update(school_store, work_id) -> None:
    set_score(school_store, work_id, "40001", "1", "2", expert="Иванова И. И.")
    set_score(school_store, work_id, "40001", "9.1", "Х", expert="Иванова И. И.")
    row = next(r for r in score_sheet(school_store, work_id) if r.code == "40001")
    assert row.scores == {"1": "2", "9.1": "X", "4К1": None} and row.status == "partial" and row.mark is None
    set_score(school_store, work_id, "40001", "4К1", "3")
    row = next(r for r in score_sheet(school_store, work_id) if r.code == "40001")
    assert (row.total, row.mark, row.status) == (5, "4", "scored")
    assert row.experts["1"] == "Иванова И. И."
    set_score(school_store, work_id, "40001", "1", "1")
    entry = audit.entries(school_store, entity="scores")[0]
    assert entry["details"]["old"] == "2" and entry["details"]["new"] == "1"


def test_an_over_maximum_score_is_refused_and_nothing_changes(school_store, work_id) -> None:
    with pytest.raises(UserError, match="больше максимума 3"):
        set_score(school_store, work_id, "40001", "4К1", "4")
    with pytest.raises(UserError, match="нет задания «7»"):
        set_score(school_store, work_id, "40001", "7", "1")
    assert school_store.scalar("SELECT COUNT(*) FROM scores") == 0


def test_a_pasted_range_is_all_or_nothing(school_store, work_id) -> None:
    with pytest.raises(UserError) as err:
        set_scores(school_store, work_id, [("40001", "1", "2"), ("40002", "1", "9"), ("40003", "9.1", "1")])
    assert "код 40002, задание 1, значение «9»" in "\n".join(err.value.details)
    assert school_store.scalar("SELECT COUNT(*) FROM scores") == 0
    set_scores(school_store, work_id, [("40001", "1", "2"), ("40003", "9.1", "1")])
    assert school_store.scalar("SELECT COUNT(*) FROM scores") == 2


def test_absent_participants_take_no_scores(school_store, work_id) -> None:
    set_absent(school_store, work_id, "40002")
    with pytest.raises(UserError, match="отсутствующим"):
        set_score(school_store, work_id, "40002", "1", "1")
    set_score(school_store, work_id, "40001", "1", "1")
    with pytest.raises(UserError, match="уже есть баллы"):
        set_absent(school_store, work_id, "40001")


def test_progress_and_ready_to_export(school_store, work_id) -> None:
    set_absent(school_store, work_id, "40002")
    for code in ("40001", "40003"):
        for task, value in (("1", "2"), ("9.1", "1"), ("4К1", "0")):
            set_score(school_store, work_id, code, task, value)
    progress = work_progress(school_store, work_id)
    assert not progress.ready and {c for c, _ in progress.missing} == {"40001", "40003"}   # variants missing
    for code in ("40001", "40003"):
        set_variant(school_store, work_id, code, 1, "1")
    progress = work_progress(school_store, work_id)
    assert progress.ready and "готова к выгрузке" in progress.summary()
    assert [(c.class_name, c.scored, c.absent) for c in progress.classes] == [("4А", 1, 1), ("4Б", 1, 0)]


def test_journal_marks_and_gender(school_store, work_id) -> None:
    set_journal_mark(school_store, work_id, "40001", "5")
    set_journal_mark(school_store, work_id, "40002", "нет")
    with pytest.raises(UserError, match="5, 4, 3, 2"):
        set_journal_mark(school_store, work_id, "40003", "6")
    set_gender(school_store, work_id, "40003", "Женский")
    rows = {r.code: r for r in score_sheet(school_store, work_id)}
    assert (rows["40001"].journal_mark, rows["40002"].journal_mark, rows["40003"].gender) == ("5", "нет отметки", "ж")


def test_expert_teaching_the_class_needs_confirmation_or_is_forbidden(school_store, work_id) -> None:
    expert_id, _ = save_expert(school_store, "Петрова Анна Ивановна", ["Русский язык"], ["4А"])
    with pytest.raises(NeedsConfirmation, match="4А"):
        assign_expert(school_store, work_id, expert_id)
    settings.set_value(school_store, "forbid_own_class", True)
    with pytest.raises(UserError, match="запрещено"):
        assign_expert(school_store, work_id, expert_id, force=True)
    other, _ = save_expert(school_store, "Сидорова Ольга", ["Математика"], [])
    assign_expert(school_store, work_id, other)
    assert [e.name for e in work_experts(school_store, work_id)] == ["Сидорова Ольга"]


def test_coordinator_pin_is_stored_hashed(school_store) -> None:
    assert access.check_pin(school_store, "")          # no PIN set: leaving expert mode is free
    with pytest.raises(UserError, match="4 до 12 цифр"):
        access.set_pin(school_store, "12a")
    access.set_pin(school_store, "2468")
    assert access.check_pin(school_store, "2468") and not access.check_pin(school_store, "1111")
    raw = school_store.scalar("SELECT value FROM settings WHERE key = 'coordinator_pin'")
    assert "2468" not in raw and "2468" not in json.dumps(audit.entries(school_store), ensure_ascii=False)


def _score_all(store, work_id, values: dict[str, tuple[str, str, str]], round: int = 1) -> None:
    for code, triple in values.items():
        for task, value in zip(("1", "9.1", "4К1"), triple):
            set_score(store, work_id, code, task, value, round=round)


def test_second_check_is_blind_and_discrepancies_are_settled_with_a_reason(school_store, work_id) -> None:
    _score_all(school_store, work_id, {"40001": ("2", "1", "3"), "40002": ("1", "0", "1"), "40003": ("2", "1", "1")})
    check_id, _ = create_check(school_store, work_id, share=0.5, seed=7, codes=["40003"], expert="Второй эксперт")
    sampled = {r.code for r in score_sheet(school_store, work_id, 2)}
    assert sampled >= {"40003"}
    blind = next(r for r in score_sheet(school_store, work_id, 2) if r.code == "40003")
    assert blind.scores == {"1": None, "9.1": None, "4К1": None}      # round 1 is not shown
    _score_all(school_store, work_id, {"40003": ("1", "1", "1")}, round=2)
    report = discrepancies(school_store, work_id)
    entry = next(p for p in report.participants if p.code == "40003")
    assert entry.complete and [(t.task_id, t.first, t.second, t.diff) for t in entry.differing] == [("1", "2", "1", -1)]
    assert (entry.first_total, entry.second_total, entry.first_mark, entry.second_mark) == (4, 3, "4", "3")
    assert report.tasks[0].task_id == "1" and report.changed_marks == 1
    with pytest.raises(UserError, match="причину"):
        settle(school_store, work_id, "40003", "1", "1", "")
    settle(school_store, work_id, "40003", "1", "1", "Решение комиссии: ответ неполный")
    final = next(r for r in score_sheet(school_store, work_id, final=True) if r.code == "40003")
    assert final.scores["1"] == "1" and final.total == 3
    first = next(r for r in score_sheet(school_store, work_id, 1) if r.code == "40003")
    assert first.scores["1"] == "2"                                     # the first score is kept


def test_an_unfinished_recheck_is_left_out_and_its_protocol_asks_first(school_store, work_id, tmp_path) -> None:
    from coordinator_app.second_check import RecheckUnfinished, make_recheck_pdf
    from tests.pdf_helpers import page_texts

    _score_all(school_store, work_id, {"40001": ("2", "1", "3"), "40002": ("1", "0", "1"), "40003": ("2", "1", "1")})
    create_check(school_store, work_id, codes=["40001", "40002", "40003"], expert="Второй эксперт")
    _score_all(school_store, work_id, {"40003": ("1", "1", "1")}, round=2)        # re-checked in full
    set_score(school_store, work_id, "40001", "1", "0", round=2)                 # begun only
    report = discrepancies(school_store, work_id)
    assert [p.code for p in report.participants if not p.complete] == ["40001", "40002"]
    by_task = {t.task_id: (t.compared, t.differing) for t in report.tasks}
    assert by_task["1"] == (1, 1)            # 40001's lone task-1 score stays out of the summary
    out = tmp_path / "recheck.pdf"
    with pytest.raises(RecheckUnfinished, match="перепроверено работ 1 из 3. Не перепроверены: 40001, 40002"):
        make_recheck_pdf(school_store, work_id, out)
    assert not out.exists()
    make_recheck_pdf(school_store, work_id, out, unfinished_ok=True)
    text = " ".join(" ".join(page_texts(out)).split())
    assert "Перепроверено работ: 1 из 3." in text and text.count("не перепроверена") == 2


def test_a_sample_is_reproducible_from_its_seed(school_store, work_id) -> None:
    _score_all(school_store, work_id, {"40001": ("2", "1", "3"), "40002": ("1", "0", "1"), "40003": ("2", "1", "1")})
    a, _ = create_check(school_store, work_id, share=0.34, seed=42)
    b, _ = create_check(school_store, work_id, share=0.34, seed=42)
    from coordinator_app.second_check import checks

    by_id = {c.id: c.codes for c in checks(school_store, work_id)}
    assert by_id[a] == by_id[b] and len(by_id[a]) == 2


def test_cli_scores(school_store, work_id, capsys) -> None:
    from coordinator_app.cli import main

    base = ["--data-dir", str(school_store.data_dir), "--json"]
    assert main([*base, "set-score", "--work", str(work_id), "--code", "40001", "--task", "9.1", "--value", "х"]) == 0
    assert main([*base, "set-score", "--work", str(work_id), "--code", "40001", "--task", "9.1", "--value", "5"]) == 1
    assert main([*base, "set-journal-mark", "--work", str(work_id), "--code", "40001", "--mark", "4"]) == 0
    capsys.readouterr()
    assert main([*base, "scores", "--work", str(work_id)]) == 0
    rows = json.loads(capsys.readouterr().out)
    first = rows[0]
    assert set(first) >= {"code", "class", "variants", "absent", "scores", "total", "mark", "status"}
    assert first["scores"] == {"1": None, "9.1": "X", "4К1": None} and first["status"] == "partial"


def test_a_sheet_without_experts_has_the_same_values_and_no_names(school_store, work_id) -> None:
    set_score(school_store, work_id, "40001", "1", "2", expert="Петрова А. А.")
    full = score_sheet(school_store, work_id, final=True)
    lean = score_sheet(school_store, work_id, final=True, experts=False)
    assert full[0].experts["1"] == "Петрова А. А."
    assert [(r.code, r.scores, r.total, r.mark, r.status) for r in lean] == \
        [(r.code, r.scores, r.total, r.mark, r.status) for r in full]
    assert all(who is None for r in lean for who in r.experts.values())
