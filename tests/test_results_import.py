"""After ФИС ОКО returns the results (issue 15): its «Аналитика» reports recognised by their content,
imported all or nothing, reconciled with the school's data code by code; a past year's report
makes a work without scans."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from coordinator_app import references
from coordinator_app.classes import list_classes, set_ordinal
from coordinator_app.codes import assign_codes, list_participants, set_variant
from coordinator_app.errors import UserError
from coordinator_app.formats.fisoko.analytics import read_report
from coordinator_app.results_import import import_results, official_rows, reconcile, write_reconciliation
from coordinator_app.scoring import score_sheet, set_journal_mark, set_scores
from coordinator_app.storage import Store
from coordinator_app.works import TaskDef, WorkDef, create_work, get_work, list_works
from tests.conftest import add_pupils
from tests.fisoko_reports import Head, Row, write_individual, write_journal, write_marks
from tests.pdf_helpers import page_texts


def pdf_text(path: Path) -> str:
    return "\n".join(page_texts(path))


TASKS = [("1", 2, "Б"), ("2", 1, "Б"), ("3", 2, "Б"), ("4", 3, "Б"), ("5", 2, "Б"), ("6", 1, "Б"), ("7", 1, "Б"),
         ("8", 2, "Б"), ("9.1", 1, "П"), ("9.2", 2, "П"), ("10.1", 1, "П"), ("10.2", 2, "П"), ("11", 1, "Б"),
         ("12.1", 2, "Б"), ("12.2", 1, "Б")]
HEAD = Head(tasks=TASKS)
PUPILS = [("Алексеев", "Артём", "", "4А"), ("Борисова", "Белла", "", "4А"), ("Васильев", "Виктор", "", "4А"),
          ("Григорьева", "Галина", "", "4А"), ("Дмитриев", "Денис", "", "4А"), ("Егорова", "Елена", "", "4Б"),
          ("Жуков", "Жан", "", "4Б"), ("Зайцева", "Зоя", "", "4Б"), ("Иванов", "Илья", "", "4Б"),
          ("Кузнецова", "Ксения", "", "4Б")]
#: Each pupil's share of every task's maximum (0–1), so primary scores spread over the marks.
SHARES = [1.0, 0.9, 0.75, 0.6, 0.5, 0.4, 0.35, 0.3, 0.8, 0.2]


def _points(share: float) -> list[int]:
    return [int(round(m * share)) for _t, m, _l in TASKS]


@pytest.fixture
def uploaded(school_store: Store) -> tuple[Store, int]:
    """A scored Русский язык 4 of ten pupils in 4А (№ 1) and 4Б (№ 2), as the school uploaded it."""
    add_pupils(school_store, PUPILS)
    for c in list_classes(school_store, grade=4):
        set_ordinal(school_store, c.id, 1 if c.name == "4А" else 2)
    work_id, _ = create_work(school_store, WorkDef("Русский язык", 4, dt.date(2026, 4, 22),
                                                   [TaskDef(t, m) for t, m, _l in TASKS], scale=[10, 16, 21],
                                                   classes=["4А", "4Б"]))
    assign_codes(school_store, work_id)
    codes = sorted(p.code for p in list_participants(school_store, work_id))
    set_scores(school_store, work_id, [(code, t, p) for code, share in zip(codes, SHARES)
                                       for (t, _m, _l), p in zip(TASKS, _points(share))])
    for i, code in enumerate(codes):
        set_variant(school_store, work_id, code, 1, str(1 + i % 2))
        set_journal_mark(school_store, work_id, code, "4" if i % 3 else "5")
    return school_store, work_id


def _rows(store: Store, work_id: int) -> list[Row]:
    """What ФИС ОКО holds when the upload was right: the school's own data."""
    ordinals = {c.id: c.ordinal for c in list_classes(store)}
    return [Row(r.code, ordinals[r.class_id], int(r.variants[1]), [int(r.scores[t]) for t, _m, _l in TASKS],
                r.total, int(r.mark), int(r.journal_mark))
            for r in score_sheet(store, work_id, final=True) if not r.absent]


# -- the reader ------------------------------------------------------------------------------------

