"""«Анализ» from the command line (issue 14): a work's signs read from the store, the year pooled,
the second check's agreement; a work without a scale and expert mode are refused with a reason."""

from __future__ import annotations

import datetime as dt
import json
from itertools import product

import pytest

from coordinator_app.access import set_expert_mode, set_pin
from coordinator_app.cli import main
from coordinator_app.codes import assign_codes, list_participants
from coordinator_app.scoring import set_journal_mark, set_scores
from coordinator_app.second_check import create_check
from coordinator_app.storage import Store
from coordinator_app.students import list_students
from coordinator_app.works import TaskDef, WorkDef, create_work
from tests.conftest import add_pupils

SYLLABLES = ["Ан", "Бор", "Вел", "Гор", "Дем", "Ер", "Жук"]
# 40 works: eleven at 14 points and none at 15, the lowest «5» — the valley of OBJECTIVITY.md §8.
TOTALS = [3, 4, 6, 7, 8, 8, 9, 9, 10, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 14, 14, 14, 14,
          14, 14, 14, 16, 16, 17, 17, 18, 18, 19, 19, 20]


def _split(total: int) -> list[int]:
    """A total over four tasks of at most 5 points."""
    return [min(5, max(0, total - 5 * i)) for i in range(4)]


def _mark(total: int) -> int:
    return 5 if total >= 15 else 4 if total >= 10 else 3 if total >= 5 else 2


@pytest.fixture
def scored(school_store: Store) -> Store:
    names = [a + b.lower() + "ов" for a, b in product(SYLLABLES, SYLLABLES)][: len(TOTALS)]
    add_pupils(school_store, [(name, "Иван", "", "5А" if i % 2 else "5Б") for i, name in enumerate(names)])
    work_id, _ = create_work(school_store, WorkDef("Математика", 5, dt.date(2026, 4, 15),
                                                   [TaskDef(str(i), 5) for i in range(1, 5)], scale=[5, 10, 15],
                                                   classes=["5А", "5Б"]))
    assign_codes(school_store, work_id)
    codes = sorted(p.code for p in list_participants(school_store, work_id))
    cells = [(code, str(task), points) for code, total in zip(codes, TOTALS)
             for task, points in enumerate(_split(total), start=1)]
    set_scores(school_store, work_id, cells)
    for i, (code, total) in enumerate(zip(codes, TOTALS)):
        mark = _mark(total)
        journal = mark if i % 10 else (mark + 2 if mark <= 3 else mark - 2)     # every tenth: a gap of 2
        set_journal_mark(school_store, work_id, code, str(journal))
    return school_store