def test_each_report_is_recognised_by_its_content_not_its_name(uploaded, tmp_path: Path) -> None:
    store, work_id = uploaded
    f1 = write_individual(tmp_path / "2849657.xlsx", HEAD, _rows(store, work_id), sheet="Лист1")
    f3 = write_marks(tmp_path / "Ф1_Индивидуальные результаты.xlsx", HEAD, (10, [10, 30, 30, 30]))
    report = read_report(f1)
    assert report.head.kind == "individual" and report.head.subject == "Русский язык" and report.head.grade == 4
    assert report.head.date == dt.date(2026, 4, 22) and report.head.max_score == 24
    assert report.levels["9.1"] == "П" and report.levels["1"] == "Б" and report.declared_count == 10
    assert [r.code for r in report.rows] == [r.code for r in _rows(store, work_id)]
    assert read_report(f3).head.kind == "marks"


def test_columns_in_another_order_and_a_summary_under_the_table_are_read(uploaded, tmp_path: Path) -> None:
    store, work_id = uploaded
    rows = _rows(store, work_id)
    path = write_individual(tmp_path / "f1.xlsx", HEAD, rows, shuffle_columns=True, summary=True)
    report = read_report(path)
    assert [(r.code, r.primary_score, r.mark, r.scores["9.2"]) for r in report.rows] == \
        [(r.code, r.primary, str(r.mark), str(r.scores[9])) for r in rows]


def test_more_title_rows_move_the_table_and_the_rows_are_named_where_they_are(uploaded, tmp_path: Path) -> None:
    store, work_id = uploaded
    rows = _rows(store, work_id)
    rows[0] = dataclasses.replace(rows[0], mark=7)
    path = write_individual(tmp_path / "f1.xlsx", HEAD, rows, extra_title_rows=3)
    with pytest.raises(UserError) as err:
        read_report(path)
    assert "строка 13, столбец W: отметка «7»" in str(err.value)           # 3 rows lower than usual
    rows[0] = dataclasses.replace(rows[0], mark=_rows(store, work_id)[0].mark)
    report = read_report(write_individual(tmp_path / "f1.xlsx", HEAD, rows, extra_title_rows=3))
    assert report.levels["9.1"] == "П" and len(report.rows) == 10 and report.head.date == dt.date(2026, 4, 22)


def test_a_bad_cell_is_named_by_row_and_column_and_nothing_is_imported(uploaded, tmp_path: Path) -> None:
    store, work_id = uploaded
    rows = _rows(store, work_id)
    rows[2] = dataclasses.replace(rows[2], scores=[7, *rows[2].scores[1:]])         # task 1 is worth 2
    rows[4] = dataclasses.replace(rows[4], mark=6)
    path = write_individual(tmp_path / "f1.xlsx", HEAD, rows)
    with pytest.raises(UserError) as err:
        import_results(store, path)
    text = str(err.value)
    assert "строка 12, столбец G: балл за задание 1 «7» — не от 0 до 2" in text
    assert "строка 14, столбец W: отметка «6»" in text
    assert store.scalar("SELECT COUNT(*) FROM official_results") == 0
    assert all(t.level is None for t in get_work(store, work_id).tasks)


@pytest.mark.parametrize(("title", "words"), [
    ("Распределение первичных баллов", "пока читает только"),
    ("Список учеников", "не похож на отчёт ФИС ОКО"),
])
def test_an_unknown_or_unsupported_report_is_refused_in_words(tmp_path: Path, title: str, words: str) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append([title])
    wb.active.append(["Группы участников", "Кол-во участников", "0", "1", "2"])
    wb.save(tmp_path / "r.xlsx")
    with pytest.raises(UserError) as err:
        read_report(tmp_path / "r.xlsx")
    assert words in str(err.value)


def test_a_folder_or_a_csv_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="это папка"):
        read_report(tmp_path)
    (tmp_path / "r.csv").write_text("x")
    with pytest.raises(UserError, match="сохраните как .xlsx"):
        read_report(tmp_path / "r.csv")


# -- the import and the reconciliation -----------------------------------------------------------