def run(store: Store, capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(store.data_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_analysis_of_a_work_finds_the_valley_at_the_lowest_five(scored, capsys) -> None:
    code, out, err = run(scored, capsys, "--json", "analysis", "--work", "1")
    assert code == 0, err
    data = json.loads(out)
    assert data["n"] == 40 and data["reliability"] == "приблизительно"
    assert data["marks"] == {"2": 2, "3": 6, "4": 23, "5": 9}
    five = next(b for b in data["boundaries"] if b["mark"] == 5)
    assert (five["score"], five["at"], five["below"], five["flag"]) == (15, 0, 11, "valley")
    assert five["p_valley"] == pytest.approx(0.5 ** 11)
    assert data["journal"]["compared"] == 40 and len(data["journal"]["gap2"]) == 4
    assert [c["class"] for c in data["classes"]] == ["5А", "5Б"]


def test_analysis_in_words_says_the_valley_and_the_journal(scored, capsys) -> None:
    code, out, err = run(scored, capsys, "analysis", "--work", "1")
    assert code == 0, err
    assert "Участников с полной проверкой: 40 (приблизительно)." in out
    assert "провал" in out and "Требует анализа" in out
    assert "Сравнение с журналом (40)" in out


def test_a_class_and_the_year(scored, capsys) -> None:
    code, out, err = run(scored, capsys, "--json", "analysis", "--work", "1", "--class", "5А")
    assert code == 0, err and json.loads(out)["n"] == 20
    code, out, err = run(scored, capsys, "--json", "analysis", "--year")
    assert code == 0, err
    pooled = json.loads(out)["pooled"]
    assert pooled["at"] >= 0 and pooled["below"] >= 11
    code, _, err = run(scored, capsys, "analysis", "--work", "1", "--class", "9Я")
    assert code == 1 and "нет класса «9Я»" in err
    code, _, err = run(scored, capsys, "analysis")
    assert code == 1 and "Укажите работу (--work ID) или весь год (--year)." in err


def test_a_work_without_a_scale_is_refused_with_where_to_set_one(school_store, capsys) -> None:
    create_work(school_store, WorkDef("История", 5, dt.date(2026, 4, 16), [TaskDef("1", 2)]))
    code, _, err = run(school_store, capsys, "analysis", "--work", "1")
    assert code == 1 and "не задана шкала перевода баллов в отметку" in err and "«Работы» → «Изменить»" in err


def test_second_check_agreement_over_the_rechecked_works(scored, capsys) -> None:
    codes = sorted(p.code for p in list_participants(scored, 1))[:25]
    create_check(scored, 1, codes=codes)
    cells = []
    for code, total in zip(codes, TOTALS):
        points = _split(total)
        if points[0] and code in codes[::5]:           # every fifth re-check is one point lower on task 1
            points[0] -= 1
        cells += [(code, str(task), p) for task, p in enumerate(points, start=1)]
    set_scores(scored, 1, cells, round=2)
    code, out, err = run(scored, capsys, "--json", "second-check", "agreement", "--work", "1")
    assert code == 0, err
    data = json.loads(out)
    assert data["pairs"] == 25 and data["mean_signed_diff"] == pytest.approx(0.2)
    assert data["over"] == "all" and data["parts"]["named"]["pairs"] == 25       # named by code: no random part
    assert data["exact_agreement_pct"] == 80.0
    assert [t["id"] for t in data["tasks"]] == ["1", "2", "3", "4"] and data["tasks"][1]["agreement_pct"] == 100.0
    code, out, _ = run(scored, capsys, "second-check", "agreement", "--work", "1")
    assert code == 0 and "пар работ 25" in out and "Точное совпадение суммы: 80,0 %" in out


def test_an_expert_cannot_run_the_analysis(scored, capsys) -> None:
    set_pin(scored, "1234")
    set_expert_mode(scored, True)
    code, _, err = run(scored, capsys, "analysis", "--work", "1")
    assert code == 1 and "анализ результатов" in err


def test_a_sample_has_a_random_part_and_targeted_parts_each_labelled(scored, capsys) -> None:
    code, out, err = run(scored, capsys, "--json", "second-check", "create", "--work", "1", "--share", "10",
                         "--seed", "3", "--targeted", "boundary,journal_gap")
    assert code == 0, err
    strata = json.loads(out)["strata"]
    at_boundary = {p.code for p, total in zip(sorted(list_participants(scored, 1), key=lambda p: p.code), TOTALS)
                   if total in (14, 15)}
    assert len(strata["random"]) == 4                                  # 10 % of 40
    assert set(strata["boundary"]) == at_boundary - set(strata["random"])
    assert len(strata["journal_gap"]) + len(set(strata["random"]) | set(strata["boundary"])) >= 4
    code, _, err = run(scored, capsys, "second-check", "create", "--work", "1", "--share", "0.5")
    assert code == 1 and "не менее 1 %" in err
    code, _, err = run(scored, capsys, "second-check", "create", "--work", "1", "--targeted", "лишнее")
    assert code == 1 and "Неизвестная часть выборки «лишнее»" in err


def test_agreement_is_computed_on_the_random_part_and_the_targeted_part_reported_apart(scored, capsys) -> None:
    codes = sorted(p.code for p in list_participants(scored, 1))
    totals = dict(zip(codes, TOTALS))
    random_part, targeted = codes[:10], codes[20:30]
    # the parts are labelled directly, so that which works are in the random part is known
    with scored.atomic() as db:
        check_id = db["second_checks"].insert({"work_id": 1, "created_at": "2026-04-20T10:00:00", "created_by": "t",
                                               "share": 0.25, "seed": 1}).last_pk
        for code in random_part + targeted:
            pid = scored.scalar("SELECT id FROM participants WHERE work_id = 1 AND code = ?", [code])
            db.execute("INSERT INTO second_check_items (check_id, participant_id, stratum) VALUES (?, ?, ?)",
                       [check_id, pid, "random" if code in random_part else "boundary"])
    cells = []
    for code in random_part + targeted:
        points = _split(totals[code])
        if code in targeted and points[0]:
            points[0] -= 1                                  # the targeted works were scored a point high
        cells += [(code, str(task), p) for task, p in enumerate(points, start=1)]
    set_scores(scored, 1, cells, round=2)
    code, out, err = run(scored, capsys, "--json", "second-check", "agreement", "--work", "1")
    assert code == 0, err
    data = json.loads(out)
    assert data["over"] == "random" and data["pairs"] == 10 and data["exact_agreement_pct"] == 100.0
    assert data["parts"]["boundary"]["pairs"] == 10 and data["parts"]["boundary"]["exact_agreement_pct"] < 100
    code, out, _ = run(scored, capsys, "second-check", "agreement", "--work", "1")
    assert "случайная часть выборки: пар работ 10" in out and "у границы отметки: пар 10" in out


def test_agreement_per_school_expert_only_when_asked(scored, capsys) -> None:
    codes = sorted(p.code for p in list_participants(scored, 1))
    create_check(scored, 1, codes=codes[:6])
    totals = dict(zip(codes, TOTALS))
    # three works re-entered by another expert (the same totals, the points on other tasks)
    set_scores(scored, 1, [(code, str(t), p) for code in codes[:3]
                           for t, p in enumerate(reversed(_split(totals[code])), start=1)], expert="Петрова А. И.")
    set_scores(scored, 1, [(code, str(t), p) for code in codes[:6] for t, p in enumerate(_split(totals[code]), start=1)],
               round=2)
    code, out, err = run(scored, capsys, "--json", "second-check", "agreement", "--work", "1")
    assert code == 0, err and "experts" not in json.loads(out)
    code, out, err = run(scored, capsys, "--json", "second-check", "agreement", "--work", "1", "--by-expert")
    experts = json.loads(out)["experts"]
    assert experts["Петрова А. И."]["pairs"] == 3 and sum(e["pairs"] for e in experts.values()) == 6


def test_the_report_says_the_signs_draws_the_valley_and_holds_no_name_or_code(scored, capsys, tmp_path) -> None:
    from tests.pdf_helpers import page_texts

    def pdf_text(path) -> str:
        return " ".join(" ".join(page_texts(path)).split())

    out = tmp_path / "справка.pdf"
    code, printed, err = run(scored, capsys, "report", "--work", "1", "--out", str(out))
    assert code == 0, err and "Справка сохранена" in printed
    text = pdf_text(out)
    assert "Справка по результатам ВПР" in text and "провал" in text and "Понизили (Отметка < Отметка по журналу)" in text
    assert "Распределение первичных баллов" in text and "Пороги анализа и их источники" in text
    assert "Выполнение заданий по группам отметок" in text and "«4» (23)" in text
    codes = {p.code for p in list_participants(scored, 1)}
    surnames = {s.surname for s in list_students(scored)}
    assert not [c for c in codes if c in text] and not [s for s in surnames if s in text]
    code, _, err = run(scored, capsys, "report", "--year", "--out", str(tmp_path / "год.pdf"))
    assert code == 0, err and "Все работы года" in pdf_text(tmp_path / "год.pdf")
    code, _, err = run(scored, capsys, "report", "--work", "1", "--out", str(tmp_path / "справка.docx"))
    assert code == 1 and "Справка сохраняется в PDF или XLSX" in err


def test_the_report_s_tables_as_xlsx_reopen_with_the_figures_and_no_name(scored, capsys, tmp_path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "справка.xlsx"
    code, _, err = run(scored, capsys, "report", "--work", "1", "--out", str(out))
    assert code == 0, err
    book = load_workbook(out)
    assert book.sheetnames == ["Справка", "Отметки", "Журнал", "Границы", "Задания"]
    total = [r for r in book["Отметки"].iter_rows(values_only=True) if r[1] == "Всего"][0]
    assert total[2] == 40 and total[7] == 22.5                                   # N, % «5»
    five = [r for r in book["Границы"].iter_rows(values_only=True) if r[1] == 5][0]
    assert five[3:5] == (0, 11) and five[7] == "провал"
    cells = " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert not any(s.surname in cells for s in list_students(scored))
    assert not any(p.code in cells for p in list_participants(scored, 1))


def test_the_class_list_has_the_names_and_says_it_stays_at_school(scored, capsys, tmp_path) -> None:
    from tests.pdf_helpers import page_texts

    out = tmp_path / "5А.pdf"
    code, printed, err = run(scored, capsys, "class-list", "--work", "1", "--class", "5А", "--out", str(out))
    assert code == 0, err and "персональные данные" in printed
    text = " ".join(" ".join(page_texts(out)).split())
    pupils = [p for p in list_participants(scored, 1) if p.class_name == "5А"]
    assert all(p.surname in text for p in pupils) and "Не выносить за пределы школы" in text
    assert not any(p.surname in text for p in list_participants(scored, 1) if p.class_name == "5Б")
    set_pin(scored, "1234")
    set_expert_mode(scored, True)
    code, _, err = run(scored, capsys, "class-list", "--work", "1", "--out", str(tmp_path / "x.pdf"))
    assert code == 1 and "список с именами" in err


def test_the_report_shows_the_second_check_and_the_reference_ticks(scored, capsys, tmp_path) -> None:
    from coordinator_app.references import ReferenceRow, set_reference
    from tests.pdf_helpers import page_texts

    codes = sorted(p.code for p in list_participants(scored, 1))
    totals = dict(zip(codes, TOTALS))
    create_check(scored, 1, codes=codes[:20])
    set_scores(scored, 1, [(c, str(t), p) for c in codes[:20] for t, p in enumerate(_split(totals[c]), start=1)],
               round=2)
    set_reference(scored, ReferenceRow(1, "region", 2025, tasks={"1": 80.0, "2": 70.0, "3": 50.0, "4": 20.0}))
    out = tmp_path / "справка.pdf"
    code, _, err = run(scored, capsys, "report", "--work", "1", "--out", str(out))
    assert code == 0, err
    text = " ".join(" ".join(page_texts(out)).split())
    assert "Вторая проверка Пар работ: 20" in text and "точное совпадение суммы: 100,0 %" in text
    assert "школа − перепроверка" in text