def test_a_right_upload_reconciles_without_differences_and_sets_the_official_levels(uploaded, tmp_path) -> None:
    store, work_id = uploaded
    result = import_results(store, write_individual(tmp_path / "f1.xlsx", HEAD, _rows(store, work_id)))
    assert result.work_id == work_id and result.rows == 10 and result.levels_set == 15
    assert result.reconciliation.differences == [] and "расхождений нет" in result.summary()
    assert [t.level for t in get_work(store, work_id).tasks] == [lv for _t, _m, lv in TASKS]
    assert len(official_rows(store, work_id)) == 10
    assert store.one("SELECT * FROM audit_log WHERE action = 'results.import'") is not None


def test_planted_differences_are_each_listed_with_both_values(uploaded, tmp_path) -> None:
    store, work_id = uploaded
    rows = _rows(store, work_id)
    school = {r.code: r for r in rows}
    a, b, c, d = rows[0].code, rows[1].code, rows[2].code, rows[3].code
    changed = {
        a: dataclasses.replace(school[a], scores=[1, *school[a].scores[1:]], primary=school[a].primary - 1),
        b: dataclasses.replace(school[b], journal=3, variant=2 if school[b].variant == 1 else 1),
        c: dataclasses.replace(school[c], class_ordinal=2, mark=2),
    }
    fisoko = [changed.get(r.code, r) for r in rows if r.code != d]
    fisoko.append(Row("40999", 1, 1, [0] * len(TASKS), 0, 2, 3))
    result = import_results(store, write_individual(tmp_path / "f1.xlsx", HEAD, fisoko))
    found = {(x.code, x.field): (x.school, x.fisoko) for x in result.reconciliation.differences}
    assert found[(a, "task:1")] == ("2", "1")
    assert found[(a, "primary_score")] == (str(school[a].primary), str(school[a].primary - 1))
    assert found[(b, "journal_mark")] == (str(school[b].journal), "3")
    assert (b, "variant") in found and found[(c, "class_ordinal")] == ("1", "2")
    assert found[(c, "mark")] == (str(school[c].mark), "2")
    assert found[(d, "presence")] == ("писал(а)", "нет в ФИС ОКО")
    assert found[("40999", "presence")] == ("нет в протоколе", "есть в ФИС ОКО")
    assert len(found) == 8
    data = result.as_dict()
    assert {"code": a, "field": "task:1", "field_text": "задание 1", "school": "2", "fisoko": "1",
            "kind": "individual"} in data["differences"]


def test_a_later_change_at_school_shows_in_the_next_reconciliation(uploaded, tmp_path) -> None:
    store, work_id = uploaded
    import_results(store, write_individual(tmp_path / "f1.xlsx", HEAD, _rows(store, work_id)))
    code = _rows(store, work_id)[5].code
    set_scores(store, work_id, [(code, "4", 0)])
    found = reconcile(store, work_id).differences
    assert [(d.code, d.field) for d in found][:1] == [(code, "task:4")]


def test_marks_and_journal_reports_become_references_and_check_the_school_s_counts(uploaded, tmp_path) -> None:
    store, work_id = uploaded
    rows = _rows(store, work_id)
    counts = {m: sum(1 for r in rows if r.mark == m) for m in (2, 3, 4, 5)}
    pct = [round(100 * counts[m] / 10, 2) for m in (2, 3, 4, 5)]
    hand = references.ReferenceRow(work_id, "region", 2025, {"2": 25, "3": 25, "4": 25, "5": 25}, source="от руки")
    references.set_reference(store, hand)
    result = import_results(store, write_marks(tmp_path / "f3.xlsx", HEAD, (10, pct)))
    assert result.references == ["russia", "region", "municipality"] and result.reconciliation.differences == []
    region = next(r for r in references.list_references(store, work_id) if r.scope == "region")
    assert region.marks == {"2": 8.41, "3": 40.22, "4": 39.87, "5": 11.5} and region.year == 2026
    assert region.source.startswith("ФИС ОКО")
    journal = import_results(store, write_journal(tmp_path / "cmp.xlsx", HEAD, (1, 8, 1)))
    region = next(r for r in references.list_references(store, work_id) if r.scope == "region")
    assert region.not_confirmed == pytest.approx(37.88) and region.marks["2"] == 8.41     # both reports kept
    found = {d.field: (d.school, d.fisoko) for d in journal.reconciliation.differences}
    lowered = sum(1 for r in rows if r.mark < r.journal)
    assert found.get("lowered", (str(lowered), "1"))[1] == "1"
    assert all(d.kind == "journal" and d.code is None for d in journal.reconciliation.differences)


def test_the_report_must_fit_the_work(uploaded, tmp_path) -> None:
    store, work_id = uploaded
    other = Head(tasks=TASKS[:-1] + [("12.2", 2, "Б")])
    with pytest.raises(UserError) as err:
        import_results(store, write_individual(tmp_path / "f1.xlsx", other, _rows(store, work_id)), work_id=work_id)
    assert "задание 12.2: в отчёте максимум 2, а в работе 1" in str(err.value)
    math = Head(subject="Математика", tasks=TASKS)
    with pytest.raises(UserError, match="«Математика», а работа — «Русский язык»"):
        import_results(store, write_individual(tmp_path / "m.xlsx", math, _rows(store, work_id)), work_id=work_id)
    assert store.scalar("SELECT COUNT(*) FROM result_imports") == 0


def test_last_year_s_results_make_a_past_work_without_scans(school_store, tmp_path) -> None:
    past = Head(year=2025, date="23.04.2025", tasks=TASKS)
    rows = [Row(f"4{i:04d}", 1, 1, _points(share), sum(_points(share)), 0, 4) for i, share in enumerate(SHARES, 1)]
    rows = [dataclasses.replace(r, mark=5 if r.primary >= 21 else 4 if r.primary >= 16 else 3 if r.primary >= 10 else 2)
            for r in rows]
    path = write_individual(tmp_path / "f1_2025.xlsx", past, rows)
    with pytest.raises(UserError, match="создайте по отчёту работу без сканов"):
        import_results(school_store, path)
    result = import_results(school_store, path, create_work=True)
    work = get_work(school_store, result.work_id)
    assert result.created_work and "Создана работа прошлых лет" in result.summary()
    assert (work.subject, work.grade, work.work_date, work.source) == ("Русский язык", 4, dt.date(2025, 4, 23),
                                                                       "results")
    assert work.scale is None and [t.level for t in work.tasks] == [lv for _t, _m, lv in TASKS]
    assert [r["mark"] for r in official_rows(school_store, work.id)] == [str(r.mark) for r in rows]
    again = import_results(school_store, path, create_work=True)          # the same file again: the same work
    assert again.work_id == work.id and len(list_works(school_store)) == 1


def test_the_reconciliation_pdf_lists_codes_and_never_a_name(uploaded, tmp_path) -> None:
    store, work_id = uploaded
    rows = _rows(store, work_id)
    rows[0] = dataclasses.replace(rows[0], mark=2)
    import_results(store, write_individual(tmp_path / "f1.xlsx", HEAD, rows))
    out = write_reconciliation(store, work_id, tmp_path / "сверка.pdf")
    text = pdf_text(out)
    assert "Сверка результатов ВПР с данными ФИС ОКО" in text and rows[0].code in text and "Пояснение" in text
    assert "МБОУ СОШ № 7" in text
    for surname, *_ in PUPILS:
        assert surname not in text


def test_the_cli_imports_and_prints_the_differences_as_json(uploaded, tmp_path, capsys) -> None:
    from coordinator_app.cli import main

    store, work_id = uploaded
    rows = _rows(store, work_id)
    rows[1] = dataclasses.replace(rows[1], journal=2)
    path = write_individual(tmp_path / "f1.xlsx", HEAD, rows)
    assert main(["--data-dir", str(store.data_dir), "--json", "import-results", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "individual" and data["rows"] == 10
    assert data["differences"] == [{"code": rows[1].code, "field": "journal_mark", "field_text": "отметка по журналу",
                                    "school": str(_rows(store, work_id)[1].journal), "fisoko": "2",
                                    "kind": "individual"}]
    out = tmp_path / "сверка.pdf"
    assert main(["--data-dir", str(store.data_dir), "reconciliation", "--work", str(work_id), "--out", str(out)]) == 0
    assert "Расхождений: 1" in pdf_text(out)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    assert main(["--data-dir", str(store.data_dir), "import-results", str(bad)]) == 1
    assert "не читается как файл Excel" in capsys.readouterr().err


def test_a_scale_is_taken_only_when_the_rows_pin_it_exactly(school_store, tmp_path) -> None:
    past = Head(year=2024, date="18.04.2024", tasks=TASKS)
    totals = [9, 10, 15, 16, 20, 21, 24]
    rows = [Row(f"4{i:04d}", 1, 1, [min(m, max(0, t - sum(mm for _x, mm, _y in TASKS[:k])))
                                     for k, (_x, m, _y) in enumerate(TASKS)], t,
                5 if t >= 21 else 4 if t >= 16 else 3 if t >= 10 else 2, None)
            for i, t in enumerate(totals, 1)]
    result = import_results(school_store, write_individual(tmp_path / "f1.xlsx", past, rows), create_work=True)
    assert get_work(school_store, result.work_id).scale == [10, 16, 21]
    from coordinator_app.work_analysis import analyse

    analysis = analyse(school_store, result.work_id)          # «Анализ» of the past work: ФИС ОКО's results
    assert analysis.marks.n == 7 and analysis.marks.counts == {2: 1, 3: 2, 4: 2, 5: 2}
    assert [name for name, _ in analysis.classes] == ["класс № 1"]


SHARED = Path(__file__).resolve().parents[2] / "shared" / "samples" / "fisoko_exports"


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared reconstructions are not at hand")
def test_the_shared_reconstructions_import_into_a_past_work(school_store) -> None:
    first = import_results(school_store, SHARED / "f1_individualnye_rezultaty_rus4_2026.xlsx", create_work=True)
    assert first.rows == 30 and first.created_work
    marks = import_results(school_store, SHARED / "f3_statistika_po_otmetkam_rus4_2026.xlsx")
    journal = import_results(school_store, SHARED / "sravnenie_otmetok_s_zhurnalom_rus4_2026.xlsx")
    assert marks.work_id == journal.work_id == first.work_id
    region = next(r for r in references.list_references(school_store, first.work_id) if r.scope == "region")
    assert region.marks["2"] == 8.41 and region.not_confirmed == pytest.approx(37.88)


def test_last_year_s_mark_shares_alone_make_a_past_work_for_the_dynamics(school_store, tmp_path) -> None:
    """A school that kept only «Статистика по отметкам» of a past year: a work without tasks whose
    marks are the counts its % give; its «Индивидуальные результаты», found later, fill the tasks."""
    from coordinator_app.dynamics import subject_over_years

    past = Head(year=2024, date="18.04.2024", tasks=TASKS)
    f3 = write_marks(tmp_path / "f3_2024.xlsx", past, (89, [12.36, 52.81, 26.97, 7.87]))
    with pytest.raises(UserError, match="доли отметок школы войдут в «Динамику»"):
        import_results(school_store, f3)
    result = import_results(school_store, f3, create_work=True)
    work = get_work(school_store, result.work_id)
    assert result.created_work and "доли отметок школы для «Динамики»" in result.summary()
    assert (work.subject, work.grade, work.work_date, work.source, work.tasks) == (
        "Русский язык", 4, dt.date(2024, 4, 18), "results", [])
    [year] = subject_over_years(school_store, "Русский язык", 4).years
    assert (year.year, year.n) == ("2023/2024", 89)                 # 11 + 47 + 24 + 7, as ФИС ОКО rounds them
    assert [year.marks.count(m) for m in (2, 3, 4, 5)] == [11, 47, 24, 7]
    rows = [Row(f"4{i:04d}", 1, 1, _points(share), sum(_points(share)), 2, 4) for i, share in enumerate(SHARES, 1)]
    f1 = write_individual(tmp_path / "f1_2024.xlsx", past, rows)
    later = import_results(school_store, f1)                         # found by subject, grade and date
    work = get_work(school_store, work.id)
    assert later.work_id == work.id and not later.created_work and len(list_works(school_store)) == 1
    assert [(t.task_id, t.max_score, t.level) for t in work.tasks] == [(t, m, lv) for t, m, lv in TASKS]
    [year] = subject_over_years(school_store, "Русский язык", 4).years
    assert year.n == len(rows)                                       # the codes' own marks now
